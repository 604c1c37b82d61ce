#pragma once
// The models this program knows (experiment::ModelRegistry), built once: the only place where
// the command line names models.
#include "experiment/registry.hpp"

namespace essaim::cli {

const experiment::ModelRegistry& models();

// The model a command is about: --model NAME if given, else the `scenario.model` key of the
// scenario file (following `extends`; "dest1" when absent). Throws UsageError for an unknown
// model, naming the known ones.
const experiment::Model& model_named(const std::string& name);
std::string scenario_model(const std::string& scenario_path);

}  // namespace essaim::cli
