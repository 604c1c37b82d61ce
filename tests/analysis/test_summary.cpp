#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "analysis/summary.hpp"
#include "tests/stat_check.hpp"

using namespace essaim::analysis;
using essaim::test::kZ;
using essaim::test::proportion_close;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

TEST_CASE("student_t_quantile against tabulated values") {
    CHECK(student_t_quantile(0.975, 9) == doctest::Approx(2.262157).epsilon(1e-6));
    CHECK(student_t_quantile(0.975, 1) == doctest::Approx(12.7062).epsilon(1e-5));
    CHECK(student_t_quantile(0.975, 4) == doctest::Approx(2.776445).epsilon(1e-6));
    CHECK(student_t_quantile(0.975, 1e9) == doctest::Approx(1.959964).epsilon(1e-6));
    CHECK(student_t_quantile(0.025, 9) == doctest::Approx(-2.262157).epsilon(1e-6));
    CHECK(student_t_quantile(0.5, 3) == doctest::Approx(0.0));
    CHECK(std::isnan(student_t_quantile(1.5, 3)));
    CHECK(std::isnan(student_t_quantile(0.5, 0)));
    CHECK(student_t_quantile(1, 3) == kInf);
}

TEST_CASE("quantile_sorted is type 7") {
    const std::vector<double> x{1, 2, 3, 4, 10};
    // h = 4p: q05 -> 1 + 0.2 * 1, q95 -> 4 + 0.8 * 6 (numpy's "linear").
    CHECK(quantile_sorted(x, 0.05) == doctest::Approx(1.2));
    CHECK(quantile_sorted(x, 0.25) == 2);
    CHECK(quantile_sorted(x, 0.50) == 3);
    CHECK(quantile_sorted(x, 0.75) == 4);
    CHECK(quantile_sorted(x, 0.95) == doctest::Approx(8.8));
    CHECK(quantile_sorted(x, 0) == 1);
    CHECK(quantile_sorted(x, 1) == 10);
    const std::vector<double> even{1, 2, 3, 4};
    CHECK(quantile_sorted(even, 0.5) == 2.5);  // h = 1.5
    CHECK(quantile_sorted(std::vector<double>{7}, 0.3) == 7);
    CHECK(std::isnan(quantile_sorted(std::vector<double>{}, 0.5)));
    const std::vector<double> with_inf{1, 2, kInf};
    CHECK(quantile_sorted(with_inf, 0.5) == 2);  // an exact order statistic, not inf * 0
}

TEST_CASE("summarise on a hand example, NaN values left out") {
    const std::vector<double> x{kNaN, 1, 2, kNaN, 3, 4, 10};
    const Summary s = summarise(x);
    CHECK(s.n == 5);
    CHECK(s.mean == doctest::Approx(4.0));
    // Squared deviations 9 + 4 + 1 + 0 + 36 = 50, variance 50 / 4 = 12.5.
    const double sd = std::sqrt(12.5);
    CHECK(s.sd == doctest::Approx(sd).epsilon(1e-12));
    CHECK(s.se == doctest::Approx(sd / std::sqrt(5.0)).epsilon(1e-12));
    const double half = 2.7764451051977987 * sd / std::sqrt(5.0);
    CHECK(s.ci95_low == doctest::Approx(4.0 - half).epsilon(1e-9));
    CHECK(s.ci95_high == doctest::Approx(4.0 + half).epsilon(1e-9));
    CHECK(s.q05 == doctest::Approx(1.2));
    CHECK(s.q25 == 2);
    CHECK(s.q50 == 3);
    CHECK(s.q75 == 4);
    CHECK(s.q95 == doctest::Approx(8.8));
    // (2.7764451 * 3.5355339 / 0.04)^2 = 60223.8
    const double ratio = 2.7764451051977987 * sd / 0.04;
    CHECK(s.replications_for_1pct == std::ceil(ratio * ratio));
    CHECK(s.replications_for_1pct == 60224);
}

