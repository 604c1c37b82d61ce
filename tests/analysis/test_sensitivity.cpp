// Sensitivity analysis against closed forms: the Ishigami function's and the Sobol' G-function's
// indices follow from their formulas (written out here, independently of the program), Morris on
// a linear model has exact elementary effects, and the statistical properties (strata, interval
// coverage) are checked with tolerances from the sample sizes (tests/stat_check.hpp: about 1e-6
// false alarms per assertion).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>
#include <stdexcept>
#include <vector>

#include "analysis/sensitivity.hpp"
#include "sim/random.hpp"
#include "tests/stat_check.hpp"

using namespace essaim::analysis;
using essaim::test::kZ;

namespace {

constexpr double kPi = std::numbers::pi;

// Ishigami and Homma (1990) with x_i = -pi + 2 pi u_i.
constexpr double kA = 7, kB = 0.1;
double ishigami(std::span<const double> u) {
    const double x1 = -kPi + 2 * kPi * u[0], x2 = -kPi + 2 * kPi * u[1], x3 = -kPi + 2 * kPi * u[2];
    return std::sin(x1) + kA * std::sin(x2) * std::sin(x2) + kB * std::pow(x3, 4) * std::sin(x1);
}

// Its variance decomposition: V1 = (1 + b pi^4 / 5)^2 / 2, V2 = a^2 / 8, V13 = 8 b^2 pi^8 / 225,
// V = V1 + V2 + V13; every other term is zero.
struct Truth {
    std::vector<double> first, total;
};
Truth ishigami_truth() {
    const double v1 = 0.5 * std::pow(1 + kB * std::pow(kPi, 4) / 5, 2);
    const double v2 = kA * kA / 8;
    const double v13 = 8 * kB * kB * std::pow(kPi, 8) / 225;
    const double v = v1 + v2 + v13;
    return {{v1 / v, v2 / v, 0}, {(v1 + v13) / v, v2 / v, v13 / v}};
}

// Saltelli and Sobol' (1995): y = prod (|4 u_i - 2| + a_i) / (1 + a_i).
double g_function(std::span<const double> u, const std::vector<double>& a) {
    double y = 1;
    for (std::size_t i = 0; i < a.size(); ++i) y *= (std::abs(4 * u[i] - 2) + a[i]) / (1 + a[i]);
    return y;
}

// V_i = 1 / (3 (1 + a_i)^2), V = prod (1 + V_i) - 1, S_i = V_i / V,
// ST_i = V_i prod_{j != i} (1 + V_j) / V, S_ij = V_i V_j / V.
struct GTruth {
    std::vector<double> vi;
    double v = 1;
};
GTruth g_truth(const std::vector<double>& a) {
    GTruth t;
    for (double ai : a) {
        t.vi.push_back(1 / (3 * (1 + ai) * (1 + ai)));
        t.v *= 1 + t.vi.back();
    }
    t.v -= 1;
    return t;
}

template <class F>
std::vector<double> evaluate(const UnitDesign& design, F&& f) {
    std::vector<double> y(design.rows());
    for (std::size_t r = 0; r < design.rows(); ++r) y[r] = f(design.row(r));
    return y;
}

// Independent uniform points from the project's counter-based streams.
UnitDesign uniform_points(std::size_t n, std::size_t d, std::uint64_t seed, std::uint64_t which) {
    const essaim::RandomSource source(seed, 0);
    essaim::RandomStream stream(source, {0, 99, which, 0});
    UnitDesign design{d, std::vector<double>(n * d)};
    for (double& x : design.values) x = stream.uniform();
    return design;
}

bool covers(const Interval& interval, double value) {
    return interval.low <= value && value <= interval.high;
}

}  // namespace

