#include "experiment/registry.hpp"

#include <stdexcept>

namespace essaim::experiment {

void ModelRegistry::add(std::shared_ptr<const Model> model) {
    if (find(model->name()) != nullptr)
        throw std::logic_error("model '" + model->name() + "' registered twice");
    models_.push_back(std::move(model));
}

const Model* ModelRegistry::find(const std::string& name) const {
    for (const auto& model : models_)
        if (model->name() == name) return model.get();
    return nullptr;
}

std::vector<std::string> ModelRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& model : models_) out.push_back(model->name());
    return out;
}

}  // namespace essaim::experiment
