#pragma once
// How a result file describes the variables of an array: parallel string-array attributes of
// names, units and English and French labels, from the VariableInfo lists declared once by each
// model. Every writer (run, ensemble, sweep, sensitivity files) uses this one.
#include <string_view>
#include <vector>

#include "sim/daily_series.hpp"
#include "sim/hdf5_file.hpp"

namespace essaim {

// Attributes `names_attribute` (e.g. "kpis", "variables"), "units", "labels_en", "labels_fr".
void describe_variables(const hdf5::Object& object, std::string_view names_attribute,
                        const std::vector<VariableInfo>& variables);

}  // namespace essaim
