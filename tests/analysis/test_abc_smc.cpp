// The arithmetic of ABC-SMC (analysis/abc_smc.hpp) against hand computations and closed forms:
// weighted quantiles and summaries of small discrete distributions worked out by hand, Kish's
// effective sample size, index draws and parent choices against their exact probabilities
// (Pearson's chi-square), the kernel's covariance and density recomputed independently, and the
// property PMC rests on: proposals weighted by 1 / proposal_density are uniform on the cube.
// Statistical checks use tests/stat_check.hpp (about 1e-6 false alarms per assertion).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/abc_smc.hpp"
#include "sim/random.hpp"
#include "tests/stat_check.hpp"

using namespace essaim::analysis::abc;
using essaim::RandomSource;
using essaim::RandomStream;
using essaim::test::kZ;

namespace {

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

std::vector<double> cumulative_of(const std::vector<double>& weights) {
    std::vector<double> c(weights.size());
    std::partial_sum(weights.begin(), weights.end(), c.begin());
    return c;
}

// A self-normalised importance-sampling estimate and its delta-method standard error.
struct Estimate {
    double value = 0, se = 0;
};
Estimate weighted_mean(const std::vector<double>& f, const std::vector<double>& w) {
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    Estimate e;
    for (std::size_t i = 0; i < f.size(); ++i) e.value += w[i] * f[i] / total;
    double variance = 0;
    for (std::size_t i = 0; i < f.size(); ++i)
        variance += (w[i] / total) * (w[i] / total) * (f[i] - e.value) * (f[i] - e.value);
    e.se = std::sqrt(variance);
    return e;
}

}  // namespace

TEST_CASE("abc: weighted_quantile on small cases worked out by hand") {
    // Equal weights: the smallest value whose cumulative share reaches q.
    const std::vector<double> v{3, 1, 2}, ones{1, 1, 1};
    CHECK(weighted_quantile(v, ones, 0.0) == 1);
    CHECK(weighted_quantile(v, ones, 0.2) == 1);
    CHECK(weighted_quantile(v, ones, 1.0 / 3) == 1);  // the cumulative share is exactly 1/3
    CHECK(weighted_quantile(v, ones, 0.34) == 2);
    CHECK(weighted_quantile(v, ones, 0.5) == 2);
    CHECK(weighted_quantile(v, ones, 2.0 / 3) == 2);
    CHECK(weighted_quantile(v, ones, 0.7) == 3);
    CHECK(weighted_quantile(v, ones, 1.0) == 3);

    // Unnormalised weights 2, 6, 2 (shares 0.2, 0.6, 0.2), given out of order: scaling all the
    // weights changes nothing.
    const std::vector<double> x{30, 10, 20}, w{2, 2, 6};
    for (double scale : {1.0, 0.001, 1e6}) {
        std::vector<double> ws = w;
        for (double& a : ws) a *= scale;
        CHECK(weighted_quantile(x, ws, 0.05) == 10);
        CHECK(weighted_quantile(x, ws, 0.2) == 10);
        CHECK(weighted_quantile(x, ws, 0.21) == 20);
        CHECK(weighted_quantile(x, ws, 0.5) == 20);
        CHECK(weighted_quantile(x, ws, 0.8) == 20);
        CHECK(weighted_quantile(x, ws, 0.81) == 30);
        CHECK(weighted_quantile(x, ws, 0.95) == 30);
    }

    // Ties: equal values pool their weights. 1 holds 4/7 of the weight, 5 holds 3/7 in three
    // pieces, one of them weightless.
    const std::vector<double> t{5, 5, 1, 5}, tw{1, 2, 4, 0};
    CHECK(weighted_quantile(t, tw, 0.5) == 1);
    CHECK(weighted_quantile(t, tw, 4.0 / 7) == 1);
    CHECK(weighted_quantile(t, tw, 0.58) == 5);
    CHECK(weighted_quantile(t, tw, 1.0) == 5);

    // A weightless value is never a quantile for q > 0.
    const std::vector<double> z{1, 2, 3}, zw{0, 1, 0};
    for (double q : {0.01, 0.5, 0.99, 1.0}) CHECK(weighted_quantile(z, zw, q) == 2);

    // A single value.
    CHECK(weighted_quantile({7.5}, {0.3}, 0.05) == 7.5);
    CHECK(weighted_quantile({7.5}, {0.3}, 0.95) == 7.5);

    CHECK_THROWS_AS(weighted_quantile({}, {}, 0.5), std::invalid_argument);
    CHECK_THROWS_AS(weighted_quantile({1, 2}, {1}, 0.5), std::invalid_argument);
}

