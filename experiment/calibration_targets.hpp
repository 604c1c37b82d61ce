#pragma once
// The observed figures a calibration fits (docs/CALIBRATION.md, "Targets"): a TOML file of
// [[target]] tables, each a KPI (total or one unit's), or a ratio of two, observed on a date, with
// the scale of its uncertainty.
//
//   [[target]]
//   name = "entries by December 2020"
//   kpi = "entries"       # a KPI, `territory.NAME.kpi`, or "a / b" (or ratio = ["a", "b"])
//   at = 2020-12-01       # runs are cut at this date; or from/to: a date uniform over a range
//   value = 400
//   scale = 25            # distance scale: the observation's uncertainty
#include <cstddef>
#include <string>
#include <vector>

#include "experiment/model.hpp"
#include "sim/calendar.hpp"
#include "sim/toml_document.hpp"

namespace essaim::experiment {

struct CalibrationTarget {
    std::string name;
    std::string numerator, denominator;  // KPI references; denominator empty unless a ratio
    // When the figure was observed: `at` (from == to), a range (from < to, uniform over it), or
    // nothing (the scenario's last day).
    bool dated = false;
    Date from, to;
    double value = 0, scale = 1;
    SourcePosition where;                 // the [[target]] table
    SourcePosition kpi_where, date_where;  // its kpi/ratio and at/from values
    std::string path;                      // "target.N", for messages
    std::string kpi_key;                   // "target.N.kpi" or "target.N.ratio"
    // Columns of a unit's KPI array (row x KPI, the total row last), set by resolve_targets.
    std::size_t numerator_column = 0, denominator_column = 0;

    std::string kpi_text() const {
        return denominator.empty() ? numerator : numerator + " / " + denominator;
    }
    // "2020-12-01", "2020-07-06..2020-10-31" or "" (the run's end).
    std::string date_text() const;
};

// Reads a targets file; errors are TomlErrors at file:line:column.
std::vector<CalibrationTarget> read_targets_file(const std::string& path);
std::vector<CalibrationTarget> read_targets_text(const std::string& text, const std::string& source);

// Resolves each target's KPIs against the model and the scenario's units, and checks its dates
// against the scenario's days (a model without dates accepts no date). TomlError at the target's
// key, with "did you mean", otherwise.
void resolve_targets(std::vector<CalibrationTarget>& targets, const Model& model,
                     const ModelScenario& scenario);

// The target's simulated value from one run's KPI array (NaN if undefined).
double target_value(const CalibrationTarget& target, const std::vector<double>& kpis);

}  // namespace essaim::experiment
