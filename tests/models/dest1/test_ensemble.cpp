// Ensembles of Dest1 on the experiment engine: statistics across replications, and the
// bounded-memory path for large ones.
#include <doctest/doctest.h>

#include <cmath>

#include "experiment/ensemble.hpp"
#include "models/dest1/dest1_model.hpp"
#include "models/dest1/outputs.hpp"
#include "models/dest1/run.hpp"
#include "tests/models/dest1/scenario_fixtures.hpp"

using namespace essaim;
using namespace essaim::dest1;
using experiment::EnsembleResult;

TEST_CASE(
    "ensemble over the memory limit: exact means and variances per territory, quantiles for the "
    "total") {
    const auto model = make_model();
    const auto s = std::make_shared<Dest1Scenario>(fixtures::small_scenario());
    experiment::EnsembleOptions options;
    options.seed = 4;
    options.replications = 7;
    options.quiet = true;
    const EnsembleResult all = experiment::run_ensemble({*model, s, options});
    // Every replication's series: 7 x 1096 days x 4 rows x 20 variables x 4 B = 2.45 MB; the
    // bounded path: the total's 7 x 1096 x 20 x 4 B + two doubles per cell = 2.02 MB.
    options.series_memory_limit = 2.2e6;
    const EnsembleResult bounded = experiment::run_ensemble({*model, s, options});
    CHECK(all.unit_series_quantiles);
    CHECK_FALSE(bounded.unit_series_quantiles);
    REQUIRE(all.series_summary.size() == bounded.series_summary.size());
    const std::size_t stats = experiment::kSeriesStatistics.size(),
                      rows = s->value().territories.size() + 1;
    for (std::size_t c = 0; c < all.series_summary.size() / stats; ++c) {
        const double* a = &all.series_summary[c * stats];
        const double* b = &bounded.series_summary[c * stats];
        const bool total = c / kSeriesCount % rows == rows - 1;
        for (std::size_t k = 0; k < 5; ++k)  // mean, sd, se, ci95_low, ci95_high
            REQUIRE(b[k] == doctest::Approx(a[k]).epsilon(1e-9).scale(1.0));
        for (std::size_t k = 5; k < stats; ++k) {  // quantiles: exact for the total, NaN otherwise
            if (total)
                REQUIRE(b[k] == a[k]);
            else
                REQUIRE(std::isnan(b[k]));
        }
    }
    // KPIs and survival curves do not depend on the series' memory.
    CHECK(all.replication_kpis.size() == bounded.replication_kpis.size());
    for (std::size_t i = 0; i < all.replication_kpis.size(); ++i)
        CHECK((all.replication_kpis[i] == bounded.replication_kpis[i] ||
               (std::isnan(all.replication_kpis[i]) && std::isnan(bounded.replication_kpis[i]))));
    REQUIRE(all.survival.size() == bounded.survival.size());
    CHECK(all.survival[0].km.survival == bounded.survival[0].km.survival);

    options.series_memory_limit = 10;  // not even the bounded path fits
    CHECK_THROWS_AS(experiment::run_ensemble({*model, s, options}), experiment::EnsembleTooLarge);
}

TEST_CASE("ensemble: the total row sums counts and weights effective contacts by the active") {
    const auto model = make_model();
    Scenario scenario = fixtures::small_scenario();
    scenario.parameters.contacts_capacity_per_coach_week = 20.0;  // binds on many days
    const auto s = std::make_shared<Dest1Scenario>(scenario);
    experiment::EnsembleOptions options;
    options.seed = 5;
    options.replications = 1;  // the mean of one replication is its value
    options.quiet = true;
    const EnsembleResult r = experiment::run_ensemble({*model, s, options});
    RunOptions run_options;
    run_options.seed = 5;
    const RunResult one = run(scenario, run_options);
    const int n = one.series.n_units(), rows = n + 1;
    const std::size_t stats = experiment::kSeriesStatistics.size();
    std::vector<float> today(n * kSeriesCount), yesterday(n * kSeriesCount), total(kSeriesCount);
    for (int d = 0; d < one.series.n_days(); ++d) {
        yesterday = today;
        for (int t = 0; t < n; ++t)
            for (int v = 0; v < kSeriesCount; ++v)
                today[t * kSeriesCount + v] = static_cast<float>(one.series.at(d, t, v));
        series_total(today.data(), d == 0 ? nullptr : yesterday.data(), n, total.data());
        for (int v : {int(kAdmitted), int(kEffectiveContacts)}) {
            const std::size_t cell = (static_cast<std::size_t>(d) * rows + n) * kSeriesCount + v;
            REQUIRE(r.series_summary[cell * stats] == total[v]);  // statistic 0: the mean
        }
    }
}

TEST_CASE("ensemble: the same statistics whatever the thread count and the order units finish") {
    const auto model = make_model();
    const auto s = std::make_shared<Dest1Scenario>(fixtures::small_scenario());
    experiment::EnsembleOptions options;
    options.seed = 9;
    options.replications = 6;
    options.quiet = true;
    const EnsembleResult one = experiment::run_ensemble({*model, s, options});
    options.threads = 2;
    const EnsembleResult two = experiment::run_ensemble({*model, s, options});
    CHECK(one.series_summary.size() == two.series_summary.size());
    for (std::size_t i = 0; i < one.series_summary.size(); ++i)
        REQUIRE((one.series_summary[i] == two.series_summary[i] ||
                 (std::isnan(one.series_summary[i]) && std::isnan(two.series_summary[i]))));
    for (std::size_t i = 0; i < one.replication_kpis.size(); ++i)
        REQUIRE((one.replication_kpis[i] == two.replication_kpis[i] ||
                 (std::isnan(one.replication_kpis[i]) && std::isnan(two.replication_kpis[i]))));
    // Stored units reduced in another process (a resumed run) give the same: reduce twice.
    experiment::UnitStore store = experiment::UnitStore::create(
        ":memory:", experiment::Ensemble(*model, s, options).store_meta());
    const experiment::Ensemble ensemble(*model, s, options);
    ensemble.compute(store, 2, 2);  // half the units first, as a shard or an interrupted run
    CHECK(store.size() == 3);
    ensemble.compute(store);  // then the rest
    const EnsembleResult resumed =
        ensemble.reduce([&](std::uint64_t id) { return store.get(id); }, "", {});
    for (std::size_t i = 0; i < one.replication_kpis.size(); ++i)
        REQUIRE((one.replication_kpis[i] == resumed.replication_kpis[i] ||
                 (std::isnan(one.replication_kpis[i]) && std::isnan(resumed.replication_kpis[i]))));
}
