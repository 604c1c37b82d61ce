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

RolloutPlan plan_rollout(const Scenario& scenario);

}  // namespace essaim::dest1
