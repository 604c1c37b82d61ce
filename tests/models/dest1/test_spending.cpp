// Spending per calendar year and category (models/dest1/spending.hpp), against hand computations.
#include <doctest/doctest.h>

#include <stdexcept>

#include "models/dest1/run.hpp"
#include "models/dest1/spending.hpp"
#include "tests/models/dest1/scenario_fixtures.hpp"

using namespace essaim;
using namespace essaim::dest1;

namespace {

// 2019-12-30 .. 2021-01-02: 2 days of 2019, the 366 days of 2020 (a leap year), 2 days of 2021.
// Costs chosen so that a coach costs 100 EUR a day and a hub 50 EUR a day.
Scenario two_year_ends() {
    Scenario s = fixtures::small_scenario();
    s.start = Date{2019, 12, 30};
    s.end = Date{2021, 1, 2};
    s.parameters.coach_cost_per_year = 36500;
    s.parameters.hub_fixed_cost_per_year = 18250;
    s.parameters.solution_cost = 400;
    s.territories.resize(3);
    return s;
}

std::vector<RolloutDecision> openings(std::optional<Date> a, std::optional<Date> b,
                                      std::optional<Date> c) {
    return {{0, a, -1, ""}, {1, b, -1, ""}, {2, c, -1, ""}};
}

}  // namespace

TEST_CASE("spending: coaches, hubs and solutions per calendar year, by hand") {
    const Scenario s = two_year_ends();
    const Calendar calendar(s.start, s.end);
    REQUIRE(calendar.n_days() == 370);
    DailySeries series(calendar.n_days(), 3, series_variables());
    // A: open from the start with 2 coaches; B: opens on 2020-12-31 with 1 coach; C never opens.
    const int b_open = calendar.day_of(Date{2020, 12, 31});
    for (int d = 0; d < calendar.n_days(); ++d) {
        series.at(d, 0, kCoaches) = 2;
        if (d >= b_open) series.at(d, 1, kCoaches) = 1;
    }
    series.at(0, 0, kBarriersResolved) = 3;
    series.at(calendar.day_of(Date{2020, 6, 1}), 0, kBarriersResolved) = 2;
    series.at(calendar.last_day(), 1, kBarriersResolved) = 1;

    const auto years =
        spending_by_year(s, series, openings(s.start, Date{2020, 12, 31}, std::nullopt));
    REQUIRE(years.size() == 3);
    CHECK(years[0].year == 2019);
    CHECK(years[0].days == 2);
    CHECK(years[0].coaches == doctest::Approx(2 * 200));
    CHECK(years[0].hubs == doctest::Approx(2 * 50));
    CHECK(years[0].solutions == doctest::Approx(3 * 400));
    CHECK(years[0].total() == doctest::Approx(1700));
    CHECK(years[1].year == 2020);
    CHECK(years[1].days == 366);
    CHECK(years[1].coaches == doctest::Approx(366 * 200 + 1 * 100));
    CHECK(years[1].hubs == doctest::Approx(366 * 50 + 1 * 50));  // C, never open, costs nothing
    CHECK(years[1].solutions == doctest::Approx(2 * 400));
    CHECK(years[2].year == 2021);
    CHECK(years[2].days == 2);
    CHECK(years[2].coaches == doctest::Approx(2 * 200 + 2 * 100));
    CHECK(years[2].hubs == doctest::Approx(2 * 50 + 2 * 50));
    CHECK(years[2].solutions == doctest::Approx(400));
    for (const auto& year : years) CHECK_FALSE(year.over_budget);  // no budget
}

TEST_CASE("spending: a year is over budget when its coaches and hubs exceed its share") {
    Scenario s = two_year_ends();
    const Calendar calendar(s.start, s.end);
    DailySeries series(calendar.n_days(), 3, series_variables());
    for (int d = 0; d < calendar.n_days(); ++d) series.at(d, 0, kCoaches) = 2;
    series.at(10, 0, kBarriersResolved) = 5;
    const auto open = openings(s.start, std::nullopt, std::nullopt);
    // A costs 2 x 100 + 50 = 250 EUR a day: a yearly run-rate of 91250 EUR.
    s.rollout.budget_per_year = 91250;
    auto years = spending_by_year(s, series, open);
    // Shares: 2 days of 2019 -> 500; leap 2020 -> 91250 x 366 / 365 = 91500; 2 days of 2021 -> 500.
    CHECK(years[0].budget == doctest::Approx(500));
    CHECK(years[1].budget == doctest::Approx(91500));
    CHECK(years[2].budget == doctest::Approx(500));
    CHECK(years[1].coaches + years[1].hubs == doctest::Approx(91500));  // above 91250 itself
    for (const auto& year : years) CHECK_FALSE(year.over_budget);       // a run-rate at the budget
    // Solutions are not budgeted: 2020 spends 91500 + 2000, still within its share.
    CHECK(years[1].total() == doctest::Approx(93500));
    s.rollout.budget_per_year = 91249;  // one euro a year less: every year, partial ones too
    years = spending_by_year(s, series, open);
    for (const auto& year : years) CHECK(year.over_budget);
    s.rollout.budget_per_year = 0;  // no budget: no share, no flag
    years = spending_by_year(s, series, open);
    CHECK(years[1].budget == 0);
    CHECK_FALSE(years[1].over_budget);
}

TEST_CASE("spending: the years add up to the run's total cost") {
    const Scenario s = fixtures::small_scenario();
    RunOptions options;
    options.seed = 3;
    const RunResult r = run(s, options);
    const auto years = spending_by_year(s, r.series, r.rollout);
    REQUIRE(years.size() == 4);  // 2019-07-01 .. 2022-06-30
    CHECK(years.front().year == 2019);
    CHECK(years.front().days == 184);
    CHECK(years.back().days == 181);
    double total = 0, solutions = 0;
    for (const auto& year : years) total += year.total(), solutions += year.solutions;
    CHECK(total == doctest::Approx(r.total_kpis[kKpiTotalCost]).epsilon(1e-12));
    CHECK(solutions > 0);
    // Hubs by hand: Alpha open 1096 days, Beta and Gamma from 2020-07-01 (730 days each).
    double hubs = 0;
    for (const auto& year : years) hubs += year.hubs;
    CHECK(hubs == doctest::Approx((1096 + 2 * 730) * 60000.0 / 365));
}

TEST_CASE("spending: refuses decisions that do not match the territories") {
    const Scenario s = two_year_ends();
    const DailySeries series(Calendar(s.start, s.end).n_days(), 3, series_variables());
    CHECK_THROWS_AS(spending_by_year(s, series, {}), std::invalid_argument);
}
