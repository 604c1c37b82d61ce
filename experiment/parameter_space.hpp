#pragma once
// Parameter spaces of sensitivity analyses and calibrations: which parameters vary and how
// (docs/SENSITIVITY.md). A space file lists parameters by registry name or key path, each with a
// distribution; `--params NAME,...` takes registry parameters on their allowed ranges, uniform.
// A point of the unit hypercube maps to one value per parameter, written as scenario overrides.
//
//   [[parameter]]
//   key = "hazards.h0_job"      # or: name = "h0_job" (the model's registry)
//   distribution = "uniform"    # uniform | log-uniform | triangular | normal | choice
//   min = 0.015
//   max = 0.035
#include <string>
#include <vector>

#include "experiment/parameter.hpp"
#include "sim/toml_document.hpp"

namespace essaim::experiment {

struct SpaceParameter {
    enum class Distribution { uniform, log_uniform, triangular, normal, choice };

    std::string name;  // the registry name, or the key when the registry has none
    std::string key;   // scenario key path; may hold `*` segments for a family
    Distribution distribution = Distribution::uniform;
    double min = 0, max = 1;
    double mode = 0;                  // triangular
    double mean = 0, sd = 1;          // normal, truncated to [min, max]
    std::vector<std::string> values;  // choice: TOML texts
    bool integer = false;             // the registry says integer: values are rounded
    // A family: the value multiplies every number under `key` (e.g. every territory's coach
    // headcounts: key = "territory.*.coaches", scale = true).
    bool scale = false;

    // The value at u in (0, 1) (the inverse of the distribution function), as TOML text.
    std::string value_at(double u) const;
    // The same as a number (choice: the index of the value).
    double number_at(double u) const;
    // The override that sets it: "key=value", or "key*=factor" for a family.
    std::string override_at(double u) const;
};

const char* distribution_name(SpaceParameter::Distribution distribution);

// A space file, checked against `registry` (names, keys, ranges): errors are TomlErrors located
// at file:line:column with the key and what was expected.
std::vector<SpaceParameter> read_space_file(const std::string& path,
                                            const std::vector<ParameterInfo>& registry);
std::vector<SpaceParameter> read_space_text(const std::string& text, const std::string& source,
                                            const std::vector<ParameterInfo>& registry);

// `--params h0_job,hazards.h0_drop,...`: each by registry name or key, uniform on its registry
// range (which must be finite). Throws TomlError located at "--params".
std::vector<SpaceParameter> space_of_params(const std::string& list,
                                            const std::vector<ParameterInfo>& registry);

// Every parameter of a registry with a finite range (the default space of a model such as
// ishigami or sobol-g).
std::vector<SpaceParameter> full_space(const std::vector<ParameterInfo>& registry);

}  // namespace essaim::experiment
