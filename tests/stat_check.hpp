#pragma once
// Tolerances for statistical tests, derived from the sample size. Every check here uses a
// false-alarm rate of about 1e-6 per assertion (z = 4.75 two-sided-ish), so a correct program
// fails a run of the whole suite with probability well under 1e-4; a wrong one fails by far.
#include <cmath>
#include <vector>

namespace essaim::test {

inline constexpr double kZ = 4.753;  // upper 1e-6 quantile of the standard normal

// Upper critical value of chi-square with `df` degrees of freedom at the kZ level
// (Wilson-Hilferty; within 1% of the exact quantile for df >= 5).
inline double chi2_critical(int df) {
    const double a = 2.0 / (9.0 * df);
    const double root = 1.0 - a + kZ * std::sqrt(a);
    return df * root * root * root;
}

// Pearson's statistic of observed counts against expected probabilities (summing to 1).
inline double chi2_statistic(const std::vector<double>& observed, const std::vector<double>& probability) {
    double n = 0;
    for (double o : observed) n += o;
    double statistic = 0;
    for (std::size_t i = 0; i < observed.size(); ++i) {
        const double expected = n * probability[i];
        statistic += (observed[i] - expected) * (observed[i] - expected) / expected;
    }
    return statistic;
}

// |estimate - truth| within kZ standard errors of a proportion p estimated from n trials.
inline bool proportion_close(double estimate, double p, double n) {
    return std::abs(estimate - p) <= kZ * std::sqrt(p * (1 - p) / n) + 1e-12;
}

}  // namespace essaim::test
