#pragma once
// Tolerances for statistical tests, derived from the sample size. Every check here uses a
// false-alarm rate of about 1e-6 per assertion (z = 4.75 two-sided-ish), so a correct program
// fails a run of the whole suite with probability well under 1e-4; a wrong one fails by far.
#include <cmath>
#include <utility>
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
inline double chi2_statistic(const std::vector<double>& observed,
                             const std::vector<double>& probability) {
    double n = 0;
    for (double o : observed) n += o;
    double statistic = 0;
    for (std::size_t i = 0; i < observed.size(); ++i) {
        const double expected = n * probability[i];
        statistic += (observed[i] - expected) * (observed[i] - expected) / expected;
    }
    return statistic;
}

// Pearson's statistic and degrees of freedom with bins expecting fewer than `min_expected` counts
// pooled into one, as the chi-square approximation needs.
inline std::pair<double, int> pooled_chi2(const std::vector<double>& observed,
                                          const std::vector<double>& probability,
                                          double min_expected = 20) {
    double n = 0;
    for (double o : observed) n += o;
    std::vector<double> obs, prob;
    double pooled_obs = 0, pooled_prob = 0;
    for (std::size_t i = 0; i < observed.size(); ++i) {
        if (n * probability[i] >= min_expected) {
            obs.push_back(observed[i]);
            prob.push_back(probability[i]);
        } else {
            pooled_obs += observed[i];
            pooled_prob += probability[i];
        }
    }
    if (pooled_prob > 0) {
        obs.push_back(pooled_obs);
        prob.push_back(pooled_prob);
    }
    return {chi2_statistic(obs, prob), static_cast<int>(obs.size()) - 1};
}

// The pooled test at the kZ level: true when the statistic stays under the critical value.
inline bool chi2_pooled_ok(const std::vector<double>& observed,
                           const std::vector<double>& probability, double min_expected = 20) {
    const auto [statistic, df] = pooled_chi2(observed, probability, min_expected);
    return df >= 1 && statistic < chi2_critical(df);
}

// |estimate - truth| within kZ standard errors of a proportion p estimated from n trials.
inline bool proportion_close(double estimate, double p, double n) {
    return std::abs(estimate - p) <= kZ * std::sqrt(p * (1 - p) / n) + 1e-12;
}

}  // namespace essaim::test
