#include "experiment/parameter.hpp"

namespace essaim::experiment {

const char* type_name(ParameterInfo::Type type) {
    switch (type) {
        case ParameterInfo::Type::number:
            return "number";
        case ParameterInfo::Type::integer:
            return "integer";
        case ParameterInfo::Type::choice:
            return "choice";
        case ParameterInfo::Type::boolean:
            return "boolean";
        case ParameterInfo::Type::list:
            return "list of numbers";
    }
    return "?";
}

const ParameterInfo* find_parameter(const std::vector<ParameterInfo>& registry,
                                    const std::string& name) {
    for (const auto& parameter : registry)
        if (parameter.name == name) return &parameter;
    return nullptr;
}

}  // namespace essaim::experiment