TEST_CASE("abc: weighted_quantile agrees with a direct search on random populations") {
    // The definition written out: the smallest v_i with sum_{v_j <= v_i} w_j >= q sum w.
    const RandomSource source(5, 0);
    RandomStream stream(source, {0, 1, 0, 0});
    for (int trial = 0; trial < 200; ++trial) {
        const std::size_t n = 1 + static_cast<std::size_t>(stream.uniform() * 12);
        std::vector<double> v(n), w(n);
        for (std::size_t i = 0; i < n; ++i) {
            v[i] = std::floor(stream.uniform() * 5);  // many ties
            w[i] = stream.uniform() < 0.2 ? 0 : stream.uniform() * 3;
        }
        if (std::accumulate(w.begin(), w.end(), 0.0) == 0) w[0] = 1;
        const double total = std::accumulate(w.begin(), w.end(), 0.0);
        for (double q : {0.05, 0.25, 0.5, 0.75, 0.95}) {
            double expected = INFINITY;
            for (std::size_t i = 0; i < n; ++i) {
                double below = 0;
                for (std::size_t j = 0; j < n; ++j)
                    if (v[j] <= v[i]) below += w[j];
                // Away from exact ties of the cumulative share with q, which the program settles
                // with a relative slack of 1e-12.
                if (below >= q * total) expected = std::min(expected, v[i]);
            }
            CHECK(weighted_quantile(v, w, q) == expected);
        }
    }
}

TEST_CASE("abc: effective_sample_size is Kish's (sum w)^2 / sum w^2") {
    CHECK(effective_sample_size(std::vector<double>(10, 0.1)) == doctest::Approx(10));
    CHECK(effective_sample_size(std::vector<double>(7, 3.0)) == doctest::Approx(7));
    CHECK(effective_sample_size({1, 0, 0, 0}) == doctest::Approx(1));
    CHECK(effective_sample_size({1, 3}) == doctest::Approx(16.0 / 10));
    CHECK(effective_sample_size({0.25, 0.75}) == doctest::Approx(16.0 / 10));  // scale-free
    CHECK(effective_sample_size({1, 1, 2}) == doctest::Approx(16.0 / 6));
    CHECK(effective_sample_size({0, 0}) == 0);
    CHECK(effective_sample_size({}) == 0);
}

TEST_CASE("abc: draw_index by the cumulative sums, exactly and in frequency") {
    // Weights 0.2, 0.3, 0.5 as cumulative sums, unnormalised (x10).
    const std::vector<double> c{2, 5, 10};
    CHECK(draw_index(c, 0.01) == 0);
    CHECK(draw_index(c, 0.19) == 0);
    CHECK(draw_index(c, 0.21) == 1);
    CHECK(draw_index(c, 0.49) == 1);
    CHECK(draw_index(c, 0.51) == 2);
    CHECK(draw_index(c, 0.999999) == 2);
    // A weightless index is never drawn, wherever it stands.
    const std::vector<double> z = cumulative_of({0, 1, 0, 2, 0});
    for (int i = 1; i < 1000; ++i) {
        const std::size_t k = draw_index(z, i / 1000.0);
        CHECK((k == 1 || k == 3));
    }

    // Frequencies: 200000 draws from uniforms of the project's streams, chi-square against the
    // weights (a zero weight among them: never drawn).
    const std::vector<double> weights{0.05, 0.3, 0, 0.15, 0.1, 0.4, 1e-3};
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    const auto cumulative = cumulative_of(weights);
    std::vector<double> counts(weights.size(), 0), p(weights.size());
    for (std::size_t i = 0; i < weights.size(); ++i) p[i] = weights[i] / total;
    const RandomSource source(11, 0);
    RandomStream stream(source, {0, 2, 0, 0});
    const int n = 200000;
    for (int i = 0; i < n; ++i) counts[draw_index(cumulative, stream.uniform())] += 1;
    CHECK(counts[2] == 0);
    std::vector<double> observed, expected;
    for (std::size_t i = 0; i < weights.size(); ++i)
        if (p[i] > 0) {
            observed.push_back(counts[i]);
            expected.push_back(p[i]);
        }
    CHECK(essaim::test::chi2_pooled_ok(observed, expected));
}

