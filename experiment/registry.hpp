#pragma once
// The models a program knows, by name. The program builds it explicitly (apps/models.cpp), so
// sim/ and experiment/ never depend on a model.
#include <memory>
#include <string>
#include <vector>

#include "experiment/model.hpp"

namespace essaim::experiment {

class ModelRegistry {
public:
    void add(std::shared_ptr<const Model> model);  // throws std::logic_error on a duplicate name
    // The model named `name`, or nullptr.
    const Model* find(const std::string& name) const;
    std::vector<std::string> names() const;  // in the order added

private:
    std::vector<std::shared_ptr<const Model>> models_;
};

}  // namespace essaim::experiment
