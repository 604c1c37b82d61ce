#include "apps/space_setup.hpp"

#include <algorithm>
#include <cmath>

#include "apps/cli.hpp"
#include "apps/cli_common.hpp"
#include "apps/models.hpp"

namespace essaim::cli {

namespace po = boost::program_options;

Setup setup_of(const po::variables_map& vm) {
    Setup s;
    s.path = vm.count("scenario") ? vm["scenario"].as<std::string>() : "";
    if (s.path.empty() && !vm.count("model"))
        throw UsageError("missing SCENARIO (or --model NAME for a model with defaults)");
    s.model =
        &model_named(vm.count("model") ? vm["model"].as<std::string>() : scenario_model(s.path));
    auto overrides = overrides_of(vm);
    if (vm.count("g-a")) {
        if (s.model->name() != "sobol-g") throw UsageError("--g-a is for --model sobol-g");
        overrides.push_back("a=[" + vm["g-a"].as<std::string>() + "]");
    }
    s.base = s.path.empty() ? s.model->load_defaults(overrides) : s.model->load(s.path, overrides);
    if (vm.count("space") && vm.count("params"))
        throw UsageError("give either --space FILE or --params NAME,..., not both");
    if (vm.count("space")) {
        s.space = experiment::read_space_file(vm["space"].as<std::string>(), s.model->parameters());
    } else if (vm.count("params")) {
        s.space =
            experiment::space_of_params(vm["params"].as<std::string>(), s.model->parameters());
    } else {
        // A model whose parameters all have finite ranges (the analytic ones): every parameter
        // the base scenario accepts (sobol-g has as many inputs as coefficients). Dest1's
        // parameters mostly have no upper bound: its space must be given.
        const auto& registry = s.model->parameters();
        const bool bounded = std::all_of(registry.begin(), registry.end(), [](const auto& p) {
            return p.type == experiment::ParameterInfo::Type::list ||
                   p.type == experiment::ParameterInfo::Type::choice ||
                   (std::isfinite(p.min) && std::isfinite(p.max));
        });
        if (!bounded)
            throw UsageError(
                "give the parameters to vary: --space FILE (docs/SENSITIVITY.md) or "
                "--params NAME,... (registry ranges, which must be finite)");
        for (auto& p : experiment::full_space(registry)) {
            try {
                s.model->load_text(s.base->source_text(), s.path, {p.override_at(0.5)});
                s.space.push_back(p);
            } catch (const std::exception&) {
            }
        }
        if (s.space.empty())
            throw UsageError("give the parameters to vary: --space FILE or --params NAME,...");
    }
    return s;
}

}  // namespace essaim::cli
