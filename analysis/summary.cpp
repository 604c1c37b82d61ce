#include "analysis/summary.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace essaim::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

double mean_of(const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return sum / static_cast<double>(v.size());
}

// Two-pass with the compensating term: replication outputs often share a large common offset,
// where the one-pass formula loses most of its digits.
double variance_of(const std::vector<double>& v, double mean) {
    double squares = 0, residual = 0;
    for (double x : v) {
        squares += (x - mean) * (x - mean);
        residual += x - mean;
    }
    const double n = static_cast<double>(v.size());
    return std::max(0.0, (squares - residual * residual / n) / (n - 1));
}

}  // namespace

double student_t_quantile(double p, double df) {
    if (std::isnan(p) || std::isnan(df) || p < 0 || p > 1 || !(df > 0)) return kNaN;
    if (p == 0) return -kInf;
    if (p == 1) return kInf;
    return boost::math::quantile(boost::math::students_t_distribution<double>(df), p);
}

double quantile_sorted(std::span<const double> sorted, double p) {
    if (sorted.empty() || std::isnan(p) || p < 0 || p > 1) return kNaN;
    const double h = static_cast<double>(sorted.size() - 1) * p;
    const auto low = static_cast<std::size_t>(std::floor(h));
    const double fraction = h - static_cast<double>(low);
    // Without this, an infinite neighbour turns an exact order statistic into inf * 0 = NaN.
    if (fraction == 0 || low + 1 >= sorted.size()) return sorted[low];
    return sorted[low] + fraction * (sorted[low + 1] - sorted[low]);
}

Summary summarise(std::span<const double> values) {
    Summary s;
    s.mean = s.sd = s.se = s.ci95_low = s.ci95_high = kNaN;
    s.q05 = s.q25 = s.q50 = s.q75 = s.q95 = kNaN;
    s.replications_for_1pct = kNaN;

    std::vector<double> kept;
    kept.reserve(values.size());
    for (double x : values)
        if (!std::isnan(x)) kept.push_back(x);
    s.n = static_cast<int>(kept.size());
    if (kept.empty()) return s;

    s.mean = mean_of(kept);
    std::sort(kept.begin(), kept.end());
    s.q05 = quantile_sorted(kept, 0.05);
    s.q25 = quantile_sorted(kept, 0.25);
    s.q50 = quantile_sorted(kept, 0.50);
    s.q75 = quantile_sorted(kept, 0.75);
    s.q95 = quantile_sorted(kept, 0.95);
    if (s.n < 2) return s;

    s.sd = std::sqrt(variance_of(kept, s.mean));
    s.se = s.sd / std::sqrt(static_cast<double>(s.n));
    const double t = student_t_quantile(0.975, s.n - 1);
    s.ci95_low = s.mean - t * s.se;
    s.ci95_high = s.mean + t * s.se;

    if (s.mean != 0 && std::isfinite(s.mean)) {
        if (s.sd == 0) {
            s.replications_for_1pct = 2;
        } else {
            const double ratio = t * s.sd / (0.01 * std::abs(s.mean));
            s.replications_for_1pct = std::max(2.0, std::ceil(ratio * ratio));
        }
    }
    return s;
}

PairedDifference paired_difference(std::span<const double> base, std::span<const double> variant) {
    if (base.size() != variant.size())
        throw std::invalid_argument("paired_difference: base and variant differ in length");
    PairedDifference p;
    p.base_mean = p.variant_mean = p.diff = kNaN;
    p.diff_ci95_low = p.diff_ci95_high = p.variance_reduction = kNaN;

    std::vector<double> b, v, d;
    b.reserve(base.size());
    v.reserve(base.size());
    d.reserve(base.size());
    for (std::size_t i = 0; i < base.size(); ++i) {
        if (std::isnan(base[i]) || std::isnan(variant[i])) continue;
        b.push_back(base[i]);
        v.push_back(variant[i]);
        d.push_back(variant[i] - base[i]);
    }
    p.n = static_cast<int>(d.size());
    if (d.empty()) return p;

    p.base_mean = mean_of(b);
    p.variant_mean = mean_of(v);
    p.diff = mean_of(d);
    if (p.n < 2) return p;

    const double var_diff = variance_of(d, p.diff);
    const double half = student_t_quantile(0.975, p.n - 1) * std::sqrt(var_diff / p.n);
    p.diff_ci95_low = p.diff - half;
    p.diff_ci95_high = p.diff + half;

    const double numerator = variance_of(b, p.base_mean) + variance_of(v, p.variant_mean);
    if (var_diff > 0)
        p.variance_reduction = numerator / var_diff;
    else
        p.variance_reduction = numerator > 0 ? kInf : kNaN;
    return p;
}

}  // namespace essaim::analysis