TEST_CASE("sensitivity: the Latin hypercube hits every stratum of every dimension once") {
    for (std::size_t n : {1u, 7u, 100u}) {
        for (std::uint64_t seed : {1u, 2u, 3u}) {
            const UnitDesign design = latin_hypercube(n, 5, seed);
            REQUIRE(design.rows() == n);
            REQUIRE(design.dimensions == 5);
            for (std::size_t c = 0; c < 5; ++c) {
                std::set<long> strata;
                for (std::size_t r = 0; r < n; ++r) {
                    const double x = design.at(r, c);
                    CHECK(x > 0);
                    CHECK(x < 1);
                    strata.insert(static_cast<long>(std::floor(x * static_cast<double>(n))));
                }
                CHECK(strata.size() == n);
            }
        }
    }
    // Deterministic given the seed, different across seeds.
    CHECK(latin_hypercube(50, 3, 7).values == latin_hypercube(50, 3, 7).values);
    CHECK(latin_hypercube(50, 3, 7).values != latin_hypercube(50, 3, 8).values);
    CHECK_THROWS_AS(latin_hypercube(0, 3, 1), std::invalid_argument);
    CHECK_THROWS_AS(latin_hypercube(3, 0, 1), std::invalid_argument);
}

TEST_CASE("sensitivity: Latin hypercube points are uniform within their strata, maximin helps") {
    // Position within the stratum, n x - floor(n x), pooled over 400 designs of 25 x 4: uniform
    // on (0, 1), checked in 20 bins (Pearson's chi-square at the kZ level).
    std::vector<double> counts(20, 0);
    for (std::uint64_t seed = 0; seed < 400; ++seed)
        for (double x : latin_hypercube(25, 4, seed).values) {
            const double within = 25 * x - std::floor(25 * x);
            counts[std::min<std::size_t>(19, static_cast<std::size_t>(within * 20))] += 1;
        }
    CHECK(essaim::test::chi2_pooled_ok(counts, std::vector<double>(20, 0.05)));

    // Candidate 0 of the maximin search is the plain design, so the search never does worse; over
    // 30 candidates it does better (the minimum distance of 20 random points in [0,1]^2 varies
    // widely from design to design).
    const UnitDesign plain = latin_hypercube(20, 2, 5);
    const UnitDesign maximin = latin_hypercube(20, 2, 5, 30);
    CHECK(minimum_distance(maximin) > minimum_distance(plain));
    for (std::size_t c = 0; c < 2; ++c) {
        std::set<long> strata;
        for (std::size_t r = 0; r < 20; ++r)
            strata.insert(static_cast<long>(maximin.at(r, c) * 20));
        CHECK(strata.size() == 20);
    }
}

TEST_CASE("sensitivity: Saltelli rows come from one 2D-dimensional Sobol' sequence") {
    const SaltelliDesign design = saltelli_design(64, 3, true);
    const SaltelliLayout& layout = design.layout;
    REQUIRE(layout.rows_per_base() == 3 + 2 + 3);
    REQUIRE(design.points.rows() == 64 * 8);
    // The first point after the all-zero one is (1/2, ..., 1/2) in every dimension, so both A_0
    // and B_0 are all halves. With B taken from a second block of a D-dimensional sequence, B_0
    // would be its 65th point instead.
    for (std::size_t c = 0; c < 3; ++c) {
        CHECK(design.points.at(layout.row_a(0), c) == 0.5);
        CHECK(design.points.at(layout.row_b(0), c) == 0.5);
    }
    // The second point of a Sobol' sequence is (3/4, 1/4, ...) in its first two dimensions: A_1
    // starts with it.
    CHECK(design.points.at(layout.row_a(1), 0) == 0.75);
    CHECK(design.points.at(layout.row_a(1), 1) == 0.25);
    std::set<std::vector<double>> base_points;
    for (std::size_t j = 0; j < 64; ++j) {
        const auto a = design.points.row(layout.row_a(j));
        const auto b = design.points.row(layout.row_b(j));
        base_points.insert({a.begin(), a.end()});
        for (std::size_t i = 0; i < 3; ++i) {
            for (std::size_t c = 0; c < 3; ++c) {
                CHECK(design.points.at(layout.row_ab(j, i), c) == (c == i ? b[c] : a[c]));
                CHECK(design.points.at(layout.row_ba(j, i), c) == (c == i ? a[c] : b[c]));
            }
        }
        for (double x : a) CHECK((x > 0 && x < 1));
        for (double x : b) CHECK((x > 0 && x < 1));
    }
    CHECK(base_points.size() == 64);
    CHECK(saltelli_design(8, 2).layout.rows_per_base() == 4);
    CHECK_THROWS_AS(saltelli_design(0, 2), std::invalid_argument);
    CHECK_THROWS_AS(saltelli_design(8, 2000), std::invalid_argument);
}

