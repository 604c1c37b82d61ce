#pragma once
// What the commands over a parameter space share (sa, design, calibrate): the model, the base
// scenario (after --set) and the space (--space FILE, --params NAME,..., or every bounded
// parameter of a small model).
#include <boost/program_options.hpp>
#include <memory>
#include <string>
#include <vector>

#include "experiment/model.hpp"
#include "experiment/parameter_space.hpp"

namespace essaim::cli {

struct Setup {
    const experiment::Model* model = nullptr;
    std::shared_ptr<const experiment::ModelScenario> base;
    std::string path;
    std::vector<experiment::SpaceParameter> space;
};

// From the positional "scenario", --model, --set, --g-a, --space and --params.
Setup setup_of(const boost::program_options::variables_map& vm);

}  // namespace essaim::cli
