#include "models/analytic/flat_scenario.hpp"

#include <cmath>
#include <sstream>

namespace essaim::analytic {
namespace {

using experiment::ParameterInfo;
using Kind = TomlNode::Kind;

std::string number_text(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

std::string expected(const ParameterInfo& p) {
    return "expected a number in " + std::string(p.min_inclusive ? "[" : "(") + number_text(p.min) +
           ", " + number_text(p.max) + (p.max_inclusive ? "]" : ")");
}

bool in_range(const ParameterInfo& p, double x) {
    return std::isfinite(x) && (p.min_inclusive ? x >= p.min : x > p.min) &&
           (p.max_inclusive ? x <= p.max : x < p.max);
}

double read_number(const TomlNode& node, const ParameterInfo& p, const std::string& key) {
    const bool number = node.kind == Kind::integer || node.kind == Kind::floating;
    const double x = node.kind == Kind::integer ? static_cast<double>(node.integer) : node.floating;
    if (!number || !in_range(p, x))
        throw TomlError(node.where, key, expected(p) + ", got " + node.describe());
    if (p.type == ParameterInfo::Type::integer && x != std::floor(x))
        throw TomlError(node.where, key, "expected a whole number, got " + node.describe());
    return x;
}

double default_number(const ParameterInfo& p) { return std::stod(p.default_value); }

std::vector<double> default_list(const ParameterInfo& p) {
    std::vector<double> values;
    std::string text = p.default_value;
    for (char& c : text)
        if (c == '[' || c == ']' || c == ',') c = ' ';
    std::istringstream in(text);
    for (double x; in >> x;) values.push_back(x);
    return values;
}

void read_scenario_table(const TomlNode& table, const std::string& model, std::string& name,
                         std::uint64_t& seed) {
    if (!table.is_table())
        throw TomlError(table.where, "scenario", "expected a table, got " + table.describe());
    const std::vector<std::string> keys{"name", "model", "seed", "description"};
    for (const TomlNode& m : table.members) {
        const std::string key = "scenario." + m.key;
        if (m.key == "name" || m.key == "description" || m.key == "model") {
            if (m.kind != Kind::string || (m.key != "description" && m.text.empty()))
                throw TomlError(m.where, key, "expected a non-empty string, got " + m.describe());
            if (m.key == "name") name = m.text;
            if (m.key == "model" && m.text != model)
                throw TomlError(m.where, key,
                                "expected \"" + model + "\" (this file is read by the " + model +
                                    " model), got " + m.describe());
        } else if (m.key == "seed") {
            if (m.kind != Kind::integer || m.integer < 0)
                throw TomlError(m.where, key, "expected an integer >= 0, got " + m.describe());
            seed = static_cast<std::uint64_t>(m.integer);
        } else {
            std::string message = "unknown key";
            if (auto best = closest_name(m.key, keys)) message += ", did you mean '" + *best + "'?";
            throw TomlError(m.key_where, key, message);
        }
    }
}

}  // namespace

std::shared_ptr<FlatScenario> read_flat_scenario(const TomlNode& document,
                                                 const std::vector<ParameterInfo>& registry,
                                                 const std::string& model) {
    auto scenario = std::make_shared<FlatScenario>();
    scenario->name_ = model;
    for (const ParameterInfo& p : registry) {
        if (p.type == ParameterInfo::Type::list)
            scenario->lists_[p.name] = default_list(p);
        else
            scenario->numbers_[p.name] = default_number(p);
    }
    std::vector<std::string> known{"scenario"};
    for (const ParameterInfo& p : registry) known.push_back(p.key);
    for (const TomlNode& m : document.members) {
        if (m.key == "scenario") {
            read_scenario_table(m, model, scenario->name_, scenario->seed_);
            continue;
        }
        const ParameterInfo* p = nullptr;
        for (const ParameterInfo& candidate : registry)
            if (candidate.key == m.key) p = &candidate;
        if (p == nullptr) {
            std::string message = "unknown parameter of the " + model + " model";
            if (auto best = closest_name(m.key, known))
                message += ", did you mean '" + *best + "'?";
            throw TomlError(m.key_where, m.key, message);
        }
        if (p->type != ParameterInfo::Type::list) {
            scenario->numbers_[p->name] = read_number(m, *p, m.key);
            continue;
        }
        if (!m.is_array() || m.items.empty())
            throw TomlError(m.where, m.key,
                            "expected a non-empty array of numbers, got " + m.describe());
        std::vector<double> values;
        for (std::size_t i = 0; i < m.items.size(); ++i)
            values.push_back(read_number(m.items[i], *p, m.key + "." + std::to_string(i)));
        scenario->lists_[p->name] = std::move(values);
    }
    scenario->text_ = to_toml_text(document);
    return scenario;
}

void set_source_path(FlatScenario& scenario, const std::string& path) { scenario.path_ = path; }

hdf5::Group write_flat_description(const hdf5::Group& root, const FlatScenario& scenario,
                                   const std::string& model, const experiment::Manifest& manifest) {
    hdf5::Group group = root.create_group("manifest");
    group.set_attr_string("essaim_version", manifest.essaim_version);
    group.set_attr_string("git_commit", manifest.git_commit);
    group.set_attr_int("schema_version", experiment::kOutputSchemaVersion);
    group.set_attr_string("command_line", manifest.command_line);
    group.set_attr_string("model", model);
    group.set_attr_string("scenario_name", scenario.name());
    group.set_attr_string("scenario_path", scenario.source_path());
    group.set_attr_string("scenario_text", scenario.source_text());
    group.set_attr_uint("seed", manifest.seed);
    group.set_attr_uint("replication", manifest.replication);
    group.set_attr_int("threads", manifest.threads);
    group.set_attr_string("started_at", manifest.started_at);
    group.set_attr_double("wall_seconds", manifest.wall_seconds);
    group.set_attr_string("hdf5", hdf5::library_version());
    return group;
}

TomlNode flat_document(const std::string* path, const std::vector<std::string>& overrides) {
    TomlNode document = path ? load_toml_file(*path) : TomlNode{};
    for (const auto& assignment : overrides) apply_override(document, assignment);
    return document;
}

TomlNode text_document(const std::string& text, const std::string& source,
                       const std::vector<std::string>& overrides) {
    TomlNode document = parse_toml_text(text, source);
    for (const auto& assignment : overrides) apply_override(document, assignment);
    return document;
}

}  // namespace essaim::analytic