TEST_CASE("sensitivity: Sobol' indices of the Ishigami function at N = 4096") {
    const Truth truth = ishigami_truth();
    // The published values (Ishigami and Homma 1990; Saltelli et al. 2008) from the formulas.
    CHECK(std::abs(truth.first[0] - 0.3139) < 1e-4);
    CHECK(std::abs(truth.first[1] - 0.4424) < 1e-4);
    CHECK(std::abs(truth.total[0] - 0.5576) < 1e-4);
    CHECK(std::abs(truth.total[2] - 0.2437) < 1e-4);

    const SaltelliDesign design = saltelli_design(4096, 3);
    const SobolIndices indices = sobol_indices(design.layout, evaluate(design.points, ishigami));
    for (std::size_t i = 0; i < 3; ++i) {
        CAPTURE(i);
        // The tolerance. Sobol' points converge near 1/N, so at N = 4096 the estimators'
        // error is of the order of 1e-3 and 0.02 fails only a wrong estimator or design.
        CHECK(std::abs(indices.first[i] - truth.first[i]) < 0.02);
        CHECK(std::abs(indices.total[i] - truth.total[i]) < 0.02);
        CHECK(indices.first_ci95[i].low < indices.first_ci95[i].high);
        CHECK(indices.total_ci95[i].low < indices.total_ci95[i].high);
    }
    CHECK(indices.second.empty());
    // The variance of the output over A and B: V of the formulas, to the same relative accuracy.
    const double v = 0.5 * std::pow(1 + kB * std::pow(kPi, 4) / 5, 2) + kA * kA / 8 +
                     8 * kB * kB * std::pow(kPi, 8) / 225;
    CHECK(std::abs(indices.variance / v - 1) < 0.02);
}

TEST_CASE("sensitivity: Sobol' indices of the G-function, first, total and second order") {
    const std::vector<std::vector<double>> coefficient_sets{
        {0, 1, 4.5, 9, 99, 99, 99, 99}, {78, 12, 0.5}, {0, 0, 0}, {0, 1, 4.5, 9}};
    for (const auto& a : coefficient_sets) {
        CAPTURE(a);
        const std::size_t d = a.size();
        const GTruth truth = g_truth(a);
        const SaltelliDesign design = saltelli_design(4096, d, true);
        const SobolIndices indices = sobol_indices(
            design.layout,
            evaluate(design.points, [&](std::span<const double> u) { return g_function(u, a); }));
        for (std::size_t i = 0; i < d; ++i) {
            CAPTURE(i);
            double others = 1;
            for (std::size_t j = 0; j < d; ++j)
                if (j != i) others *= 1 + truth.vi[j];
            // Same tolerance and reason as for Ishigami.
            CHECK(std::abs(indices.first[i] - truth.vi[i] / truth.v) < 0.02);
            CHECK(std::abs(indices.total[i] - truth.vi[i] * others / truth.v) < 0.02);
            for (std::size_t j = 0; j < d; ++j) {
                if (j == i) {
                    CHECK(std::isnan(indices.second[i * d + j]));
                    continue;
                }
                // The second-order estimator subtracts two first-order estimates from a closed
                // index, adding up three errors of the size above: 0.03.
                CHECK(std::abs(indices.second[i * d + j] - truth.vi[i] * truth.vi[j] / truth.v) <
                      0.03);
                CHECK(indices.second[i * d + j] == indices.second[j * d + i]);
            }
        }
    }
}

