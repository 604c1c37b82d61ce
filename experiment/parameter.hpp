#pragma once
// A model's parameter registry: every parameter a user may set, declared once with where it lives
// in a scenario, its type, unit, default, allowed range and a one-line description in English and
// in French. `essaim describe MODEL` prints it, docs/SCENARIOS.md's parameter table is generated
// from it, and the sensitivity analysis and calibration take their default ranges from it.
#include <string>
#include <vector>

namespace essaim::experiment {

struct ParameterInfo {
    enum class Type { number, integer, choice, boolean, list };

    std::string name;  // registry name, unique within the model: "h0_job", "x1"
    std::string key;   // scenario key path: "hazards.h0_job"
    Type type = Type::number;
    std::string unit;           // "1/day", "persons", "EUR", "" for a pure number
    std::string default_value;  // as TOML text: "0.0222222", "\"integrated\""
    // Allowed range (numbers, integers and each item of a list); for a choice, the spellings.
    double min = 0, max = 0;
    bool min_inclusive = true, max_inclusive = true;
    std::vector<std::string> choices;
    std::string description_en, description_fr;
};

const char* type_name(ParameterInfo::Type type);

// The parameter named `name`, or nullptr.
const ParameterInfo* find_parameter(const std::vector<ParameterInfo>& registry,
                                    const std::string& name);

}  // namespace essaim::experiment
