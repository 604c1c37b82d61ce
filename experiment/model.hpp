#pragma once
// The model interface: what every model gives the experiment engine (ensembles, comparisons,
// sweeps, sensitivity analysis, calibration), which is written once against it. A model is a
// description (name, parameter registry, KPIs, daily series), a way to turn a scenario file or
// overrides into a validated immutable scenario, and one pure function: run(scenario, seed,
// replication) -> unit result. The engine never knows which model it runs.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "experiment/manifest.hpp"
#include "experiment/parameter.hpp"
#include "experiment/unit_result.hpp"
#include "sim/daily_series.hpp"
#include "sim/hdf5_file.hpp"

namespace essaim::experiment {

// A model's validated, immutable scenario. Each model derives its own (Dest1: territories,
// hazards, crises...); the engine only needs what is common.
class ModelScenario {
public:
    virtual ~ModelScenario() = default;
    virtual const std::string& name() const = 0;
    virtual std::uint64_t seed() const = 0;
    // The file it was read from ("" when built from overrides or text alone).
    virtual const std::string& source_path() const = 0;
    // The effective document (after `extends` and overrides) as TOML: stored in manifests and
    // part of an experiment's fingerprint.
    virtual const std::string& source_text() const = 0;
    // Rows of the KPI table before the total row: Dest1's territories; none for a model whose
    // KPIs exist only in total.
    virtual std::vector<std::string> units() const = 0;
    // ISO dates of the days of the daily series (empty for a model without series).
    virtual std::vector<std::string> dates() const { return {}; }
};

class Model {
public:
    virtual ~Model() = default;

    virtual const std::string& name() const = 0;
    virtual const std::string& description() const = 0;
    virtual const std::vector<ParameterInfo>& parameters() const = 0;
    virtual const std::vector<VariableInfo>& kpis() const = 0;
    virtual const std::vector<VariableInfo>& series() const = 0;  // empty when none

    // A scenario file (its `extends` followed), then each "key.path=value" override, validated.
    // Bad input throws TomlError (or a model's own located error derived from std::runtime_error
    // that the command line reports as bad input).
    virtual std::shared_ptr<const ModelScenario> load(
        const std::string& path, const std::vector<std::string>& overrides) const = 0;
    // The model's defaults with the overrides, for `--model NAME` without a scenario file. A
    // model whose scenarios need a file (Dest1: territories) throws TomlError saying so.
    virtual std::shared_ptr<const ModelScenario> load_defaults(
        const std::vector<std::string>& overrides) const = 0;

    // The same from the text of an effective document (a scenario's source_text(), as stored in
    // a manifest or a unit store): resuming and merging rebuild the scenario from it.
    virtual std::shared_ptr<const ModelScenario> load_text(
        const std::string& text, const std::string& source_name,
        const std::vector<std::string>& overrides = {}) const = 0;

    // One run: a pure function of (scenario, seed, replication); `scenario` was made by this
    // model's load().
    virtual UnitResult run(const ModelScenario& scenario, std::uint64_t seed,
                           std::uint64_t replication, const UnitRequest& request) const = 0;

    // The scenario key of the run's last day (Dest1: "scenario.end"), which a calibration sets to
    // cut runs at the date a figure was observed; "" for a model without dates. Setting it to an
    // earlier date must leave every day before it unchanged (the run is causal).
    virtual std::string end_key() const { return ""; }

    // The total row of one day of the daily series, which ensembles report beside the units:
    // `day` holds the units' values of the day (unit x variable), `previous` those of the day
    // before (empty on day 0), `total` receives one value per variable. By default each
    // variable's sum over the units, in unit order (a model whose variables are not all counts,
    // such as a mean per person, says how its total is formed).
    virtual void series_total(std::span<const float> day, std::span<const float> previous,
                              std::span<float> total) const {
        (void)previous;
        std::fill(total.begin(), total.end(), 0.0f);
        for (std::size_t i = 0; i < day.size(); ++i) total[i % total.size()] += day[i];
    }

    // The engines run() accepts in UnitRequest::engine ("" always: the default).
    virtual std::vector<std::string> engines() const { return {}; }

    // An upper estimate of one run's peak memory, to refuse experiments that cannot fit.
    virtual std::uint64_t estimate_run_bytes(const ModelScenario&, const UnitRequest&) const {
        return 64ull << 20;
    }

    // Writes /manifest (provenance and the scenario) into a result file; returns it, to which
    // the file's kind adds its own attributes.
    virtual hdf5::Group write_manifest(const hdf5::Group& root, const ModelScenario& scenario,
                                       const Manifest& manifest) const = 0;
    // Writes what describes the scenarios' units (Dest1: /territories and /rollout), for the one
    // scenario of an ensemble or the points of a sweep (which share their units).
    virtual void write_units(const hdf5::Group&, const std::vector<const ModelScenario*>&) const {}
};

}  // namespace essaim::experiment
