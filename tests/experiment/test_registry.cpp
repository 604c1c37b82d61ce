#include <doctest/doctest.h>

#include <stdexcept>

#include "experiment/registry.hpp"

using namespace essaim;
using namespace essaim::experiment;

namespace {

// The smallest model: enough to register and look up.
class Named final : public Model {
public:
    explicit Named(std::string name) : name_(std::move(name)) {}
    const std::string& name() const override { return name_; }
    const std::string& description() const override { return name_; }
    const std::vector<ParameterInfo>& parameters() const override { return parameters_; }
    const std::vector<VariableInfo>& kpis() const override { return variables_; }
    const std::vector<VariableInfo>& series() const override { return variables_; }
    std::shared_ptr<const ModelScenario> load(const std::string&,
                                              const std::vector<std::string>&) const override {
        return nullptr;
    }
    std::shared_ptr<const ModelScenario> load_defaults(
        const std::vector<std::string>&) const override {
        return nullptr;
    }
    std::shared_ptr<const ModelScenario> load_text(const std::string&, const std::string&,
                                                   const std::vector<std::string>&) const override {
        return nullptr;
    }
    UnitResult run(const ModelScenario&, std::uint64_t, std::uint64_t,
                   const UnitRequest&) const override {
        return {};
    }
    hdf5::Group write_manifest(const hdf5::Group& root, const ModelScenario&,
                               const Manifest&) const override {
        return root.create_group("manifest");
    }

private:
    std::string name_;
    std::vector<ParameterInfo> parameters_;
    std::vector<VariableInfo> variables_;
};

}  // namespace

TEST_CASE("experiment: the model registry finds models by name, in the order added") {
    ModelRegistry registry;
    registry.add(std::make_shared<Named>("b"));
    registry.add(std::make_shared<Named>("a"));
    CHECK(registry.names() == std::vector<std::string>{"b", "a"});
    REQUIRE(registry.find("a") != nullptr);
    CHECK(registry.find("a")->name() == "a");
    CHECK(registry.find("c") == nullptr);
    CHECK_THROWS_AS(registry.add(std::make_shared<Named>("a")), std::logic_error);
}

TEST_CASE("experiment: find_parameter and type names") {
    std::vector<ParameterInfo> registry(2);
    registry[0].name = "x1";
    registry[1].name = "h0_job";
    registry[1].type = ParameterInfo::Type::choice;
    REQUIRE(find_parameter(registry, "h0_job") != nullptr);
    CHECK(find_parameter(registry, "h0_job")->type == ParameterInfo::Type::choice);
    CHECK(find_parameter(registry, "x2") == nullptr);
    CHECK(std::string(type_name(ParameterInfo::Type::number)) == "number");
    CHECK(std::string(type_name(ParameterInfo::Type::list)) == "list of numbers");
}
