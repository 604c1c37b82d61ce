#include "experiment/parameter_space.hpp"

#include <algorithm>
#include <array>
#include <boost/math/distributions/normal.hpp>
#include <charconv>
#include <cmath>
#include <sstream>

namespace essaim::experiment {
namespace {

using Distribution = SpaceParameter::Distribution;
using Kind = TomlNode::Kind;

constexpr std::array<const char*, 5> kDistributionNames{"uniform", "log-uniform", "triangular",
                                                        "normal", "choice"};

std::string number_text(double value, bool integer) {
    if (integer) return std::to_string(static_cast<long long>(std::llround(value)));
    char buffer[32];
    std::string text(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
    if (text.find_first_of(".e") == std::string::npos && text.find("inf") == std::string::npos)
        text += ".0";
    return text;
}

double number_of(const TomlNode& node, const std::string& key) {
    if (!node.is_number())
        throw TomlError(node.where, key, "expected a number, got " + node.describe());
    return node.kind == Kind::integer ? static_cast<double>(node.integer) : node.floating;
}

// The registry entry a space parameter names (by name or by key), if any.
const ParameterInfo* registry_entry(const std::vector<ParameterInfo>& registry,
                                    const std::string& name_or_key) {
    for (const auto& p : registry)
        if (p.name == name_or_key || p.key == name_or_key) return &p;
    return nullptr;
}

[[noreturn]] void unknown(const SourcePosition& where, const std::string& key,
                          const std::string& name, const std::vector<ParameterInfo>& registry) {
    std::vector<std::string> candidates;
    for (const auto& p : registry) {
        candidates.push_back(p.name);
        candidates.push_back(p.key);
    }
    std::string message = "no parameter '" + name + "' in the model's registry (essaim describe)";
    if (auto best = closest_name(name, candidates)) message += ", did you mean '" + *best + "'?";
    throw TomlError(where, key, message);
}

// Checks that [min, max] lies within what the registry allows for `p`.
void check_within(const ParameterInfo* p, double min, double max, const SourcePosition& where,
                  const std::string& key) {
    if (p == nullptr || p->type == ParameterInfo::Type::choice) return;
    const bool low_ok = p->min_inclusive ? min >= p->min : min > p->min;
    const bool high_ok = p->max_inclusive ? max <= p->max : max < p->max;
    if (!low_ok || !high_ok) {
        std::ostringstream range;
        range << (p->min_inclusive ? "[" : "(") << p->min << ", " << p->max
              << (p->max_inclusive ? "]" : ")");
        throw TomlError(where, key,
                        "expected a range within " + range.str() + " (the allowed range of " +
                            p->name + "), got [" + number_text(min, false) + ", " +
                            number_text(max, false) + "]");
    }
}

SpaceParameter read_parameter(const TomlNode& table, const std::string& path,
                              const std::vector<ParameterInfo>& registry) {
    if (!table.is_table())
        throw TomlError(table.where, path, "expected a table, got " + table.describe());
    static const std::vector<std::string> keys{"name", "key",  "distribution", "min",    "max",
                                               "mode", "mean", "sd",           "values", "scale"};
    for (const TomlNode& m : table.members)
        if (std::find(keys.begin(), keys.end(), m.key) == keys.end()) {
            std::string message = "unknown key";
            if (auto best = closest_name(m.key, keys)) message += ", did you mean '" + *best + "'?";
            throw TomlError(m.key_where, path + "." + m.key, message);
        }
    const TomlNode* name = table.find("name");
    const TomlNode* key = table.find("key");
    if ((name == nullptr) == (key == nullptr))
        throw TomlError(table.where, path,
                        "give either name (a registry name) or key (a key path)");
    const TomlNode& id = name ? *name : *key;
    if (id.kind != Kind::string || id.text.empty())
        throw TomlError(id.where, path + (name ? ".name" : ".key"),
                        "expected a non-empty string, got " + id.describe());
    SpaceParameter p;
    const ParameterInfo* entry = registry_entry(registry, id.text);
    const bool family = id.text.find('*') != std::string::npos;
    if (name && !entry) unknown(id.where, path + ".name", id.text, registry);
    if (key && !entry && !family && !registry.empty() && id.text.find('.') == std::string::npos)
        unknown(id.where, path + ".key", id.text, registry);
    p.name = entry ? entry->name : id.text;
    p.key = entry ? entry->key : id.text;
    p.integer = entry && entry->type == ParameterInfo::Type::integer;
    if (const TomlNode* scale = table.find("scale")) {
        if (scale->kind != Kind::boolean)
            throw TomlError(scale->where, path + ".scale",
                            "expected true or false, got " + scale->describe());
        p.scale = scale->boolean;
    }
    if (family && !p.scale)
        throw TomlError(id.where, path + ".key",
                        "a key with `*` names a family: add scale = true (its values are "
                        "multiplied by the parameter)");
    const TomlNode* distribution = table.find("distribution");
    std::string spelled = distribution ? distribution->text : "uniform";
    if (distribution && distribution->kind != Kind::string) spelled = "?";
    const auto it = std::find(kDistributionNames.begin(), kDistributionNames.end(), spelled);
    if (it == kDistributionNames.end())
        throw TomlError(distribution->where, path + ".distribution",
                        "expected \"uniform\", \"log-uniform\", \"triangular\", \"normal\" or "
                        "\"choice\", got " +
                            distribution->describe());
    p.distribution = static_cast<Distribution>(it - kDistributionNames.begin());
    auto required = [&](const char* k) -> const TomlNode& {
        if (const TomlNode* n = table.find(k)) return *n;
        throw TomlError(table.where, path + "." + k,
                        std::string("missing: a ") +
                            kDistributionNames[static_cast<int>(p.distribution)] +
                            " parameter needs " + k);
    };
    if (p.distribution == Distribution::choice) {
        const TomlNode& values = required("values");
        if (!values.is_array() || values.items.empty())
            throw TomlError(values.where, path + ".values",
                            "expected a non-empty array, got " + values.describe());
        for (const TomlNode& v : values.items) p.values.push_back(v.describe());
        return p;
    }
    p.min = number_of(required("min"), path + ".min");
    p.max = number_of(required("max"), path + ".max");
    if (!(p.min < p.max) || !std::isfinite(p.min) || !std::isfinite(p.max))
        throw TomlError(table.find("max")->where, path + ".max",
                        "expected a finite max above min (" + number_text(p.min, false) +
                            "), got " + number_text(p.max, false));
    if (p.distribution == Distribution::log_uniform && !(p.min > 0))
        throw TomlError(
            table.find("min")->where, path + ".min",
            "expected min > 0 for a log-uniform parameter, got " + number_text(p.min, false));
    if (p.distribution == Distribution::triangular) {
        p.mode = number_of(required("mode"), path + ".mode");
        if (p.mode < p.min || p.mode > p.max)
            throw TomlError(table.find("mode")->where, path + ".mode",
                            "expected a mode within [min, max]");
    }
    if (p.distribution == Distribution::normal) {
        p.mean = number_of(required("mean"), path + ".mean");
        p.sd = number_of(required("sd"), path + ".sd");
        if (!(p.sd > 0)) throw TomlError(table.find("sd")->where, path + ".sd", "expected sd > 0");
    }
    if (!p.scale) check_within(entry, p.min, p.max, table.where, path);
    return p;
}

std::vector<SpaceParameter> read_document(const TomlNode& root,
                                          const std::vector<ParameterInfo>& registry) {
    for (const TomlNode& m : root.members)
        if (m.key != "parameter")
            throw TomlError(m.key_where, m.key,
                            "unknown key (a space file holds [[parameter]] tables)");
    const TomlNode* list = root.find("parameter");
    if (list == nullptr || !list->is_array() || list->items.empty())
        throw TomlError(root.where, "parameter", "expected at least one [[parameter]]");
    std::vector<SpaceParameter> space;
    for (std::size_t i = 0; i < list->items.size(); ++i) {
        space.push_back(read_parameter(list->items[i], "parameter." + std::to_string(i), registry));
        for (std::size_t j = 0; j + 1 < space.size(); ++j)
            if (space[j].key == space.back().key)
                throw TomlError(
                    list->items[i].where, "parameter." + std::to_string(i),
                    "'" + space.back().key + "' is already parameter " + std::to_string(j));
    }
    return space;
}

// Uniform on the registry's allowed range.
SpaceParameter uniform_on(const ParameterInfo& p) {
    SpaceParameter s;
    s.name = p.name;
    s.key = p.key;
    s.min = p.min;
    s.max = p.max;
    s.integer = p.type == ParameterInfo::Type::integer;
    return s;
}

}  // namespace

const char* distribution_name(SpaceParameter::Distribution distribution) {
    return kDistributionNames[static_cast<int>(distribution)];
}

double SpaceParameter::number_at(double u) const {
    switch (distribution) {
        case Distribution::uniform:
            return min + u * (max - min);
        case Distribution::log_uniform:
            return std::exp(std::log(min) + u * (std::log(max) - std::log(min)));
        case Distribution::triangular: {
            const double split = (mode - min) / (max - min);
            return u < split ? min + std::sqrt(u * (max - min) * (mode - min))
                             : max - std::sqrt((1 - u) * (max - min) * (max - mode));
        }
        case Distribution::normal: {
            const boost::math::normal_distribution<double> n(mean, sd);
            const double low = boost::math::cdf(n, min), high = boost::math::cdf(n, max);
            return std::clamp(boost::math::quantile(n, low + u * (high - low)), min, max);
        }
        case Distribution::choice:
            return std::min(std::floor(u * static_cast<double>(values.size())),
                            static_cast<double>(values.size() - 1));
    }
    return min;
}

std::string SpaceParameter::value_at(double u) const {
    if (distribution == Distribution::choice) return values[static_cast<std::size_t>(number_at(u))];
    return number_text(number_at(u), integer && !scale);
}

std::string SpaceParameter::override_at(double u) const {
    return key + (scale ? "*=" : "=") + value_at(u);
}

std::vector<SpaceParameter> read_space_file(const std::string& path,
                                            const std::vector<ParameterInfo>& registry) {
    return read_document(load_toml_file(path), registry);
}

std::vector<SpaceParameter> read_space_text(const std::string& text, const std::string& source,
                                            const std::vector<ParameterInfo>& registry) {
    return read_document(parse_toml_text(text, source), registry);
}

std::vector<SpaceParameter> space_of_params(const std::string& list,
                                            const std::vector<ParameterInfo>& registry) {
    const SourcePosition here{"--params", 0, 0};
    std::vector<SpaceParameter> space;
    std::istringstream in(list);
    for (std::string name; std::getline(in, name, ',');) {
        const ParameterInfo* p = registry_entry(registry, name);
        if (p == nullptr) unknown(here, name, name, registry);
        if (p->type == ParameterInfo::Type::choice) {
            SpaceParameter s = uniform_on(*p);
            s.distribution = Distribution::choice;
            for (const auto& c : p->choices) s.values.push_back("\"" + c + "\"");
            space.push_back(s);
            continue;
        }
        if (!std::isfinite(p->min) || !std::isfinite(p->max) ||
            p->type == ParameterInfo::Type::list)
            throw TomlError(here, name,
                            "the registry range of " + p->name +
                                " is not finite: give its range in a space file (--space)");
        space.push_back(uniform_on(*p));
    }
    if (space.empty()) throw TomlError(here, "", "expected NAME,NAME,... (registry names)");
    return space;
}

std::vector<SpaceParameter> full_space(const std::vector<ParameterInfo>& registry) {
    std::vector<SpaceParameter> space;
    for (const auto& p : registry) {
        if (p.type != ParameterInfo::Type::number && p.type != ParameterInfo::Type::integer)
            continue;
        if (!std::isfinite(p.min) || !std::isfinite(p.max) || p.min == p.max) continue;
        if (p.max - p.min > 1e5) continue;  // a constant's wide allowed range, not a factor
        space.push_back(uniform_on(p));
    }
    return space;
}

}  // namespace essaim::experiment
