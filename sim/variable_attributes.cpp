#include "sim/variable_attributes.hpp"

#include <string>

namespace essaim {
namespace {

std::vector<std::string> column(const std::vector<VariableInfo>& variables,
                                std::string VariableInfo::*field) {
    std::vector<std::string> out;
    out.reserve(variables.size());
    for (const auto& v : variables) out.push_back(v.*field);
    return out;
}

}  // namespace

void describe_variables(const hdf5::Object& object, std::string_view names_attribute,
                        const std::vector<VariableInfo>& variables) {
    object.set_attr_strings(names_attribute, column(variables, &VariableInfo::name));
    object.set_attr_strings("units", column(variables, &VariableInfo::unit));
    object.set_attr_strings("labels_en", column(variables, &VariableInfo::label_en));
    object.set_attr_strings("labels_fr", column(variables, &VariableInfo::label_fr));
}

}  // namespace essaim