TEST_CASE("summarise edge cases") {
    const Summary none = summarise(std::vector<double>{kNaN, kNaN});
    CHECK(none.n == 0);
    CHECK(std::isnan(none.mean));
    CHECK(std::isnan(none.sd));
    CHECK(std::isnan(none.q50));
    CHECK(std::isnan(none.replications_for_1pct));
    CHECK(summarise(std::vector<double>{}).n == 0);

    const Summary one = summarise(std::vector<double>{3.5, kNaN});
    CHECK(one.n == 1);
    CHECK(one.mean == 3.5);
    CHECK(one.q05 == 3.5);
    CHECK(one.q95 == 3.5);
    CHECK(std::isnan(one.sd));
    CHECK(std::isnan(one.se));
    CHECK(std::isnan(one.ci95_low));
    CHECK(std::isnan(one.ci95_high));
    CHECK(std::isnan(one.replications_for_1pct));

    const Summary constant = summarise(std::vector<double>{2, 2, 2});
    CHECK(constant.sd == 0);
    CHECK(constant.ci95_low == 2);
    CHECK(constant.ci95_high == 2);
    CHECK(constant.replications_for_1pct == 2);

    const Summary centred = summarise(std::vector<double>{-1, 1});
    CHECK(centred.mean == 0);
    CHECK(std::isnan(centred.replications_for_1pct));

    // The variance survives a large common offset (one-pass formulas return 0 or garbage here).
    const Summary offset = summarise(std::vector<double>{1e9 + 1, 1e9 + 2, 1e9 + 3});
    CHECK(offset.sd == doctest::Approx(1.0).epsilon(1e-9));
}

TEST_CASE("the t interval covers a normal mean 95% of the time") {
    // For a normal population the t interval is exact, so the hit count is Binomial(20000, 0.95);
    // proportion_close allows kZ binomial standard errors (false alarm ~2e-6; fixed seed anyway).
    std::mt19937_64 rng(20240611);
    std::normal_distribution<double> normal(5.0, 2.0);
    const int samples = 20000;
    int covered = 0;
    std::vector<double> x(10);
    for (int s = 0; s < samples; ++s) {
        for (double& v : x) v = normal(rng);
        const Summary sum = summarise(x);
        covered += sum.ci95_low <= 5.0 && 5.0 <= sum.ci95_high;
    }
    const double coverage = static_cast<double>(covered) / samples;
    MESSAGE("t-interval coverage (n = 10, 20000 samples): " << coverage);
    CHECK(proportion_close(coverage, 0.95, samples));
}

TEST_CASE("replications_for_1pct on a large normal sample") {
    // Mean 100, sd 10: (t * 10 / 1)^2 with t(0.975, 99999) = 1.959985 gives 384.15. The estimate
    // scales as sd^2 / mean^2; sd^2 has relative standard error sqrt(2 / (n - 1)) = 0.00447 and
    // the mean 0.0001, so the standard error is about 384 * 0.00447 = 1.72 (+1 for the ceiling).
    std::mt19937_64 rng(7);
    std::normal_distribution<double> normal(100.0, 10.0);
    const int n = 100000;
    std::vector<double> x(n);
    for (double& v : x) v = normal(rng);
    const Summary s = summarise(x);
    const double t = student_t_quantile(0.975, n - 1);
    const double expected = t * t * 100.0;
    MESSAGE("replications_for_1pct: " << s.replications_for_1pct << " (expected ~" << expected
                                      << ")");
    CHECK(std::abs(s.replications_for_1pct - expected) <= kZ * expected * std::sqrt(2.0 / n) + 1);
    // And exactly the formula on this sample.
    const double ratio = t * s.sd / (0.01 * s.mean);
    CHECK(s.replications_for_1pct == std::ceil(ratio * ratio));
}

