#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <sstream>

#include "models/dest1/parameters.hpp"
#include "models/dest1/scenario_toml.hpp"

using namespace essaim;
using essaim::experiment::ParameterInfo;

namespace {

const std::string kDocking = std::string(ESSAIM_SOURCE_DIR) + "/scenarios/docking.toml";

std::string text(double value) {
    std::ostringstream out;
    out.precision(17);
    out << value;
    std::string s = out.str();
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
}

// Whether docking.toml with key=value validates; a refusal must name the key.
bool accepted(const ParameterInfo& p, const std::string& value) {
    try {
        dest1::load_scenario(kDocking, {p.key + "=" + value});
        return true;
    } catch (const dest1::ScenarioError& e) {
        CHECK_MESSAGE(e.key().find(p.key) != std::string::npos, p.key << ": " << e.what());
        return false;
    }
}

}  // namespace

TEST_CASE("dest1 registry: names and keys are unique") {
    std::set<std::string> names, keys;
    for (const auto& p : dest1::parameter_registry()) {
        CHECK_MESSAGE(names.insert(p.name).second, p.name);
        CHECK_MESSAGE(keys.insert(p.key).second, p.key);
        CHECK_MESSAGE(!p.description_en.empty(), p.name);
        CHECK_MESSAGE(!p.description_fr.empty(), p.name);
    }
    CHECK(names.count("h0_job") == 1);
    CHECK(names.count("outreach_per_coach") == 1);
}

TEST_CASE("dest1 registry: defaults are MODEL.md's and ranges are the loader's") {
    const dest1::Parameters reference;
    CHECK(std::stod(
              experiment::find_parameter(dest1::parameter_registry(), "h0_job")->default_value) ==
          reference.h0_job);
    CHECK(experiment::find_parameter(dest1::parameter_registry(), "parcours_days")->default_value ==
          "456");
    for (const auto& p : dest1::parameter_registry()) {
        if (p.type == ParameterInfo::Type::choice) {
            for (const auto& choice : p.choices) CHECK(accepted(p, "\"" + choice + "\""));
            CHECK_FALSE(accepted(p, "\"no-such-choice\""));
            continue;
        }
        // Shares must sum to 1 with their siblings: their range is checked alone elsewhere.
        if (p.key.starts_with("profile.")) continue;
        const bool integer = p.type == ParameterInfo::Type::integer;
        auto spelled = [&](double x) {
            return integer ? std::to_string(static_cast<long long>(x)) : text(x);
        };
        CHECK_MESSAGE(accepted(p, p.default_value), p.key);
        CHECK_MESSAGE(accepted(p, spelled(p.min)) == p.min_inclusive, p.key << " at its minimum");
        const double below = integer ? p.min - 1 : p.min - std::max(1e-9, std::abs(p.min) * 1e-9);
        CHECK_MESSAGE(!accepted(p, spelled(below)), p.key << " below its minimum");
        if (std::isfinite(p.max)) {
            CHECK_MESSAGE(accepted(p, spelled(p.max)), p.key << " at its maximum");
            const double above = integer ? p.max + 1 : p.max * (1 + 1e-9) + 1e-9;
            CHECK_MESSAGE(!accepted(p, spelled(above)), p.key << " above its maximum");
        }
    }
}