TEST_CASE("abc: summarise_weighted on known discrete distributions") {
    // Bernoulli(0.3): mean 0.3, sd sqrt(0.21), quantiles 0, 0, 1.
    auto s = summarise_weighted({0, 1}, {0.7, 0.3});
    CHECK(s.mean == doctest::Approx(0.3));
    CHECK(s.sd == doctest::Approx(std::sqrt(0.21)));
    CHECK(s.q05 == 0);
    CHECK(s.q50 == 0);
    CHECK(s.q95 == 1);

    // P(x = k) = k / 10 on 1..4, unnormalised weights, shuffled: mean 30/10 = 3,
    // E x^2 = 100/10 = 10, so sd 1; cumulative 0.1, 0.3, 0.6, 1: q05 = 1, q50 = 3, q95 = 4.
    s = summarise_weighted({3, 1, 4, 2}, {3, 1, 4, 2});
    CHECK(s.mean == doctest::Approx(3));
    CHECK(s.sd == doctest::Approx(1));
    CHECK(s.q05 == 1);
    CHECK(s.q50 == 3);
    CHECK(s.q95 == 4);

    // Uniform on 1..20 (equal weights): mean 10.5, variance (20^2 - 1) / 12 (no n - 1
    // correction), q05 = 1 (cumulative 1/20 reaches 0.05), q50 = 10, q95 = 19.
    std::vector<double> v(20), w(20, 0.05);
    std::iota(v.begin(), v.end(), 1.0);
    s = summarise_weighted(v, w);
    CHECK(s.mean == doctest::Approx(10.5));
    CHECK(s.sd == doctest::Approx(std::sqrt(399.0 / 12)));
    CHECK(s.q05 == 1);
    CHECK(s.q50 == 10);
    CHECK(s.q95 == 19);

    // One point: no spread.
    s = summarise_weighted({0.25}, {2});
    CHECK(s.mean == doctest::Approx(0.25));
    CHECK(s.sd == 0);
    CHECK(s.q05 == 0.25);
    CHECK(s.q95 == 0.25);
}

TEST_CASE("abc: the kernel's covariance is twice the weighted covariance (exact, small)") {
    // Four particles in 2 dimensions; the weighted covariance written out by hand.
    Population p;
    p.dimensions = 2;
    p.u = {0.2, 0.3, 0.4, 0.1, 0.6, 0.7, 0.5, 0.5};
    p.weights = {0.1, 0.2, 0.3, 0.4};
    // Means: x = 0.02 + 0.08 + 0.18 + 0.20 = 0.48, y = 0.03 + 0.02 + 0.21 + 0.20 = 0.46.
    // Deviations: x (-0.28, -0.08, 0.12, 0.02), y (-0.16, -0.36, 0.24, 0.04).
    // Vxx = 0.1*0.0784 + 0.2*0.0064 + 0.3*0.0144 + 0.4*0.0004 = 0.0136
    // Vyy = 0.1*0.0256 + 0.2*0.1296 + 0.3*0.0576 + 0.4*0.0016 = 0.0464
    // Vxy = 0.1*0.0448 + 0.2*0.0288 + 0.3*0.0288 + 0.4*0.0008 = 0.0192
    const Kernel k(p);
    const auto& s = k.covariance();
    REQUIRE(s.size() == 4);
    CHECK(s[0] == doctest::Approx(2 * 0.0136).epsilon(1e-12));
    CHECK(s[1] == doctest::Approx(2 * 0.0192).epsilon(1e-12));
    CHECK(s[2] == doctest::Approx(2 * 0.0192).epsilon(1e-12));
    CHECK(s[3] == doctest::Approx(2 * 0.0464).epsilon(1e-12));

    // One dimension: mean 0.5, variance 0.25 * 0.16 * 2 = 0.08, kernel variance 0.16.
    Population q;
    q.dimensions = 1;
    q.u = {0.1, 0.5, 0.9};
    q.weights = {0.25, 0.5, 0.25};
    CHECK(Kernel(q).covariance()[0] == doctest::Approx(0.16).epsilon(1e-12));
}

