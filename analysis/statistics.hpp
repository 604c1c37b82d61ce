#pragma once
// Plain statistics over samples. NaN is the answer where a statistic is undefined (empty sample),
// the convention of every ratio KPI in MODEL.md §6.
#include <span>
#include <vector>

namespace essaim::analysis {

double mean(std::span<const double> values);
// The median; of an even count, the mean of the two middle values.
double median(std::vector<double> values);
// numerator / denominator, or NaN when the denominator is zero.
double ratio(double numerator, double denominator);

}  // namespace essaim::analysis

namespace essaim::analysis {

// Mean and median of integer-valued observations given as counts per value (index = value):
// exact, in memory that does not grow with the number of observations. NaN when empty.
double histogram_mean(const std::vector<double>& counts);
double histogram_median(const std::vector<double>& counts);

}  // namespace essaim::analysis
