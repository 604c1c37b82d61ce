#pragma once
// Statistics across replications: what evaluators need to trust a stochastic result.
#include <span>
#include <vector>

namespace essaim::analysis {

// Summary of one quantity over replications. NaN values (a ratio undefined in that replication)
// are left out; `n` counts the values used. Every field is NaN when n = 0 (and sd-based fields
// when n < 2).
struct Summary {
    int n = 0;
    double mean, sd, se;         // sd with n - 1; se = sd / sqrt(n), the Monte Carlo standard error
    double ci95_low, ci95_high;  // mean -/+ t(0.975, n - 1) se
    double q05, q25, q50, q75, q95;  // linear interpolation between order statistics (type 7)
    double replications_for_1pct;    // replications for a 95% half-width under 1% of |mean|
};
// replications_for_1pct = ceil((t(0.975, n - 1) sd / (0.01 |mean|))^2), at least 2 (a t interval
// needs two values); 2 when sd = 0 (any n >= 2 then suffices); NaN when n < 2 or mean = 0.
Summary summarise(std::span<const double> values);

// Base against variant, replication by replication (common random numbers). Pairs with a NaN on
// either side are left out. variance_reduction is NaN when n < 2 or when every variance is 0,
// +infinity when only var(diff) is 0. Throws std::invalid_argument when the lengths differ.
struct PairedDifference {
    int n = 0;
    double base_mean, variant_mean;
    double diff;  // mean of variant - base
    double diff_ci95_low, diff_ci95_high;
    // Var(variant - base) under independent runs / under paired runs:
    // (var_base + var_variant) / var(diff). Above 1 when common random numbers help.
    double variance_reduction;
};
PairedDifference paired_difference(std::span<const double> base, std::span<const double> variant);

// The p-quantile of Student's t with df degrees of freedom (Boost.Math). NaN when p is outside
// [0, 1] or df <= 0; -/+infinity at p = 0 / 1.
double student_t_quantile(double p, double df);
// Type-7 quantile of sorted values (as R's default and numpy's "linear"): h = (n - 1) p, linear
// interpolation between the order statistics around h. NaN when empty or p is outside [0, 1].
double quantile_sorted(std::span<const double> sorted, double p);

}  // namespace essaim::analysis
