#pragma once
// Scenarios of the small analytic models (models/analytic): a flat TOML document whose top-level
// keys are the model's parameters (`x1 = 0.5`), plus an optional [scenario] table (name, model,
// seed, description). Read against the model's parameter registry, so that every value is checked
// against its declared type and range with the same located messages as Dest1's scenarios.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "experiment/model.hpp"
#include "sim/toml_document.hpp"

namespace essaim::analytic {

class FlatScenario : public experiment::ModelScenario {
public:
    const std::string& name() const override { return name_; }
    std::uint64_t seed() const override { return seed_; }
    const std::string& source_path() const override { return path_; }
    const std::string& source_text() const override { return text_; }
    std::vector<std::string> units() const override { return {}; }

    double number(const std::string& parameter) const { return numbers_.at(parameter); }
    const std::vector<double>& list(const std::string& parameter) const {
        return lists_.at(parameter);
    }

private:
    friend void set_source_path(FlatScenario&, const std::string&);
    friend std::shared_ptr<FlatScenario> read_flat_scenario(
        const TomlNode&, const std::vector<experiment::ParameterInfo>&, const std::string&);
    std::string name_, text_, path_;
    std::uint64_t seed_ = 0;
    std::map<std::string, double> numbers_;
    std::map<std::string, std::vector<double>> lists_;
};

// Every registry parameter from its key (the registry default when absent). Throws TomlError at
// the offending value: unknown key (with "did you mean"), wrong type, out of range.
std::shared_ptr<FlatScenario> read_flat_scenario(
    const TomlNode& document, const std::vector<experiment::ParameterInfo>& registry,
    const std::string& model);

// Sets the path a scenario was read from (for manifests).
void set_source_path(FlatScenario& scenario, const std::string& path);

// /manifest of a result file of an analytic model: provenance and the scenario.
hdf5::Group write_flat_description(const hdf5::Group& root, const FlatScenario& scenario,
                                   const std::string& model, const experiment::Manifest& manifest);

// The document of a file (or of nothing) with the overrides applied.
TomlNode flat_document(const std::string* path, const std::vector<std::string>& overrides);
// The document of a text with the overrides applied.
TomlNode text_document(const std::string& text, const std::string& source,
                       const std::vector<std::string>& overrides);

}  // namespace essaim::analytic