TEST_CASE("abc: a degenerate dimension still gets a usable kernel, malformed populations throw") {
    Population p;
    p.dimensions = 2;
    p.u = {0.3, 0.5, 0.7, 0.5, 0.4, 0.5};  // every particle at 0.5 in the second dimension
    p.weights = {0.2, 0.5, 0.3};
    const Kernel k(p);
    CHECK(k.covariance()[3] > 0);
    CHECK(k.covariance()[3] < 1e-4);  // small: a sd of at most 0.01 of the quantile range
    const RandomSource source(3, 0);
    RandomStream stream(source, {0, 3, 0, 0});
    bool moved = false;
    for (int i = 0; i < 100; ++i) {
        const auto u = k.propose(stream);
        moved = moved || u[1] != 0.5;
        CHECK(std::isfinite(k.proposal_density(u.data())));
    }
    CHECK(moved);

    Population empty;
    empty.dimensions = 1;
    CHECK_THROWS_AS(Kernel{empty}, std::invalid_argument);
    Population malformed;
    malformed.dimensions = 2;
    malformed.u = {0.1, 0.2, 0.3};
    malformed.weights = {0.5, 0.5};
    CHECK_THROWS_AS(Kernel{malformed}, std::invalid_argument);
}

TEST_CASE("abc: proposal_density is sum_j W_j exp(-(u - u_j)' S^-1 (u - u_j) / 2)") {
    Population p;
    p.dimensions = 2;
    p.u = {0.2, 0.3, 0.4, 0.1, 0.6, 0.7, 0.5, 0.5};
    p.weights = {0.1, 0.2, 0.3, 0.4};
    const Kernel k(p);
    // S from the hand computation above, inverted in closed form.
    const double a = 0.0272, b = 0.0384, d = 0.0928, det = a * d - b * b;
    const double i00 = d / det, i01 = -b / det, i11 = a / det;
    for (const auto& u : std::vector<std::vector<double>>{
             {0.5, 0.5}, {0.2, 0.3}, {0.01, 0.99}, {0.9, 0.05}, {0.45, 0.62}}) {
        double expected = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const double x = u[0] - p.u[2 * j], y = u[1] - p.u[2 * j + 1];
            expected += p.weights[j] * std::exp(-0.5 * (i00 * x * x + 2 * i01 * x * y + i11 * y * y));
        }
        CHECK(k.proposal_density(u.data()) == doctest::Approx(expected).epsilon(1e-12));
    }
}

TEST_CASE("abc: proposals lie inside the open cube, even from particles at its edges") {
    Population p;
    p.dimensions = 3;
    p.u = {0.001, 0.999, 0.5, 0.999, 0.001, 0.002, 0.5, 0.5, 0.998, 0.01, 0.97, 0.03};
    p.weights = {0.4, 0.3, 0.1, 0.2};
    const Kernel k(p);
    const RandomSource source(7, 0);
    RandomStream stream(source, {0, 4, 0, 0});
    int outside = 0;
    for (int i = 0; i < 20000; ++i)
        for (double x : k.propose(stream)) outside += !(x > 0 && x < 1);
    CHECK(outside == 0);
}

