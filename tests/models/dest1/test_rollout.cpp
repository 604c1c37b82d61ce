// Roll-out of candidate territories (essaimage): the policies of docs/SCENARIOS.md, the budget
// rule, and that a run follows the plan.
#include <doctest/doctest.h>

#include "models/dest1/rollout.hpp"
#include "models/dest1/run.hpp"
#include "tests/models/dest1/scenario_fixtures.hpp"

using namespace essaim;
using namespace essaim::dest1;

namespace {

Territory candidate(const std::string& name, std::int64_t pool, std::vector<int> neighbours = {},
                    std::vector<std::pair<int, double>> ramp = {{0, 1}, {100, 2}}) {
    Territory t;
    t.name = name;
    t.open = Date{2019, 7, 1};
    t.pool = pool;
    t.inflow_per_day = 0.5;
    t.neighbours = std::move(neighbours);
    t.coaches_after_open = std::move(ramp);
    t.candidate = true;
    return t;
}

// Hub "Old" open from the start; candidates A (pool 900, next to Old), B (pool 2000, isolated),
// C (pool 1500, next to A).
Scenario essaimage(RolloutPolicy policy) {
    Scenario s = fixtures::small_scenario();
    s.territories = {
        fixtures::territory("Old", Date{2019, 7, 1}, {{Date{2019, 7, 1}, 2}}, 3000, 1.0, {})};
    s.territories.push_back(candidate("A", 900, {0}));
    s.territories.push_back(candidate("B", 2000));
    s.territories.push_back(candidate("C", 1500, {1}));
    s.rollout.policy = policy;
    s.rollout.start = Date{2020, 7, 1};  // Old has been open 366 >= 270 days: mature
    s.rollout.wave_every_days = 91;
    s.rollout.max_per_wave = 1;
    return s;
}

std::string open_of(const RolloutPlan& plan, int t) {
    return plan.decisions[t].open ? to_iso(*plan.decisions[t].open) : "never";
}

}  // namespace

TEST_CASE("need: largest pool first, one per wave, every 91 days from the roll-out start") {
    const RolloutPlan plan = plan_rollout(essaimage(RolloutPolicy::need));
    CHECK(open_of(plan, 0) == "2019-07-01");
    CHECK(plan.decisions[0].wave == -1);
    CHECK(open_of(plan, 2) == "2020-07-01");  // B, pool 2000
    CHECK(open_of(plan, 3) == "2020-09-30");  // C, pool 1500
    CHECK(open_of(plan, 1) == "2020-12-30");  // A, pool 900
    CHECK(plan.decisions[2].wave == 0);
    CHECK(plan.decisions[1].wave == 2);
    CHECK(plan.decisions[2].reason.find("largest pool") != std::string::npos);
    // The concrete scenario: absolute coach schedules from the ramps, no candidates left.
    const Territory& b = plan.scenario.territories[2];
    CHECK_FALSE(b.candidate);
    CHECK(b.open == Date{2020, 7, 1});
    REQUIRE(b.coaches.size() == 2);
    CHECK(b.coaches[0] == std::pair<Date, double>{Date{2020, 7, 1}, 1.0});
    CHECK(b.coaches[1] == std::pair<Date, double>{Date{2020, 10, 9}, 2.0});  // 100 days later
}

TEST_CASE("proximity: next to a mature hub first, then next to an open hub, then the rest") {
    const RolloutPlan plan = plan_rollout(essaimage(RolloutPolicy::proximity));
    CHECK(open_of(plan, 1) == "2020-07-01");  // A: next to Old, mature
    CHECK(open_of(plan, 3) == "2020-09-30");  // C: next to A, open but not mature
    CHECK(open_of(plan, 2) == "2020-12-30");  // B: isolated, despite the largest pool
    CHECK(plan.decisions[1].reason.find("next to Old") != std::string::npos);
    CHECK(plan.decisions[3].reason.find("not yet mature") != std::string::npos);
    CHECK(plan.decisions[2].reason.find("no open neighbour") != std::string::npos);
}

TEST_CASE(
    "budget: the yearly run-rate never exceeds it; a cheaper candidate may pass a dearer one") {
    Scenario s = essaimage(RolloutPolicy::need);
    s.rollout.max_per_wave = 0;
    // Old: 2 coaches = 2 x 48000 + 60000 = 156000. B and A ramp to 2 coaches (156000 each); C is
    // given a 1-coach ramp (108000).
    s.territories[3].coaches_after_open = {{0, 1}};
    s.rollout.budget_per_year = 156000 + 156000 + 108000;
    const RolloutPlan plan = plan_rollout(s);
    CHECK(open_of(plan, 2) == "2020-07-01");  // B fits
    CHECK(open_of(plan, 3) == "2020-07-01");  // C (cheaper) fits the rest of the budget
    CHECK(open_of(plan, 1) == "never");       // A never fits
    CHECK(plan.decisions[1].reason.find("budget") != std::string::npos);
    CHECK(plan.max_run_rate == doctest::Approx(s.rollout.budget_per_year));
    CHECK(plan.max_run_rate <= s.rollout.budget_per_year);
}

TEST_CASE("dates: candidates open on their own dates, budget only reported") {
    Scenario s = essaimage(RolloutPolicy::dates);
    s.territories[1].open = Date{2021, 1, 1};
    const RolloutPlan plan = plan_rollout(s);
    CHECK(open_of(plan, 1) == "2021-01-01");
    CHECK(plan.scenario.territories[1].coaches.front().first == Date{2021, 1, 1});
    CHECK(plan.max_run_rate == doctest::Approx(4 * 156000.0));
}

