// The calibration's pieces that the command line cannot see one by one
// (experiment/calibration.hpp): its checks of the options, the distance, what one unit simulates
// (the model's run with the unit's id, cut at each target's date, a date range drawn uniformly
// per unit), the fingerprint, and a whole run on the binomial model: the same result whatever the
// thread count, and an accepted population that respects its tolerance.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "experiment/calibration.hpp"
#include "models/analytic/analytic.hpp"
#include "models/dest1/dest1_model.hpp"
#include "tests/stat_check.hpp"

using namespace essaim;
using namespace essaim::experiment;

namespace {

const std::string kDocking = ESSAIM_SOURCE_DIR "/scenarios/docking.toml";

std::vector<SpaceParameter> binomial_space(const Model& model) {
    return read_space_text("[[parameter]]\nname = \"p\"\nmin = 0\nmax = 1\n", "space.toml",
                           model.parameters());
}

std::vector<CalibrationTarget> targets_of(const std::string& text) {
    return read_targets_text(text, "targets.toml");
}

const std::string kSuccesses = "[[target]]\nkpi = \"successes\"\nvalue = 18\nscale = 1\n";

// A KPI of one row of a run's unit x KPI array (row = the number of units: the total).
double kpi_of(const Model& model, const UnitResult& result, const std::string& name,
              std::size_t row) {
    const auto& kpis = model.kpis();
    for (std::size_t k = 0; k < kpis.size(); ++k)
        if (kpis[k].name == name) return result.kpis.at(row * kpis.size() + k);
    FAIL("no KPI " << name);
    return 0;
}

}  // namespace

TEST_CASE("calibration: the constructor refuses what cannot run") {
    const auto model = analytic::make_binomial();
    const std::string text = model->load_defaults({})->source_text();
    auto make = [&](std::vector<SpaceParameter> space, CalibrationOptions o) {
        Calibration c(*model, text, "", std::move(space), targets_of(kSuccesses), o);
    };
    CalibrationOptions ok;
    ok.particles = 10;
    CHECK_NOTHROW(make(binomial_space(*model), ok));
    CHECK_THROWS_AS(make({}, ok), std::invalid_argument);
    for (std::size_t particles : {0u, 1u}) {
        CalibrationOptions o = ok;
        o.particles = particles;
        CHECK_THROWS_AS(make(binomial_space(*model), o), std::invalid_argument);
    }
    CalibrationOptions o = ok;
    o.replications = 0;
    CHECK_THROWS_AS(make(binomial_space(*model), o), std::invalid_argument);
    for (double q : {0.0, 1.0, -0.1, 1.5, std::nan("")}) {
        o = ok;
        o.quantile = q;
        CHECK_THROWS_AS(make(binomial_space(*model), o), std::invalid_argument);
    }
    for (double a : {0.0, -0.5, 1.01, std::nan("")}) {
        o = ok;
        o.min_acceptance = a;
        CHECK_THROWS_AS(make(binomial_space(*model), o), std::invalid_argument);
    }
    o = ok;
    o.min_acceptance = 1;
    CHECK_NOTHROW(make(binomial_space(*model), o));
    // Generations numbered in the unit ids below the predictive check's.
    for (std::size_t g : {std::size_t{0}, std::size_t(kPredictiveGeneration),
                          std::size_t{1} << 40}) {
        o = ok;
        o.max_generations = g;
        CHECK_THROWS_AS(make(binomial_space(*model), o), std::invalid_argument);
    }
    o = ok;
    o.max_generations = kPredictiveGeneration - 1;
    CHECK_NOTHROW(make(binomial_space(*model), o));
    o = ok;
    o.particles = 1u << 20;
    o.replications = 1u << 20;
    CHECK_THROWS_AS(make(binomial_space(*model), o), std::invalid_argument);
    // A date on a model without dates: the targets' own error.
    CHECK_THROWS_AS(Calibration(*model, text, "", binomial_space(*model),
                                targets_of(kSuccesses + "at = 2020-01-01\n"), ok),
                    TomlError);
}