TEST_CASE("sensitivity: bootstrap intervals cover the true Ishigami indices 95% of the time") {
    // 600 independent plain Monte Carlo designs (A and B uniform) of N = 1024 base rows: the
    // bootstrap resamples base rows as independent draws, which is what they are here (with
    // Sobol' points the same intervals are conservative). Each interval's coverage is a binomial
    // proportion over 600 designs; it must be within kZ standard errors (0.042) of 0.95: a correct
    // 95% interval fails this with probability about 2e-6 per check, a 90% one about 3 times in
    // 4 per check (and almost surely over six checks). The percentile bootstrap is itself
    // approximate (at N = 512 the heavy tail of b x3^4 sin x1 makes S1_1's intervals short by a
    // few points), hence N = 1024, where that error is a small part of the margin.
    const Truth truth = ishigami_truth();
    constexpr std::size_t kDesigns = 600, kN = 1024;
    std::vector<double> first_hits(3, 0), total_hits(3, 0);
    for (std::size_t k = 0; k < kDesigns; ++k) {
        const SaltelliDesign design = saltelli_from_matrices(
            uniform_points(kN, 3, 2024, 2 * k), uniform_points(kN, 3, 2024, 2 * k + 1));
        const SobolIndices indices =
            sobol_indices(design.layout, evaluate(design.points, ishigami), {1000, k});
        for (std::size_t i = 0; i < 3; ++i) {
            first_hits[i] += covers(indices.first_ci95[i], truth.first[i]);
            total_hits[i] += covers(indices.total_ci95[i], truth.total[i]);
        }
    }
    for (std::size_t i = 0; i < 3; ++i) {
        CAPTURE(i);
        CAPTURE(first_hits[i]);
        CAPTURE(total_hits[i]);
        CHECK(essaim::test::proportion_close(first_hits[i] / kDesigns, 0.95, kDesigns));
        CHECK(essaim::test::proportion_close(total_hits[i] / kDesigns, 0.95, kDesigns));
    }
}

TEST_CASE("sensitivity: Sobol' estimator edge cases") {
    const SaltelliDesign design = saltelli_design(16, 3);  // ishigami reads three inputs
    const std::vector<double> constant(design.points.rows(), 3.0);
    const SobolIndices indices = sobol_indices(design.layout, constant, {100, 1});
    CHECK(indices.variance == 0);
    CHECK(std::isnan(indices.first[0]));
    CHECK(std::isnan(indices.total[1]));
    CHECK(std::isnan(indices.first_ci95[0].low));
    CHECK_THROWS_AS(sobol_indices(design.layout, std::vector<double>(5, 1.0)),
                    std::invalid_argument);
    // The intervals depend on the seed only: same seed, same intervals.
    const auto y = evaluate(design.points, ishigami);
    const SobolIndices one = sobol_indices(design.layout, y, {200, 9});
    const SobolIndices two = sobol_indices(design.layout, y, {200, 9});
    CHECK(one.first_ci95[0].low == two.first_ci95[0].low);
    CHECK(one.total_ci95[1].high == two.total_ci95[1].high);
    // A shift of the output changes no index (the estimators centre the outputs).
    std::vector<double> shifted = y;
    for (double& v : shifted) v += 1e6;
    const SobolIndices moved = sobol_indices(design.layout, shifted, {0, 0});
    CHECK(moved.first[0] == doctest::Approx(one.first[0]).epsilon(1e-6));
    CHECK(moved.total[1] == doctest::Approx(one.total[1]).epsilon(1e-6));
}

TEST_CASE("sensitivity: Morris trajectories move one factor at a time by delta on the grid") {
    for (std::size_t levels : {2u, 4u, 6u}) {
        for (std::size_t candidates : {0u, 40u}) {
            CAPTURE(levels);
            CAPTURE(candidates);
            const std::size_t d = 5, r = 8;
            const UnitDesign design = morris_design(r, d, {levels, candidates, 11});
            REQUIRE(design.rows() == r * (d + 1));
            const double step = 1.0 / static_cast<double>(levels - 1);
            const double delta = static_cast<double>(levels) / (2.0 * (levels - 1));
            for (double x : design.values) {
                const double level = x / step;
                CHECK(std::abs(level - std::round(level)) < 1e-12);
                CHECK((x >= 0 && x <= 1));
            }
            for (std::size_t t = 0; t < r; ++t) {
                std::vector<int> moves(d, 0);
                for (std::size_t s = 0; s < d; ++s) {
                    const std::size_t row = t * (d + 1) + s;
                    int changed = 0;
                    for (std::size_t c = 0; c < d; ++c) {
                        const double diff = design.at(row + 1, c) - design.at(row, c);
                        if (diff == 0) continue;
                        ++changed;
                        ++moves[c];
                        CHECK(std::abs(std::abs(diff) - delta) < 1e-12);
                    }
                    CHECK(changed == 1);
                }
                CHECK(moves == std::vector<int>(d, 1));
            }
        }
    }
    CHECK_THROWS_AS(morris_design(4, 3, {5, 0, 1}), std::invalid_argument);
    CHECK_THROWS_AS(morris_design(4, 3, {4, 3, 1}), std::invalid_argument);
}

