#pragma once
// Dest1 as an experiment::Model: the registry, KPIs and series of this model, scenarios from
// scenario files, and one run per unit (models/dest1/run.hpp).
#include <memory>

#include "experiment/model.hpp"
#include "models/dest1/rollout.hpp"
#include "models/dest1/scenario.hpp"

namespace essaim::dest1 {

// A validated scenario and its roll-out plan: the planning stage runs once, when the scenario
// is made, before any replication (the plan depends on the scenario only), and every replication
// of this design point runs the planned territories.
class Dest1Scenario final : public experiment::ModelScenario {
public:
    explicit Dest1Scenario(Scenario scenario)
        : scenario_(std::move(scenario)), plan_(plan_rollout(scenario_)) {}
    const std::string& name() const override { return scenario_.name; }
    std::uint64_t seed() const override { return scenario_.seed; }
    const std::string& source_path() const override { return scenario_.source_path; }
    const std::string& source_text() const override { return scenario_.source_text; }
    std::vector<std::string> units() const override;
    std::vector<std::string> dates() const override;
    const Scenario& value() const { return scenario_; }  // as declared, candidates included
    const RolloutPlan& plan() const { return plan_; }

private:
    Scenario scenario_;
    RolloutPlan plan_;
};

std::shared_ptr<const experiment::Model> make_model();

}  // namespace essaim::dest1
