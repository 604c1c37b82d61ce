#pragma once
// Spending of a run per calendar year and category, from its daily series (MODEL.md §6 costs):
// coaches (headcount x costs.coach_per_year / 365 a day), hubs (costs.hub_fixed_per_year / 365 for
// each day a territory is open) and solutions (costs.solution per barrier resolved).
//
// rollout.budget_per_year is a yearly rate for coaches and hubs (solutions are random, so not
// budgeted): a year's share is budget x (its days within the run) / 365, the whole budget for a
// whole year, 366/365 of it in a leap year (the model charges yearly costs by the day), a part
// of it in the run's first and last years. A year is over budget when its coaches and hubs cost
// more than its share: what the roll-out planner guarantees not to cause.
#include <vector>

#include "models/dest1/rollout.hpp"
#include "models/dest1/scenario.hpp"
#include "sim/daily_series.hpp"

namespace essaim::dest1 {

struct YearSpending {
    int year = 0;
    int days = 0;  // days of this calendar year within the run
    double coaches = 0, hubs = 0, solutions = 0;
    double total() const { return coaches + hubs + solutions; }
    double budget = 0;         // the year's share of rollout.budget_per_year (0: no budget)
    bool over_budget = false;  // coaches + hubs > budget (with a budget)
};

// One entry per calendar year the run touches, in order. `series` is a run's day x territory
// series (outputs.hpp), `openings` its roll-out decisions (one per territory, actual openings).
std::vector<YearSpending> spending_by_year(const Scenario& scenario, const DailySeries& series,
                                           const std::vector<RolloutDecision>& openings);

}  // namespace essaim::dest1