TEST_CASE("calibration: the distance is sqrt(sum ((simulated - value) / scale)^2)") {
    const auto model = analytic::make_binomial();
    const std::string text = model->load_defaults({})->source_text();
    const Calibration c(*model, text, "", binomial_space(*model),
                        targets_of("[[target]]\nkpi = \"successes\"\nvalue = 18\nscale = 2\n"
                                   "[[target]]\nname = \"b\"\nkpi = \"successes\"\nvalue = 10\n"
                                   "scale = 0.5\n"
                                   "[[target]]\nname = \"c\"\nkpi = \"successes / successes\"\n"
                                   "value = 1\nscale = 1\n"),
                        {});
    const double inf = std::numeric_limits<double>::infinity();
    // (20 - 18) / 2 = 1, (12 - 10) / 0.5 = 4, (1 - 1) / 1 = 0: sqrt(17).
    const std::vector<double> a{20, 12, 1};
    CHECK(c.distance(a.data()) == doctest::Approx(std::sqrt(17.0)));
    const std::vector<double> exact{18, 10, 1};
    CHECK(c.distance(exact.data()) == 0);
    const std::vector<double> below{16, 10, 0.5};  // signs do not matter
    CHECK(c.distance(below.data()) == doctest::Approx(std::sqrt(1 + 0.25)));
    const std::vector<double> undefined{18, 10, std::nan("")};
    CHECK(c.distance(undefined.data()) == inf);
    const std::vector<double> infinite{inf, 10, 1};
    CHECK(c.distance(infinite.data()) == inf);
}

TEST_CASE("calibration: one unit of the binomial model is the model's run with the unit's id") {
    const auto model = analytic::make_binomial();
    const std::string text = model->load_defaults({})->source_text();
    CalibrationOptions o;
    o.seed = 77;
    const Calibration c(*model, text, "", binomial_space(*model), targets_of(kSuccesses), o);
    for (double u : {0.05, 0.3, 0.5, 0.9}) {
        for (std::uint64_t id : {std::uint64_t{0}, std::uint64_t{5}, calibration_unit_id(3, 17, 2, 1)}) {
            const auto scenario = model->load_defaults({"p=" + std::to_string(u)});
            const double expected = model->run(*scenario, 77, id, {}).kpis.at(0);
            // The space maps u to p = u (uniform on [0, 1]); std::to_string rounds u to 6
            // decimals, exact for these values.
            CHECK(c.simulate({u}, id) == std::vector<double>{expected});
        }
    }
    // Unit ids: generation in the high bits, then proposal x replications + replication.
    CHECK(calibration_unit_id(0, 0, 1, 0) == 0);
    CHECK(calibration_unit_id(0, 5, 3, 2) == 17);
    CHECK(calibration_unit_id(2, 5, 3, 2) == (2ull << 40) + 17);
    std::set<std::uint64_t> ids;
    for (std::uint64_t g : {0u, 1u, 7u})
        for (std::uint64_t a = 0; a < 50; ++a)
            for (std::uint64_t k = 0; k < 3; ++k) ids.insert(calibration_unit_id(g, a, 3, k));
    CHECK(ids.size() == 3 * 50 * 3);
}

TEST_CASE("calibration: dated targets are the same history cut at their dates") {
    const auto model = dest1::make_model();
    const auto base = model->load(kDocking, {});
    const std::string text = base->source_text();
    const auto space = read_space_text(
        "[[parameter]]\nname = \"h0_job\"\nmin = 0.01\nmax = 0.04\n", "space.toml",
        model->parameters());
    CalibrationOptions o;
    o.seed = 9;
    const Calibration c(*model, text, kDocking, space,
                        targets_of("[[target]]\nkpi = \"entries\"\nvalue = 400\nscale = 20\n"
                                   "[[target]]\nname = \"mid\"\nkpi = \"job_starts\"\n"
                                   "at = 2020-12-31\nvalue = 100\nscale = 20\n"
                                   "[[target]]\nname = \"Alpha mid\"\n"
                                   "kpi = \"territory.Alpha.entries\"\nat = 2020-12-31\n"
                                   "value = 100\nscale = 20\n"),
                        o);
    const std::size_t units = base->units().size();
    for (std::uint64_t id : {3u, 40u}) {
        const std::vector<double> u{0.25};
        const std::string h0 = space[0].override_at(0.25);
        const auto full = model->load(kDocking, {h0});
        const auto cut = model->load(kDocking, {h0, "scenario.end=2020-12-31"});
        const UnitResult a = model->run(*full, 9, id, {});
        const UnitResult b = model->run(*cut, 9, id, {});
        const auto values = c.simulate(u, id);
        REQUIRE(values.size() == 3);
        CHECK(values[0] == kpi_of(*model, a, "entries", units));
        CHECK(values[1] == kpi_of(*model, b, "job_starts", units));
        CHECK(values[2] == kpi_of(*model, b, "entries", 0));  // row 0: Alpha
        // Cut earlier, fewer job starts than by the end (the same history, shorter).
        CHECK(values[1] < kpi_of(*model, a, "job_starts", units));
    }
}

