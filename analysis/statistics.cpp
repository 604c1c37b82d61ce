#include "analysis/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace essaim::analysis {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

double mean(std::span<const double> values) {
    if (values.empty()) return kNaN;
    return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double median(std::vector<double> values) {
    if (values.empty()) return kNaN;
    const std::size_t mid = values.size() / 2;
    std::nth_element(values.begin(), values.begin() + mid, values.end());
    const double upper = values[mid];
    if (values.size() % 2 == 1) return upper;
    const double lower = *std::max_element(values.begin(), values.begin() + mid);
    return 0.5 * (lower + upper);
}

double ratio(double numerator, double denominator) {
    return denominator == 0.0 ? kNaN : numerator / denominator;
}

}  // namespace essaim::analysis

namespace essaim::analysis {

double histogram_mean(const std::vector<double>& counts) {
    double n = 0, sum = 0;
    for (std::size_t v = 0; v < counts.size(); ++v) {
        n += counts[v];
        sum += counts[v] * static_cast<double>(v);
    }
    return n == 0 ? kNaN : sum / n;
}

double histogram_median(const std::vector<double>& counts) {
    double n = 0;
    for (double c : counts) n += c;
    if (n == 0) return kNaN;
    // The value at (0-based) rank k in sorted order.
    auto value_at = [&](double k) {
        double seen = 0;
        for (std::size_t v = 0; v < counts.size(); ++v) {
            seen += counts[v];
            if (seen > k) return static_cast<double>(v);
        }
        return static_cast<double>(counts.size() - 1);
    };
    const double mid = std::floor(n / 2);
    return std::fmod(n, 2.0) == 1.0 ? value_at(mid) : 0.5 * (value_at(mid - 1) + value_at(mid));
}

}  // namespace essaim::analysis