TEST_CASE("sensitivity: Campolongo's selection spreads the trajectories") {
    // The plain design of a seed is the selection's first r candidates, a random subset; keeping
    // the 10 most spread of 100 gives a larger spread.
    const UnitDesign plain = morris_design(10, 4, {4, 0, 3});
    const UnitDesign chosen = morris_design(10, 4, {4, 100, 3});
    CHECK(morris_spread(chosen) > morris_spread(plain));
}

TEST_CASE("sensitivity: Morris on a linear model gives mu_star = |coefficient| x range exactly") {
    // f = sum c_i x_i with x_i = low_i + u_i (high_i - low_i): every elementary effect of factor i
    // is c_i (high_i - low_i), so mu = c_i range_i, mu_star = |c_i| range_i and sigma = 0, up to
    // the rounding of a few operations (relative 1e-12).
    const std::vector<double> c{3, -2, 0.5, 0}, low{0, 10, -1, 2}, high{1, 14, 1, 3};
    const auto f = [&](std::span<const double> u) {
        double y = 0;
        for (std::size_t i = 0; i < c.size(); ++i) y += c[i] * (low[i] + u[i] * (high[i] - low[i]));
        return y;
    };
    for (std::size_t levels : {4u, 6u}) {
        const UnitDesign design = morris_design(12, 4, {levels, 50, 17});
        const MorrisIndices indices = morris_indices(design, evaluate(design, f));
        for (std::size_t i = 0; i < 4; ++i) {
            CAPTURE(i);
            const double effect = c[i] * (high[i] - low[i]);
            CHECK(indices.mu[i] == doctest::Approx(effect).epsilon(1e-12));
            CHECK(indices.mu_star[i] == doctest::Approx(std::abs(effect)).epsilon(1e-12));
            CHECK(indices.sigma[i] < 1e-12 * 20);
        }
    }
    // A nonlinear check: f = u1 u2 on the 2-level grid (delta = 1) has elementary effects of u1
    // equal to u2 in {0, 1}, so mu = mu_star = share of trajectories where u2 = 1 at u1's move.
    const UnitDesign grid = morris_design(200, 2, {2, 0, 5});
    const MorrisIndices product =
        morris_indices(grid, evaluate(grid, [](std::span<const double> u) { return u[0] * u[1]; }));
    CHECK(product.mu[0] == product.mu_star[0]);
    CHECK(essaim::test::proportion_close(product.mu[0], 0.5, 200));
}

TEST_CASE("sensitivity: Morris estimator rejects designs that are not trajectories") {
    UnitDesign design = morris_design(2, 3, {4, 0, 1});
    std::vector<double> y(design.rows(), 0.0);
    CHECK_NOTHROW(morris_indices(design, y));
    CHECK_THROWS_AS(morris_indices(design, std::vector<double>(3, 0.0)), std::invalid_argument);
    design.at(1, 0) = design.at(0, 0) + 0.1;  // a second factor moves in the first step
    design.at(1, 1) = design.at(0, 1) + 0.1;
    CHECK_THROWS_AS(morris_indices(design, y), std::invalid_argument);
    const MorrisIndices single =
        morris_indices(morris_design(1, 2, {4, 0, 1}), std::vector<double>{0, 1, 2});
    CHECK(std::isnan(single.sigma[0]));
}