TEST_CASE("calibration: a date range is drawn uniformly per unit, shared by its targets") {
    // Three days; total_cost grows every day (coaches are paid daily), so the value tells the
    // cut day. Over 300 units the days' counts are multinomial(1/3 each): chi-square at the
    // kZ level (tests/stat_check.hpp). Two targets with the same range share the draw.
    const auto model = dest1::make_model();
    const auto base = model->load(kDocking, {});
    const std::string text = base->source_text();
    const auto space = read_space_text(
        "[[parameter]]\nname = \"h0_job\"\nmin = 0.02\nmax = 0.0201\n", "space.toml",
        model->parameters());
    CalibrationOptions o;
    o.seed = 4;
    const Calibration c(
        *model, text, kDocking, space,
        targets_of("[[target]]\nkpi = \"total_cost\"\nfrom = 2020-03-01\nto = 2020-03-03\n"
                   "value = 1\nscale = 1\n"
                   "[[target]]\nname = \"entries\"\nkpi = \"entries\"\nfrom = 2020-03-01\n"
                   "to = 2020-03-03\nvalue = 1\nscale = 1\n"),
        o);
    const std::size_t units = base->units().size();
    const std::string h0 = space[0].override_at(0.5);
    std::vector<std::shared_ptr<const ModelScenario>> days;
    for (const char* day : {"2020-03-01", "2020-03-02", "2020-03-03"})
        days.push_back(model->load(kDocking, {h0, std::string("scenario.end=") + day}));
    std::vector<double> counts(3, 0);
    int unmatched = 0, split = 0;
    for (std::uint64_t id = 0; id < 300; ++id) {
        const auto values = c.simulate({0.5}, id);
        int which = -1;
        for (int d = 0; d < 3; ++d) {
            const UnitResult r = model->run(*days[static_cast<std::size_t>(d)], 4, id, {});
            if (kpi_of(*model, r, "total_cost", units) == values[0]) {
                which = d;
                split += kpi_of(*model, r, "entries", units) != values[1];
            }
        }
        if (which < 0)
            ++unmatched;
        else
            counts[static_cast<std::size_t>(which)] += 1;
    }
    CHECK(unmatched == 0);
    CHECK(split == 0);
    CHECK(essaim::test::chi2_pooled_ok(counts, {1.0 / 3, 1.0 / 3, 1.0 / 3}));
    CHECK(counts[0] > 0);
    CHECK(counts[2] > 0);  // both ends of the range are drawn
}

TEST_CASE("calibration: a target that no run computes is a located error") {
    const auto model = analytic::make_binomial();
    const std::string text = model->load_defaults({})->source_text();
    const auto space = read_space_text("[[parameter]]\nname = \"p\"\nmin = 0\nmax = 1e-12\n",
                                       "space.toml", model->parameters());
    CalibrationOptions o;
    o.particles = 10;
    o.quiet = true;
    const Calibration c(*model, text, "", space,
                        targets_of(kSuccesses + "[[target]]\nname = \"share\"\n"
                                                "kpi = \"successes / successes\"\nvalue = 1\n"
                                                "scale = 1\n"),
                        o);
    UnitStore store = UnitStore::create(":memory:", c.store_meta());
    try {
        c.run(&store);
        FAIL("no error");
    } catch (const TomlError& e) {
        CHECK(e.where().line == 7);  // the kpi of the second target
        CHECK(e.key() == "target.1.kpi");
        CHECK(std::string(e.what()).find("'share'") != std::string::npos);
        CHECK(std::string(e.what()).find("no run drawn from the prior gave target") !=
              std::string::npos);
    }
}

