#pragma once
// The recorded daily series of one run: a dense day x unit x variable array of end-of-day values.
// Units (territories) write disjoint slices, so independent units may record from different
// threads.
#include <cstddef>
#include <string>
#include <vector>

namespace essaim {

// What a recorded quantity is, declared once and used by the HDF5 attributes, CSV headers and
// reports alike.
struct VariableInfo {
    std::string name;  // snake_case identifier
    std::string unit;  // "persons", "persons/day", "EUR/day", ...
    std::string label_en;
    std::string label_fr;
};

class DailySeries {
public:
    DailySeries() = default;
    DailySeries(int n_days, int n_units, std::vector<VariableInfo> variables)
        : n_days_(n_days),
          n_units_(n_units),
          variables_(std::move(variables)),
          values_(static_cast<std::size_t>(n_days) * n_units * variables_.size(), 0.0) {}

    double& at(int day, int unit, int variable) { return values_[index(day, unit, variable)]; }
    double at(int day, int unit, int variable) const { return values_[index(day, unit, variable)]; }
    // The variables of one unit on one day, contiguous.
    double* row(int day, int unit) { return &values_[index(day, unit, 0)]; }
    const double* row(int day, int unit) const { return &values_[index(day, unit, 0)]; }

    int n_days() const { return n_days_; }
    int n_units() const { return n_units_; }
    int n_variables() const { return static_cast<int>(variables_.size()); }
    const std::vector<VariableInfo>& variables() const { return variables_; }
    const std::vector<double>& values() const { return values_; }

private:
    std::size_t index(int day, int unit, int variable) const {
        return (static_cast<std::size_t>(day) * n_units_ + unit) * variables_.size() + variable;
    }
    int n_days_ = 0;
    int n_units_ = 0;
    std::vector<VariableInfo> variables_;
    std::vector<double> values_;
};

}  // namespace essaim
