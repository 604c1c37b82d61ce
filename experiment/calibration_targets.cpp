#include "experiment/calibration_targets.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace essaim::experiment {
namespace {

using Kind = TomlNode::Kind;

std::string trimmed(const std::string& s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string::npos) return "";
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

double number_of(const TomlNode& node, const std::string& key) {
    if (!node.is_number() ||
        (node.kind == Kind::floating && !std::isfinite(node.floating)))
        throw TomlError(node.where, key, "expected a finite number, got " + node.describe());
    return node.kind == Kind::integer ? static_cast<double>(node.integer) : node.floating;
}

Date date_of(const TomlNode& node, const std::string& key) {
    if (node.kind != Kind::date)
        throw TomlError(node.where, key, "expected a date (YYYY-MM-DD), got " + node.describe());
    return node.date;
}

std::string string_of(const TomlNode& node, const std::string& key) {
    if (node.kind != Kind::string || trimmed(node.text).empty())
        throw TomlError(node.where, key, "expected a non-empty string, got " + node.describe());
    return trimmed(node.text);
}

void check_keys(const TomlNode& table, const std::string& path) {
    static const std::vector<std::string> keys{"name", "kpi", "ratio", "at", "from",
                                               "to",   "value", "scale"};
    for (const TomlNode& m : table.members)
        if (std::find(keys.begin(), keys.end(), m.key) == keys.end()) {
            std::string message = "unknown key";
            if (auto best = closest_name(m.key, keys)) message += ", did you mean '" + *best + "'?";
            throw TomlError(m.key_where, path + "." + m.key, message);
        }
}

// kpi = "a" or "a / b", or ratio = ["a", "b"].
void read_kpis(const TomlNode& table, const std::string& path, CalibrationTarget& t) {
    const TomlNode* kpi = table.find("kpi");
    const TomlNode* ratio = table.find("ratio");
    if ((kpi == nullptr) == (ratio == nullptr))
        throw TomlError(table.where, path,
                        "give either kpi (a KPI, or \"a / b\") or ratio = [\"a\", \"b\"]");
    t.kpi_where = (kpi ? kpi : ratio)->where;
    t.kpi_key = path + (kpi ? ".kpi" : ".ratio");
    if (kpi) {
        const std::string text = string_of(*kpi, path + ".kpi");
        const auto slash = text.find('/');
        t.numerator = trimmed(text.substr(0, slash));
        if (slash != std::string::npos) t.denominator = trimmed(text.substr(slash + 1));
        if (t.numerator.empty() || (slash != std::string::npos && t.denominator.empty()))
            throw TomlError(kpi->where, path + ".kpi",
                            "expected a KPI or \"a / b\", got " + kpi->describe());
        return;
    }
    if (!ratio->is_array() || ratio->items.size() != 2)
        throw TomlError(ratio->where, path + ".ratio",
                        "expected two KPIs [\"numerator\", \"denominator\"], got " +
                            ratio->describe());
    t.numerator = string_of(ratio->items[0], path + ".ratio");
    t.denominator = string_of(ratio->items[1], path + ".ratio");
}

void read_dates(const TomlNode& table, const std::string& path, CalibrationTarget& t) {
    const TomlNode* at = table.find("at");
    const TomlNode* from = table.find("from");
    const TomlNode* to = table.find("to");
    if (at && (from || to))
        throw TomlError(at->where, path + ".at", "give either at or from/to, not both");
    if ((from == nullptr) != (to == nullptr))
        throw TomlError((from ? from : to)->where, path + (from ? ".from" : ".to"),
                        "a date range needs both from and to");
    if (at || from) t.date_where = (at ? at : from)->where;
    if (at) {
        t.dated = true;
        t.from = t.to = date_of(*at, path + ".at");
    } else if (from) {
        t.dated = true;
        t.from = date_of(*from, path + ".from");
        t.to = date_of(*to, path + ".to");
        if (days_from_civil(t.to) < days_from_civil(t.from))
            throw TomlError(to->where, path + ".to",
                            "expected a date on or after from (" + to_iso(t.from) + "), got " +
                                to_iso(t.to));
    }
}

CalibrationTarget read_target(const TomlNode& table, const std::string& path) {
    if (!table.is_table())
        throw TomlError(table.where, path, "expected a table, got " + table.describe());
    check_keys(table, path);
    CalibrationTarget t;
    t.where = table.where;
    t.path = path;
    read_kpis(table, path, t);
    t.name = table.find("name") ? string_of(*table.find("name"), path + ".name") : t.kpi_text();
    read_dates(table, path, t);
    const TomlNode* value = table.find("value");
    if (!value) throw TomlError(table.where, path + ".value", "missing: the observed value");
    t.value = number_of(*value, path + ".value");
    const TomlNode* scale = table.find("scale");
    if (!scale)
        throw TomlError(table.where, path + ".scale",
                        "missing: the distance scale (the observation's uncertainty, > 0)");
    t.scale = number_of(*scale, path + ".scale");
    if (!(t.scale > 0))
        throw TomlError(scale->where, path + ".scale", "expected a scale > 0, got " +
                                                           scale->describe());
    return t;
}

std::vector<CalibrationTarget> read_document(const TomlNode& root) {
    for (const TomlNode& m : root.members)
        if (m.key != "target")
            throw TomlError(m.key_where, m.key,
                            "unknown key (a targets file holds [[target]] tables)");
    const TomlNode* list = root.find("target");
    if (list == nullptr || !list->is_array() || list->items.empty())
        throw TomlError(root.where, "target", "expected at least one [[target]]");
    std::vector<CalibrationTarget> targets;
    for (std::size_t i = 0; i < list->items.size(); ++i) {
        const std::string path = "target." + std::to_string(i);
        targets.push_back(read_target(list->items[i], path));
        for (std::size_t j = 0; j + 1 < targets.size(); ++j)
            if (targets[j].name == targets.back().name)
                throw TomlError(list->items[i].where, path + ".name",
                                "'" + targets.back().name + "' is already target " +
                                    std::to_string(j) + " (names must differ)");
    }
    return targets;
}

// The column of a KPI reference: "kpi" (total row) or "territory.NAME.kpi".
std::size_t column_of(const std::string& reference, const CalibrationTarget& t,
                      const Model& model, const std::vector<std::string>& units) {
    const auto& kpis = model.kpis();
    std::string kpi = reference;
    std::size_t row = units.size();  // the total
    const std::string prefix = "territory.";
    if (reference.rfind(prefix, 0) == 0) {
        const auto dot = reference.rfind('.');
        const std::string unit = reference.substr(prefix.size(), dot - prefix.size());
        const auto it = std::find(units.begin(), units.end(), unit);
        if (dot <= prefix.size() || it == units.end()) {
            std::string message = "no territory '" + unit + "' in the scenario";
            if (auto best = closest_name(unit, units)) message += ", did you mean '" + *best + "'?";
            throw TomlError(t.kpi_where, t.kpi_key, message + " (target '" + t.name + "')");
        }
        row = static_cast<std::size_t>(it - units.begin());
        kpi = reference.substr(dot + 1);
    }
    for (std::size_t k = 0; k < kpis.size(); ++k)
        if (kpis[k].name == kpi) return row * kpis.size() + k;
    std::vector<std::string> names;
    for (const auto& v : kpis) names.push_back(v.name);
    std::string message = "the " + model.name() + " model has no KPI '" + kpi + "'";
    if (auto best = closest_name(kpi, names)) message += ", did you mean '" + *best + "'?";
    throw TomlError(t.kpi_where, t.kpi_key,
                    message + " (essaim describe " + model.name() + "; target '" + t.name + "')");
}

}  // namespace