TEST_CASE("calibration: the fingerprint follows what changes the result, not the threads") {
    const auto model = analytic::make_binomial();
    const std::string text = model->load_defaults({})->source_text();
    auto fingerprint = [&](CalibrationOptions o, const std::string& targets) {
        return Calibration(*model, text, "", binomial_space(*model), targets_of(targets), o)
            .fingerprint();
    };
    CalibrationOptions o;
    const std::string f = fingerprint(o, kSuccesses);
    CalibrationOptions threads = o;
    threads.threads = 7;
    threads.quiet = true;
    CHECK(fingerprint(threads, kSuccesses) == f);
    CalibrationOptions seed = o;
    seed.seed = 1;
    CHECK(fingerprint(seed, kSuccesses) != f);
    CalibrationOptions particles = o;
    particles.particles = 501;
    CHECK(fingerprint(particles, kSuccesses) != f);
    CalibrationOptions final_tolerance = o;
    final_tolerance.final_tolerance = 0;
    CHECK(fingerprint(final_tolerance, kSuccesses) != f);
    CHECK(fingerprint(o, "[[target]]\nkpi = \"successes\"\nvalue = 19\nscale = 1\n") != f);
    CHECK(fingerprint(o, "[[target]]\nkpi = \"successes\"\nvalue = 18\nscale = 2\n") != f);
}

TEST_CASE("calibration: a whole binomial run, the same with 1 or 3 threads") {
    const auto model = analytic::make_binomial();
    const std::string text = model->load_defaults({})->source_text();
    CalibrationOptions o;
    o.particles = 300;
    o.final_tolerance = 0;
    o.seed = 12;
    o.quiet = true;
    auto run = [&](int threads) {
        CalibrationOptions t = o;
        t.threads = threads;
        const Calibration c(*model, text, "", binomial_space(*model), targets_of(kSuccesses), t);
        UnitStore store = UnitStore::create(":memory:", c.store_meta());
        return c.run(&store);
    };
    const CalibrationResult one = run(1), three = run(3);
    REQUIRE(one.generations.size() == three.generations.size());
    for (std::size_t g = 0; g < one.generations.size(); ++g) {
        const auto& a = one.generations[g];
        const auto& b = three.generations[g];
        CHECK(a.tolerance == b.tolerance);
        CHECK(a.proposals == b.proposals);
        CHECK(a.population.u == b.population.u);
        CHECK(a.population.weights == b.population.weights);
        CHECK(a.distances == b.distances);
        CHECK(a.simulated == b.simulated);
    }
    CHECK(one.stopped == "the final tolerance was reached");
    CHECK(one.generations.back().tolerance == 0);
    for (std::size_t g = 0; g < one.generations.size(); ++g) {
        const auto& gen = one.generations[g];
        CHECK(gen.population.size() == 300);
        double total = 0;
        for (double w : gen.population.weights) {
            CHECK(w > 0);
            total += w;
        }
        CHECK(total == doctest::Approx(1).epsilon(1e-12));
        // One replication: every accepted distance is within the generation's tolerance, and
        // the distance is |successes - 18|.
        for (std::size_t i = 0; i < 300; ++i) {
            CHECK(gen.distances[i] <= gen.tolerance);
            CHECK(gen.distances[i] == std::abs(gen.simulated[i] - 18));
        }
        if (g > 0) CHECK(gen.tolerance < one.generations[g - 1].tolerance);
        CHECK(gen.proposals >= 300);
    }
    // The last generation matches exactly: 18 successes for every particle.
    for (double s : one.generations.back().simulated) CHECK(s == 18);
    // The predictive check: one draw per particle by default, whole numbers in [0, 50].
    REQUIRE(one.predictive.size() == 1);
    CHECK(one.predictive[0].draws.size() == 300);
    for (double v : one.predictive[0].draws) CHECK((v >= 0 && v <= 50 && v == std::floor(v)));
    CHECK(one.predictive[0].draws == three.predictive[0].draws);
    CHECK(one.simulations == [&] {
        std::uint64_t n = 0;
        for (const auto& gen : one.generations) n += gen.proposals;
        return n;
    }());
}