TEST_CASE("sensitivity: PRCC of a monotone model ranks the inputs as it must") {
    // y = x1 + exp(2 x2) - 0.1 x3 on [0, 1]^4; x4 does not enter. Every partial rank correlation
    // of an input in the model has the sign of its effect, and the larger the effect on y's
    // ranks, the larger |PRCC|: x2 (range e^2 - 1 = 6.4) > x1 (1) > x3 (0.1).
    const auto f = [](std::span<const double> x) { return x[0] + std::exp(2 * x[1]) - 0.1 * x[2]; };
    const UnitDesign design = latin_hypercube(200, 4, 42);
    const std::vector<double> y = evaluate(design, f);
    const PartialRankCorrelations p = partial_rank_correlations(design, y);
    CAPTURE(p.prcc);
    CHECK(p.prcc[1] > p.prcc[0]);
    CHECK(p.prcc[0] > -p.prcc[2]);
    CHECK(p.prcc[2] < 0);
    CHECK(-p.prcc[2] > std::abs(p.prcc[3]));
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(p.ci95[i].low < p.prcc[i]);
        CHECK(p.prcc[i] < p.ci95[i].high);
    }
    CHECK(p.ci95[0].low > 0);
    CHECK(p.ci95[2].high < 0);
    // Ranks only: a monotone transformation of the output changes nothing.
    std::vector<double> transformed = y;
    for (double& v : transformed) v = std::exp(v);
    const PartialRankCorrelations q = partial_rank_correlations(design, transformed);
    for (std::size_t i = 0; i < 4; ++i)
        CHECK(q.prcc[i] == doctest::Approx(p.prcc[i]).epsilon(1e-12));
    CHECK_THROWS_AS(partial_rank_correlations(latin_hypercube(6, 4, 1), std::vector<double>(6)),
                    std::invalid_argument);
}

TEST_CASE(
    "sensitivity: the PRCC interval of an input that does not matter covers 0 95% of the time") {
    // 1000 designs of 40 points; x4 is independent of y given the others, so its PRCC is 0. The
    // Fisher interval is approximate for ranks; its coverage must be within kZ standard errors
    // (0.033) of 0.95 (false alarm about 2e-6 for an exact interval).
    const auto f = [](std::span<const double> x) { return x[0] + std::exp(2 * x[1]) - 0.1 * x[2]; };
    constexpr std::size_t kDesigns = 1000;
    double hits = 0;
    for (std::uint64_t seed = 0; seed < kDesigns; ++seed) {
        const UnitDesign design = uniform_points(40, 4, 77, seed);
        hits += covers(partial_rank_correlations(design, evaluate(design, f)).ci95[3], 0.0);
    }
    CAPTURE(hits);
    CHECK(essaim::test::proportion_close(hits / kDesigns, 0.95, kDesigns));
}

TEST_CASE("sensitivity: share of output variance that is replication noise") {
    // Rows (1, 3) and (5, 7): within-row variance 4 / (4 - 2) = 2, total 20 / 3, share 0.3.
    CHECK(replication_noise_share(std::vector<double>{1, 3, 5, 7}, 2) == doctest::Approx(0.3));
    CHECK(replication_noise_share(std::vector<double>{1, 1, 5, 5, 2, 2}, 2) == 0);
    CHECK(std::isnan(replication_noise_share(std::vector<double>{4, 4, 4, 4}, 2)));
    CHECK_THROWS_AS(replication_noise_share(std::vector<double>{1, 2, 3}, 2),
                    std::invalid_argument);
    CHECK_THROWS_AS(replication_noise_share(std::vector<double>{1, 2}, 1), std::invalid_argument);

    // Row effects and noise both uniform of variance 1/12: share 1/2. 20000 rows of 2: each
    // variance estimate has a relative standard error under 1% (df 20000), the ratio under 1.5%,
    // i.e. 0.007 on 0.5; kZ of them is 0.034.
    const essaim::RandomSource source(8, 0);
    essaim::RandomStream stream(source, {0, 1, 0, 0});
    std::vector<double> y;
    for (int r = 0; r < 20000; ++r) {
        const double row = stream.uniform();
        for (int k = 0; k < 2; ++k) y.push_back(row + stream.uniform());
    }
    CHECK(std::abs(replication_noise_share(y, 2) - 0.5) < 0.035);
}