TEST_CASE("abc: parents follow the weights, times each parent's chance of landing inside") {
    // Parent and move are drawn again together until the particle is inside (0, 1): the parent
    // of an accepted proposal is j with probability W_j P_j(inside) / sum_k W_k P_k(inside),
    // where P_j(inside) = Phi((1 - u_j) / s) - Phi(-u_j / s) in one dimension. Particles near
    // the edges make those chances differ clearly from 1.
    Population p;
    p.dimensions = 1;
    p.u = {0.02, 0.1, 0.5, 0.95, 0.7};
    p.weights = {0.35, 0.1, 0.2, 0.25, 0.1};
    const Kernel k(p);
    const double s = std::sqrt(k.covariance()[0]);
    std::vector<double> expected(5);
    double total = 0;
    for (std::size_t j = 0; j < 5; ++j) {
        expected[j] = p.weights[j] * (normal_cdf((1 - p.u[j]) / s) - normal_cdf(-p.u[j] / s));
        total += expected[j];
    }
    for (double& e : expected) e /= total;
    const RandomSource source(13, 0);
    RandomStream stream(source, {0, 5, 0, 0});
    std::vector<double> counts(5, 0);
    int bad_parent = 0;
    for (int i = 0; i < 100000; ++i) {
        std::size_t parent = 99;
        k.propose(stream, &parent);
        if (parent < 5)
            counts[parent] += 1;
        else
            ++bad_parent;
    }
    CHECK(bad_parent == 0);
    CHECK(essaim::test::chi2_pooled_ok(counts, expected));

    // Away from the edges (truncation negligible: every particle 9 kernel sd inside), the
    // parents follow the weights themselves.
    Population c;
    c.dimensions = 1;
    c.u = {0.48, 0.5, 0.52, 0.49};
    c.weights = {0.1, 0.2, 0.3, 0.4};
    const Kernel kc(c);
    REQUIRE(std::sqrt(kc.covariance()[0]) * 9 < 0.48);
    std::fill(counts.begin(), counts.end(), 0);
    counts.resize(4);
    for (int i = 0; i < 100000; ++i) {
        std::size_t parent = 99;
        kc.propose(stream, &parent);
        if (parent < 4)
            counts[parent] += 1;
        else
            ++bad_parent;
    }
    CHECK(bad_parent == 0);
    CHECK(essaim::test::chi2_pooled_ok(counts, c.weights));
}

TEST_CASE("abc: proposals follow the truncated Gaussian mixture (one dimension, chi-square)") {
    // q(u) proportional to sum_j W_j phi((u - u_j) / s) on (0, 1): the probability of a bin
    // [a, b] is sum_j W_j (Phi((b - u_j) / s) - Phi((a - u_j) / s)), normalised over (0, 1).
    Population p;
    p.dimensions = 1;
    p.u = {0.05, 0.3, 0.35, 0.8, 0.9};
    p.weights = {0.3, 0.1, 0.2, 0.15, 0.25};
    const Kernel k(p);
    const double s = std::sqrt(k.covariance()[0]);
    const int bins = 25;
    std::vector<double> probability(bins), counts(bins, 0);
    double total = 0;
    for (int b = 0; b < bins; ++b) {
        for (std::size_t j = 0; j < 5; ++j)
            probability[b] += p.weights[j] * (normal_cdf((double(b + 1) / bins - p.u[j]) / s) -
                                              normal_cdf((double(b) / bins - p.u[j]) / s));
        total += probability[b];
    }
    for (double& x : probability) x /= total;
    const RandomSource source(17, 0);
    RandomStream stream(source, {0, 6, 0, 0});
    for (int i = 0; i < 200000; ++i)
        counts[std::min(bins - 1, static_cast<int>(k.propose(stream)[0] * bins))] += 1;
    CHECK(essaim::test::chi2_pooled_ok(counts, probability));
}