std::string CalibrationTarget::date_text() const {
    if (!dated) return "";
    if (from == to) return to_iso(from);
    return to_iso(from) + ".." + to_iso(to);
}

std::vector<CalibrationTarget> read_targets_file(const std::string& path) {
    return read_document(load_toml_file(path));
}

std::vector<CalibrationTarget> read_targets_text(const std::string& text,
                                                 const std::string& source) {
    return read_document(parse_toml_text(text, source));
}

void resolve_targets(std::vector<CalibrationTarget>& targets, const Model& model,
                     const ModelScenario& scenario) {
    const std::vector<std::string> units = scenario.units();
    const std::vector<std::string> dates = scenario.dates();
    for (auto& t : targets) {
        t.numerator_column = column_of(t.numerator, t, model, units);
        if (!t.denominator.empty()) t.denominator_column = column_of(t.denominator, t, model, units);
        if (!t.dated) continue;
        const std::string key = t.path + (t.from == t.to ? ".at" : ".from");
        if (dates.empty())
            throw TomlError(t.date_where, key,
                            "the " + model.name() + " model has no dates: leave out at/from/to "
                            "(target '" + t.name + "')");
        if (to_iso(t.from) < dates.front() || to_iso(t.to) > dates.back())
            throw TomlError(t.date_where, key,
                            "expected dates within the scenario's run, " + dates.front() + " to " +
                                dates.back() + ", got " + t.date_text() + " (target '" + t.name +
                                "')");
    }
}

double target_value(const CalibrationTarget& target, const std::vector<double>& kpis) {
    const double numerator = kpis.at(target.numerator_column);
    if (target.denominator.empty()) return numerator;
    const double denominator = kpis.at(target.denominator_column);
    return denominator != 0 ? numerator / denominator : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace essaim::experiment
