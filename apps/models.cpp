#include "apps/models.hpp"

#include "apps/cli.hpp"
#include "models/analytic/analytic.hpp"
#include "models/dest1/dest1_model.hpp"
#include "sim/toml_document.hpp"

namespace essaim::cli {

const experiment::ModelRegistry& models() {
    static const experiment::ModelRegistry registry = [] {
        experiment::ModelRegistry r;
        r.add(dest1::make_model());
        r.add(analytic::make_ishigami());
        r.add(analytic::make_sobol_g());
        r.add(analytic::make_binomial());
        return r;
    }();
    return registry;
}

const experiment::Model& model_named(const std::string& name) {
    if (const experiment::Model* model = models().find(name)) return *model;
    std::string known;
    for (const auto& n : models().names()) known += (known.empty() ? "" : ", ") + n;
    std::string message = "unknown model '" + name + "' (known: " + known + ")";
    if (auto best = closest_name(name, models().names()))
        message =
            "unknown model '" + name + "', did you mean '" + *best + "'? (known: " + known + ")";
    throw UsageError(message);
}

std::string scenario_model(const std::string& scenario_path) {
    const TomlNode document = load_toml_file(scenario_path);
    const TomlNode* scenario = document.find("scenario");
    const TomlNode* model = scenario && scenario->is_table() ? scenario->find("model") : nullptr;
    return model && model->kind == TomlNode::Kind::string ? model->text : "dest1";
}

}  // namespace essaim::cli
