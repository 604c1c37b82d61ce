#include <doctest/doctest.h>

#include <algorithm>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <set>
#include <stdexcept>
#include <vector>

#include "sim/random.hpp"
#include "tests/stat_check.hpp"

using namespace essaim;
using essaim::test::chi2_critical;
using essaim::test::chi2_statistic;

TEST_CASE("a block is a pure function of key and address") {
    const RandomSource a(42, 3), b(42, 3);
    const StreamAddress where{2, 7, 123456, 99};
    CHECK(a.block(where) == b.block(where));
    CHECK(a.block(where, 1) == b.block(where, 1));
    // Any change of seed, replication or any address field changes the numbers.
    std::set<RandomSource::Block> seen{a.block(where)};
    seen.insert(RandomSource(43, 3).block(where));
    seen.insert(RandomSource(42, 4).block(where));
    seen.insert(a.block({3, 7, 123456, 99}));
    seen.insert(a.block({2, 8, 123456, 99}));
    seen.insert(a.block({2, 7, 123457, 99}));
    seen.insert(a.block({2, 7, 123456, 100}));
    seen.insert(a.block(where, 1));
    CHECK(seen.size() == 8);
}

TEST_CASE("unit_open stays strictly inside (0, 1)") {
    CHECK(unit_open(0) > 0.0);
    CHECK(unit_open(0xFFFFFFFFu) < 1.0);
}

TEST_CASE("words are uniform: chi-square over 64 bins of agent-day blocks") {
    const RandomSource source(20190701, 0);
    std::vector<double> bins(64, 0.0);
    for (std::uint64_t agent = 0; agent < 4000; ++agent)
        for (std::uint64_t day = 0; day < 8; ++day)
            for (std::uint32_t w : source.block({0, 2, agent, day})) bins[w >> 26] += 1;
    const std::vector<double> p(64, 1.0 / 64);
    CHECK(chi2_statistic(bins, p) < chi2_critical(63));
}

TEST_CASE("a stream continues into new blocks without repeating") {
    const RandomSource source(1, 0);
    RandomStream stream(source, {0, 5, 0, 10});
    std::vector<std::uint32_t> words;
    for (int i = 0; i < 24; ++i) words.push_back(stream());
    const auto first = source.block({0, 5, 0, 10}, 0);
    const auto third = source.block({0, 5, 0, 10}, 2);
    CHECK(words[0] == first[0]);
    CHECK(words[7] == first[7]);
    CHECK(words[16] == third[0]);
}

// Poisson samples against the exact pmf (chi-square, tail pooled) and exact moments.
static void check_poisson(double mean) {
    const RandomSource source(7, 1);
    const int n = 100000;
    const int max_k = static_cast<int>(mean + 8 * std::sqrt(mean) + 10);
    std::vector<double> counts(max_k + 1, 0.0);
    double sum = 0, sum_sq = 0;
    for (int i = 0; i < n; ++i) {
        RandomStream stream(source, {0, 6, 0, static_cast<std::uint64_t>(i)});
        const int k = poisson(stream, mean);
        REQUIRE(k >= 0);
        counts[std::min(k, max_k)] += 1;
        sum += k;
        sum_sq += double(k) * k;
    }
    // Exact pmf for 0..max_k-1; the last bin takes the rest of the mass.
    std::vector<double> probability(max_k + 1, 0.0);
    double pmf = std::exp(-mean), mass = 0;
    for (int k = 0; k < max_k; ++k) {
        if (k > 0) pmf *= mean / k;
        probability[k] = pmf;
        mass += pmf;
    }
    probability[max_k] = 1.0 - mass;
    CAPTURE(mean);
    CHECK(essaim::test::chi2_pooled_ok(counts, probability));
    const double sample_mean = sum / n;
    const double sample_var = sum_sq / n - sample_mean * sample_mean;
    CHECK(std::abs(sample_mean - mean) < essaim::test::kZ * std::sqrt(mean / n));
    // Var of the sample variance of a Poisson: (mean + 2 mean^2) / n.
    CHECK(std::abs(sample_var - mean) < essaim::test::kZ * std::sqrt((mean + 2 * mean * mean) / n));
}

TEST_CASE("Poisson sampler matches the exact distribution for small and large means") {
    check_poisson(0.12);  // a coach's daily repérage
    check_poisson(3.5);   // inversion branch
    check_poisson(42.0);  // transformed-rejection branch
    const RandomSource source(1, 0);
    RandomStream stream(source, {});
    CHECK(poisson(stream, 0.0) == 0);
    CHECK(poisson(stream, -1.0) == 0);
}

// Gamma samples against the exact distribution: 40 equiprobable bins from the quantile function
// (Boost.Math), and the mean shape x scale.
static void check_gamma(double shape, double scale) {
    const RandomSource source(11, 2);
    const int n = 100000, bins = 40;
    std::vector<double> bounds;
    for (int k = 1; k < bins; ++k)
        bounds.push_back(scale * boost::math::gamma_p_inv(shape, static_cast<double>(k) / bins));
    std::vector<double> counts(bins, 0.0);
    double sum = 0;
    for (int i = 0; i < n; ++i) {
        RandomStream stream(source, {0, 8, static_cast<std::uint64_t>(i), 0});
        const double x = gamma_variate(stream, shape, scale);
        REQUIRE(x >= 0);
        counts[std::upper_bound(bounds.begin(), bounds.end(), x) - bounds.begin()] += 1;
        sum += x;
    }
    CAPTURE(shape);
    CHECK(chi2_statistic(counts, std::vector<double>(bins, 1.0 / bins)) < chi2_critical(bins - 1));
    const double sd = std::sqrt(shape) * scale;
    CHECK(std::abs(sum / n - shape * scale) < essaim::test::kZ * sd / std::sqrt(n));
}

TEST_CASE("gamma sampler matches the exact distribution on both sides of shape 1") {
    check_gamma(1 / 1.5, 1.5);  // employability with variance 1.5 (MODEL.md §7.1)
    check_gamma(1.0, 2.0);      // exponential branch
    check_gamma(4.0, 0.25);     // shape above 1
    check_gamma(0.01, 100);     // the largest variance a scenario accepts
    const RandomSource source(1, 0);
    RandomStream stream(source, {});
    CHECK_THROWS_AS(gamma_variate(stream, 0.0, 1.0), std::domain_error);
    CHECK_THROWS_AS(gamma_variate(stream, 1.0, -1.0), std::domain_error);
}