TEST_CASE(
    "a run follows the plan: nothing before the decided opening, nothing in a hub never opened") {
    Scenario s = essaimage(RolloutPolicy::need);
    s.rollout.max_per_wave = 0;
    s.territories[3].coaches_after_open = {{0, 1}};
    s.rollout.budget_per_year = 156000 + 156000 + 108000;
    RunOptions options;
    options.seed = 4;
    const RunResult r = run(s, options);
    const Calendar calendar(s.start, s.end);
    const int open_b = calendar.day_of(Date{2020, 7, 1});
    for (int d = 0; d < calendar.n_days(); ++d) {
        CHECK(r.series.row(d, 1)[kCoaches] == 0);  // A never opens
        CHECK(r.series.row(d, 1)[kIdentified] == 0);
        CHECK(r.series.row(d, 2)[kCoaches] == (d < open_b ? 0 : (d < open_b + 100 ? 1 : 2)));
    }
    CHECK(r.territory_kpis[1][kKpiIdentified] == 0);
    CHECK(r.territory_kpis[2][kKpiIdentified] > 0);
    CHECK(r.rollout.size() == 4);
}

TEST_CASE("budget: territories scheduled to open later are committed from the first wave") {
    // Issue 7 item 17: a wave counted only the hubs already open, so a candidate took the room of
    // a territory the scenario opens later, and the run-rate then passed the budget.
    Scenario s = essaimage(RolloutPolicy::need);
    s.rollout.max_per_wave = 0;
    // Late: scheduled on 2021-01-01 with 2 coaches, 2 x 48000 + 60000 = 156000 a year.
    s.territories.push_back(
        fixtures::territory("Late", Date{2021, 1, 1}, {{Date{2021, 1, 1}, 2}}, 1000, 0.5, {}));
    // Old 156000 + Late 156000 leave room for one candidate ramping to 2 coaches (156000).
    s.rollout.budget_per_year = 3 * 156000.0;
    CHECK(scheduled_run_rate(s) == doctest::Approx(2 * 156000.0));
    const RolloutPlan plan = plan_rollout(s);
    CHECK(open_of(plan, 2) == "2020-07-01");  // B, the largest pool
    CHECK(open_of(plan, 3) == "never");       // C would have fitted before Late opened
    CHECK(open_of(plan, 1) == "never");
    CHECK(open_of(plan, 4) == "2021-01-01");
    CHECK(plan.max_run_rate == doctest::Approx(3 * 156000.0));
    CHECK(plan.decisions[3].reason.find("committed run-rate 468000 EUR + 156000 EUR") !=
          std::string::npos);
    CHECK(plan.decisions[2].reason.find("committed run-rate 468000 EUR of 468000 EUR") !=
          std::string::npos);
}

TEST_CASE("budget: a decided ramp is committed at its maximum before it is reached") {
    Scenario s = essaimage(RolloutPolicy::need);
    s.rollout.max_per_wave = 1;
    // B opens in wave 0 with 1 coach, 3 after 300 days (3 x 48000 + 60000 = 204000 a year).
    s.territories[2].coaches_after_open = {{0, 1}, {300, 3}};
    // Old 156000 + B 204000 = 360000; C (156000) needs 516000, A (156000) too.
    s.rollout.budget_per_year = 515999;
    const RolloutPlan plan = plan_rollout(s);
    CHECK(open_of(plan, 2) == "2020-07-01");
    CHECK(open_of(plan, 3) == "never");  // in wave 1, B still has 1 coach: 264000 + 156000 fits
    CHECK(open_of(plan, 1) == "never");
}

TEST_CASE("budget: when the scheduled territories leave no room, the plan says so") {
    Scenario s = essaimage(RolloutPolicy::proximity);
    s.territories[3].coaches_after_open = {{0, 1}};  // C: 108000, the cheapest candidate
    // Old alone commits 156000; the cheapest candidate needs 108000 more: 264000 opens one.
    s.rollout.budget_per_year = 263999;
    const auto why = budget_opens_nothing(s);
    REQUIRE(why.has_value());
    CHECK(why->find("cannot open any candidate") != std::string::npos);
    CHECK(why->find("156000 EUR") != std::string::npos);
    CHECK(why->find("108000 EUR") != std::string::npos);
    CHECK(why->find("264000 EUR") != std::string::npos);
    const RolloutPlan plan = plan_rollout(s);
    for (int t = 1; t <= 3; ++t) {
        CHECK(open_of(plan, t) == "never");
        CHECK(plan.decisions[t].reason.find("cannot open any candidate") != std::string::npos);
    }
    s.rollout.budget_per_year = 264000;  // exactly enough for C
    CHECK_FALSE(budget_opens_nothing(s).has_value());
    CHECK(open_of(plan_rollout(s), 3) != "never");
    s.rollout.budget_per_year = 0;  // no budget: nothing to say
    CHECK_FALSE(budget_opens_nothing(s).has_value());
    s.rollout.budget_per_year = 1;
    s.rollout.policy = RolloutPolicy::dates;  // the budget is only reported under "dates"
    CHECK_FALSE(budget_opens_nothing(s).has_value());
}

TEST_CASE("scheduled run-rate: only openings within the run count") {
    Scenario s = essaimage(RolloutPolicy::need);
    s.territories.push_back(
        fixtures::territory("After", Date{2022, 7, 1}, {{Date{2022, 7, 1}, 5}}, 1000, 0.5, {}));
    CHECK(scheduled_run_rate(s) == doctest::Approx(156000.0));  // Old only; the run ends 2022-06-30
    s.rollout.policy = RolloutPolicy::dates;  // candidates then open on their own dates
    CHECK(scheduled_run_rate(s) == doctest::Approx(4 * 156000.0));
}
