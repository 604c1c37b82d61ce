#pragma once
// Dest1's parameter registry (experiment/parameter.hpp): every model-wide parameter of a scenario
// with its key, unit, MODEL.md default, the range validation accepts and a description in English
// and in French. Per-territory keys (pools, coaches...), sectors and crisis periods are
// scenario-specific and not listed; their key paths are documented in docs/SCENARIOS.md.
#include <vector>

#include "experiment/parameter.hpp"

namespace essaim::dest1 {

const std::vector<experiment::ParameterInfo>& parameter_registry();

}  // namespace essaim::dest1
