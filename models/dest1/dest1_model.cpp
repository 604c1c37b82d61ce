#include "models/dest1/dest1_model.hpp"

#include "models/dest1/memory_estimate.hpp"
#include "models/dest1/output_hdf5.hpp"
#include "models/dest1/outputs.hpp"
#include "models/dest1/parameters.hpp"
#include "models/dest1/planned_territories.hpp"
#include "models/dest1/rollout.hpp"
#include "models/dest1/run.hpp"
#include "models/dest1/scenario_toml.hpp"
#include "models/dest1/survival_tally.hpp"
#include "sim/calendar.hpp"
#include "sim/toml_document.hpp"

namespace essaim::dest1 {

std::vector<std::string> Dest1Scenario::units() const {
    std::vector<std::string> names;
    for (const auto& territory : scenario_.territories) names.push_back(territory.name);
    return names;
}

std::vector<std::string> Dest1Scenario::dates() const {
    const Calendar calendar(scenario_.start, scenario_.end);
    std::vector<std::string> out;
    for (int d = 0; d < calendar.n_days(); ++d) out.push_back(to_iso(calendar.date_of(d)));
    return out;
}

namespace {

const Scenario& value_of(const experiment::ModelScenario& scenario) {
    return dynamic_cast<const Dest1Scenario&>(scenario).value();
}

class Dest1Model final : public experiment::Model {
public:
    const std::string& name() const override { return name_; }
    const std::string& description() const override { return description_; }
    const std::vector<experiment::ParameterInfo>& parameters() const override {
        return parameter_registry();
    }
    const std::vector<VariableInfo>& kpis() const override { return kpi_variables(); }
    const std::vector<VariableInfo>& series() const override { return series_variables(); }

    std::shared_ptr<const experiment::ModelScenario> load(
        const std::string& path, const std::vector<std::string>& overrides) const override {
        return std::make_shared<Dest1Scenario>(load_scenario(path, overrides));
    }
    std::shared_ptr<const experiment::ModelScenario> load_defaults(
        const std::vector<std::string>&) const override {
        throw TomlError({"--model", 0, 0}, "",
                        "the dest1 model needs a scenario file (its territories, coaches and "
                        "pools have no defaults): give SCENARIO.toml instead of --model dest1");
    }
    std::shared_ptr<const experiment::ModelScenario> load_text(
        const std::string& text, const std::string& source_name,
        const std::vector<std::string>& overrides) const override {
        Scenario scenario = parse_scenario(text, source_name, overrides);
        scenario.source_path = source_name;
        return std::make_shared<Dest1Scenario>(std::move(scenario));
    }

    experiment::UnitResult run(const experiment::ModelScenario& scenario, std::uint64_t seed,
                               std::uint64_t replication,
                               const experiment::UnitRequest& request) const override {
        const Scenario& s = dynamic_cast<const Dest1Scenario&>(scenario).plan().scenario;
        RunOptions options;
        options.seed = seed;
        options.replication = replication;
        options.record_agents = request.survival;
        options.engine = request.engine == "daily" ? Engine::daily : Engine::event;
        const RunResult result = dest1::run(s, options);
        experiment::UnitResult unit;
        for (const auto& row : result.territory_kpis)
            unit.kpis.insert(unit.kpis.end(), row.begin(), row.end());
        unit.kpis.insert(unit.kpis.end(), result.total_kpis.begin(), result.total_kpis.end());
        if (request.series)
            unit.series.assign(result.series.values().begin(), result.series.values().end());
        if (request.survival)
            unit.survival = survival_tally(s, *result.agents, result.series.n_days());
        unit.agent_days = result.agent_days;
        return unit;
    }

    std::vector<std::string> engines() const override { return {"event", "daily"}; }

    // Counts are summed; effective_contacts is averaged over the people active (outputs.hpp).
    void series_total(std::span<const float> day, std::span<const float> previous,
                      std::span<float> total) const override {
        dest1::series_total(day.data(), previous.empty() ? nullptr : previous.data(),
                            static_cast<int>(day.size() / kSeriesCount), total.data());
    }
    std::string end_key() const override { return "scenario.end"; }

    std::uint64_t estimate_run_bytes(const experiment::ModelScenario& scenario,
                                     const experiment::UnitRequest& request) const override {
        return dest1::estimate_run_bytes(value_of(scenario), request.survival);
    }

    hdf5::Group write_manifest(const hdf5::Group& root, const experiment::ModelScenario& scenario,
                               const experiment::Manifest& manifest) const override {
        const Scenario& s = value_of(scenario);
        return dest1::write_manifest(root, s, manifest, Calendar(s.start, s.end), false);
    }

    void write_units(const hdf5::Group& root,
                     const std::vector<const experiment::ModelScenario*>& points) const override {
        std::vector<const Scenario*> scenarios;
        std::vector<const RolloutPlan*> plans;
        for (const auto* point : points) {
            scenarios.push_back(&value_of(*point));
            plans.push_back(&dynamic_cast<const Dest1Scenario&>(*point).plan());
        }
        write_planned_territories(root, scenarios, plans);
    }

private:
    std::string name_ = "dest1";
    std::string description_ =
        "Dest1: repérage, one referent coach, 15-month parcours, follow-up (../shared/MODEL.md)";
};

}  // namespace

std::shared_ptr<const experiment::Model> make_model() { return std::make_shared<Dest1Model>(); }

}  // namespace essaim::dest1
