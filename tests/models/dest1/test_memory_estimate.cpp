// The memory estimate of a run (models/dest1/memory_estimate.hpp): its bounds on people hold in
// real runs, it stays small for ordinary scenarios and it is huge at the validated upper bounds.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "models/dest1/generate.hpp"
#include "models/dest1/memory_estimate.hpp"
#include "models/dest1/run.hpp"
#include "models/dest1/scenario_toml.hpp"
#include "tests/models/dest1/scenario_fixtures.hpp"

using namespace essaim;
using namespace essaim::dest1;

namespace {

const std::string kScenarios = std::string(ESSAIM_SOURCE_DIR) + "/scenarios/";
constexpr double kMiB = 1024.0 * 1024.0;

// The largest number of people in `states` on one day, over the run, all territories.
double peak_of(const RunResult& r, std::initializer_list<Series> states) {
    double peak = 0;
    for (int d = 0; d < r.series.n_days(); ++d) {
        double stored = 0;
        for (int t = 0; t < r.series.n_units(); ++t)
            for (Series state : states) stored += r.series.row(d, t)[state];
        peak = std::max(peak, stored);
    }
    return peak;
}

void check_bounds_hold(const Scenario& s) {
    RunOptions options;
    options.seed = s.seed;
    options.record_agents = true;
    const RunResult r = run(s, options);
    const PeopleBounds bounds = people_bounds(s);
    CHECK(bounds.identified >= static_cast<double>(r.agents->size()));
    CHECK(bounds.live() >= peak_of(r, {kCountWaiting, kCountRemob, kCountEmployed}));
    CHECK(bounds.active >= peak_of(r, {kCountRemob, kCountEmployed}));
}

}  // namespace

TEST_CASE("memory estimate: the bounds on people hold in real runs") {
    SUBCASE("docking") { check_bounds_hold(load_scenario(kScenarios + "docking.toml")); }
    SUBCASE("dest1") { check_bounds_hold(load_scenario(kScenarios + "dest1.toml")); }
    SUBCASE("long waiting lists: little capacity, much outreach") {
        check_bounds_hold(load_scenario(
            kScenarios + "docking.toml",
            {"parcours.caseload=2", "outreach.per_coach_per_day=3", "outreach.pool_half=1"}));
    }
    SUBCASE("everyone active: capacity above the pool, which is identified at once") {
        check_bounds_hold(fixtures::closed_form_scenario(3000));
    }
}

TEST_CASE("memory estimate: the series and the agent table by hand") {
    Scenario s = fixtures::small_scenario();  // 1096 days, 3 territories, 4 sectors
    const std::uint64_t without = estimate_run_bytes(s, false);
    // Series: 1096 days x 3 territories x 20 variables x 8 bytes = 526080 bytes, part of it.
    CHECK(without >= kProcessBaseBytes + 1096ull * 3 * 20 * 8);
    // The agent table adds kAgentRowBytes for every person the bound allows to be identified.
    const double rows = people_bounds(s).identified;
    const double added = static_cast<double>(estimate_run_bytes(s, true) - without);
    CHECK(std::abs(added - rows * kAgentRowBytes) <= 1.0);  // bytes are rounded up once
    // Twice the days: the series term doubles at least.
    Scenario longer = s;
    longer.end = Date{2025, 6, 29};  // 2192 days
    CHECK(estimate_run_bytes(longer, false) - without >= 1096ull * 3 * 20 * 8);
}

TEST_CASE("memory estimate: ordinary scenarios need little") {
    CHECK(estimate_run_bytes(load_scenario(kScenarios + "docking.toml"), true) < 128 * kMiB);
    CHECK(estimate_run_bytes(load_scenario(kScenarios + "dest1.toml"), true) < 128 * kMiB);
    NationalOptions national;  // 1,000 territories, six years, the default eligible total
    const Scenario country = parse_scenario(generate_national(national), "national.toml");
    // The daily series alone: 2192 days x 1000 territories x 20 x 8 bytes = 334 MiB.
    CHECK(estimate_run_bytes(country, false) < 1024 * kMiB);
    CHECK(estimate_run_bytes(country, true) < 2048 * kMiB);
}

TEST_CASE("memory estimate: the validated upper bounds are refused long before they run") {
    // Issue 7 item 13: pool 10^12 and 10^6 coaches validate, and the run ended in bad_alloc.
    Scenario s = load_scenario(
        kScenarios + "docking.toml",
        {"territory.Alpha.pool=1000000000000", "territory.Alpha.coaches=[[2019-07-01, 1000000]]"});
    // 0.12 x 10^6 people identified a day over 1096 days: 1.3e8 agent rows of 112 bytes.
    CHECK(static_cast<double>(estimate_run_bytes(s, true)) > 0.12e6 * 1096 * 112);
    // 3 x 10^7 places and 1.1e7 people waiting (0.12e6 a day for 91 days).
    CHECK(static_cast<double>(estimate_run_bytes(s, false)) >
          3e7 * kActiveBytes + 0.12e6 * 91 * kWaitingBytes);
    // 10^10 identified a day: 9.1e11 people wait (91 days' worth), nearly the whole pool.
    s.parameters.outreach_per_coach = 1e4;
    CHECK(static_cast<double>(estimate_run_bytes(s, false)) > 9.1e11 * kWaitingBytes);
}