TEST_CASE("abc: moves away from the edges have the kernel's covariance (two dimensions)") {
    // Correlated particles in the middle of the square: moves u - u_parent ~ N(0, S). The sample
    // covariance of n moves has standard errors sqrt(2 / n) S_ii and sqrt((S_11 S_22 + S_12^2)
    // / n); the mean move is 0 within sqrt(S_ii / n).
    Population p;
    p.dimensions = 2;
    p.u = {0.47, 0.46, 0.5, 0.5, 0.53, 0.55, 0.49, 0.51, 0.51, 0.48};
    p.weights = {0.2, 0.3, 0.1, 0.25, 0.15};
    const Kernel k(p);
    const auto& S = k.covariance();
    REQUIRE(9 * std::sqrt(std::max(S[0], S[3])) < 0.45);  // truncation negligible
    const RandomSource source(19, 0);
    RandomStream stream(source, {0, 7, 0, 0});
    const int n = 50000;
    double m0 = 0, m1 = 0, s00 = 0, s01 = 0, s11 = 0;
    for (int i = 0; i < n; ++i) {
        std::size_t parent = 0;
        const auto u = k.propose(stream, &parent);
        const double x = u[0] - p.u[2 * parent], y = u[1] - p.u[2 * parent + 1];
        m0 += x / n;
        m1 += y / n;
        s00 += x * x / n;
        s01 += x * y / n;
        s11 += y * y / n;
    }
    CHECK(std::abs(m0) < kZ * std::sqrt(S[0] / n));
    CHECK(std::abs(m1) < kZ * std::sqrt(S[3] / n));
    CHECK(std::abs(s00 - S[0]) < kZ * std::sqrt(2.0 / n) * S[0]);
    CHECK(std::abs(s11 - S[3]) < kZ * std::sqrt(2.0 / n) * S[3]);
    CHECK(std::abs(s01 - S[1]) < kZ * std::sqrt((S[0] * S[3] + S[1] * S[1]) / n));
    // The particles are correlated, and so are the moves: far from independent.
    CHECK(S[1] / std::sqrt(S[0] * S[3]) > 0.5);
}

TEST_CASE("abc: proposals weighted by 1 / proposal_density are uniform on the cube") {
    // PMC's importance weights rest on this: propose() draws from a density proportional to
    // proposal_density() inside the cube (the redraws outside only change the constant), so the
    // self-normalised weights 1 / proposal_density turn the proposals into the uniform prior.
    // Each estimate is checked against its exact uniform value within kZ delta-method standard
    // errors of self-normalised importance sampling.
    Population p;
    p.dimensions = 2;
    const RandomSource source(23, 0);
    RandomStream stream(source, {0, 8, 0, 0});
    for (int j = 0; j < 40; ++j) {
        // Spread over the square, so that the weights stay bounded (the largest about 15 times
        // the mean) and the delta method holds; correlated (about 0.4).
        const double x = 0.05 + 0.9 * stream.uniform();
        p.u.push_back(x);
        p.u.push_back(0.05 + 0.3 * x + 0.6 * stream.uniform());
        p.weights.push_back(0.5 + stream.uniform());
    }
    const double total = std::accumulate(p.weights.begin(), p.weights.end(), 0.0);
    for (double& w : p.weights) w /= total;
    const Kernel k(p);
    const int n = 60000;
    std::vector<double> w(n), x(n), y(n);
    for (int i = 0; i < n; ++i) {
        const auto u = k.propose(stream);
        x[i] = u[0];
        y[i] = u[1];
        w[i] = 1 / k.proposal_density(u.data());
    }
    auto check = [&](auto f, double truth, const std::string& what) {
        std::vector<double> values(n);
        for (int i = 0; i < n; ++i) values[i] = f(x[i], y[i]);
        const Estimate e = weighted_mean(values, w);
        INFO(what << ": " << e.value << " vs " << truth << " (se " << e.se << ")");
        CHECK(std::abs(e.value - truth) < kZ * e.se);
    };
    check([](double a, double) { return a; }, 0.5, "E u1");
    check([](double, double b) { return b; }, 0.5, "E u2");
    check([](double a, double b) { return a * b; }, 0.25, "E u1 u2");
    check([](double a, double) { return double(a < 0.1); }, 0.1, "P(u1 < 0.1)");
    check([](double, double b) { return double(b > 0.85); }, 0.15, "P(u2 > 0.85)");
    check([](double a, double b) { return double(a + b < 0.5); }, 0.125, "P(u1 + u2 < 0.5)");
    // Unweighted, the proposals are far from uniform: the check above has power.
    double unweighted = 0;
    for (int i = 0; i < n; ++i) unweighted += double(y[i] > 0.85) / n;
    CHECK(std::abs(unweighted - 0.15) > 10 * std::sqrt(0.15 * 0.85 / n));
}
