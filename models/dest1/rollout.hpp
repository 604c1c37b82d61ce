#pragma once
// Roll-out of new territories (essaimage): the opening date of every candidate territory under the
// scenario's policy, decided before the run (it depends on pools, the territory graph, schedules
// and the budget, none of which is random), with the reason for each decision.
#include <optional>
#include <string>
#include <vector>

#include "models/dest1/scenario.hpp"

namespace essaim::dest1 {

struct RolloutDecision {
    int territory = 0;
    std::optional<Date> open;  // nullopt: not opened within the run
    int wave = -1;             // wave number (0, 1, ...), -1 for a scheduled opening
    std::string reason;
};

struct RolloutPlan {
    Scenario scenario;  // every territory with a concrete `open` date and absolute `coaches`
    std::vector<RolloutDecision> decisions;  // one per territory, in scenario order
    double max_run_rate = 0;  // highest yearly run-rate cost of coaches and hubs reached
};

// A territory's yearly run-rate cost once fully staffed: coaches at the maximum of its schedule
// and the hub's fixed cost.
double run_rate_cost(const Scenario& scenario, const Territory& territory);

// The yearly run-rate the scenario commits before any wave: every territory whose opening the
// scenario fixes (non-candidates, and candidates under the "dates" policy) within the run, at its
// scheduled maximum, whether it has opened yet or not.
double scheduled_run_rate(const Scenario& scenario);

// Why `rollout.budget_per_year` cannot open any candidate at all under a wave policy (the
// scheduled territories and the cheapest candidate together cost more), as a sentence for the
// run's reasons and summary; nullopt when at least one candidate fits, or there is no budget,
// no candidate or no wave policy.
std::optional<std::string> budget_opens_nothing(const Scenario& scenario);

// Under "need" and "proximity", a candidate opens at a wave only if the committed run-rate (the
// scheduled territories and every candidate already decided, each at its scheduled maximum from
// the day it is decided, including ramps not yet reached) plus its own stays within the budget.
RolloutPlan plan_rollout(const Scenario& scenario);

}  // namespace essaim::dest1
