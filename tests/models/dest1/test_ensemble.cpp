// Ensembles: statistics across replications, and the bounded-memory path for large ones.
#include <doctest/doctest.h>

#include <cmath>

#include "models/dest1/ensemble.hpp"
#include "tests/models/dest1/scenario_fixtures.hpp"

using namespace essaim;
using namespace essaim::dest1;

TEST_CASE(
    "ensemble over the memory limit: exact means and variances per territory, quantiles for the "
    "total") {
    const Scenario s = fixtures::small_scenario();
    EnsembleOptions options;
    options.seed = 4;
    options.replications = 7;
    options.quiet = true;
    const EnsembleResult all = run_ensemble(s, options, "", {});
    // Every replication's series: 7 x 1096 days x 4 rows x 20 variables x 4 B = 2.45 MB; the bounded
    // path: the total's 7 x 1096 x 20 x 4 B + two doubles per cell = 2.02 MB.
    options.series_memory_limit = 2.2e6;
    const EnsembleResult bounded = run_ensemble(s, options, "", {});
    CHECK(all.territory_series_quantiles);
    CHECK_FALSE(bounded.territory_series_quantiles);
    REQUIRE(all.series_summary.size() == bounded.series_summary.size());
    const std::size_t stats = kSeriesStatistics.size(), rows = s.territories.size() + 1;
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
    CHECK_THROWS_AS(run_ensemble(s, options, "", {}), EnsembleTooLarge);
}