TEST_CASE("paired_difference on a hand example") {
    // Pairs with a NaN are dropped, leaving base {1, 2, 3, 4}, variant {2, 4, 5, 7}.
    const std::vector<double> base{1, kNaN, 2, 3, 4, 5};
    const std::vector<double> variant{2, 7, 4, 5, 7, kNaN};
    const PairedDifference p = paired_difference(base, variant);
    CHECK(p.n == 4);
    CHECK(p.base_mean == 2.5);
    CHECK(p.variant_mean == 4.5);
    CHECK(p.diff == 2.0);
    // Differences {1, 2, 2, 3}: variance 2/3; t(0.975, 3) = 3.182446305.
    const double half = 3.182446305284263 * std::sqrt((2.0 / 3.0) / 4.0);
    CHECK(p.diff_ci95_low == doctest::Approx(2.0 - half).epsilon(1e-9));
    CHECK(p.diff_ci95_high == doctest::Approx(2.0 + half).epsilon(1e-9));
    // Variances 5/3 and 13/3 over 2/3.
    CHECK(p.variance_reduction == doctest::Approx(9.0).epsilon(1e-12));

    const std::vector<double> b{1, 2, 3}, shifted{2, 3, 4};
    const PairedDifference exact = paired_difference(b, shifted);
    CHECK(exact.variance_reduction == kInf);
    CHECK(exact.diff_ci95_low == doctest::Approx(1.0));
    CHECK(exact.diff_ci95_high == doctest::Approx(1.0));
    const std::vector<double> flat{1, 1, 1}, flat2{2, 2, 2};
    CHECK(std::isnan(paired_difference(flat, flat2).variance_reduction));

    const std::vector<double> one{1}, one2{3};
    const PairedDifference single = paired_difference(one, one2);
    CHECK(single.n == 1);
    CHECK(single.diff == 2);
    CHECK(std::isnan(single.diff_ci95_low));
    CHECK(std::isnan(single.variance_reduction));
    CHECK(paired_difference(std::vector<double>{kNaN}, std::vector<double>{1}).n == 0);
    CHECK_THROWS_AS(paired_difference(b, one), std::invalid_argument);
}

TEST_CASE("variance_reduction under correlated and independent pairs") {
    // Delta method for normal pairs with n values (Cov(S_ij, S_kl) = s_ik s_jl + s_il s_jk):
    // independent unit variances: VR ~ 1 + mean(b v), sd 1 / sqrt(n);
    // base = Z + e1, variant = Z + e2 (all unit variance, correlation 1/2): VR -> 2, sd 3/sqrt(n).
    std::mt19937_64 rng(99);
    std::normal_distribution<double> normal;
    const int n = 100000;
    std::vector<double> base(n), variant(n), ind_base(n), ind_variant(n);
    for (int i = 0; i < n; ++i) {
        const double z = normal(rng);
        base[i] = 10 + z + normal(rng);
        variant[i] = 10.5 + z + normal(rng);
        ind_base[i] = 10 + normal(rng);
        ind_variant[i] = 10.5 + normal(rng);
    }
    const double correlated = paired_difference(base, variant).variance_reduction;
    const double independent = paired_difference(ind_base, ind_variant).variance_reduction;
    MESSAGE("variance_reduction: correlated " << correlated << ", independent " << independent);
    CHECK(correlated > 1);
    CHECK(std::abs(correlated - 2) <= kZ * 3 / std::sqrt(n));
    CHECK(std::abs(independent - 1) <= kZ / std::sqrt(n));
}

TEST_CASE("the paired difference interval covers the true difference 95% of the time") {
    // Differences of jointly normal pairs are normal, so the t interval is exact:
    // Binomial(20000, 0.95) hits, checked within kZ standard errors.
    std::mt19937_64 rng(31337);
    std::normal_distribution<double> normal;
    const int samples = 20000;
    int covered = 0;
    std::vector<double> base(10), variant(10);
    for (int s = 0; s < samples; ++s) {
        for (int i = 0; i < 10; ++i) {
            const double common = 3 * normal(rng);
            base[i] = 50 + common + normal(rng);
            variant[i] = 50.7 + common + normal(rng);
        }
        const PairedDifference p = paired_difference(base, variant);
        covered += p.diff_ci95_low <= 0.7 && 0.7 <= p.diff_ci95_high;
    }
    const double coverage = static_cast<double>(covered) / samples;
    MESSAGE("paired diff interval coverage (n = 10, 20000 samples): " << coverage);
    CHECK(proportion_close(coverage, 0.95, samples));
}
