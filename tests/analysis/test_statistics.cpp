#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "analysis/statistics.hpp"

using namespace essaim::analysis;

TEST_CASE("median of odd and even counts, mean, ratio") {
    CHECK(median({3.0, 1.0, 2.0}) == 2.0);
    CHECK(median({4.0, 1.0, 3.0, 2.0}) == 2.5);  // mean of the two middle values
    CHECK(median({5.0}) == 5.0);
    CHECK(std::isnan(median({})));
    const std::vector<double> values{1.0, 2.0, 6.0};
    CHECK(mean(values) == 3.0);
    CHECK(std::isnan(mean(std::vector<double>{})));
    CHECK(ratio(1.0, 4.0) == 0.25);
    CHECK(std::isnan(ratio(1.0, 0.0)));
    CHECK(std::isnan(ratio(0.0, 0.0)));
}

TEST_CASE("histogram mean and median equal those of the expanded values") {
    CHECK(std::isnan(histogram_mean({})));
    CHECK(std::isnan(histogram_median({})));
    CHECK(std::isnan(histogram_mean({0.0, 0.0, 0.0})));  // bins, but no observation
    CHECK(std::isnan(histogram_median({0.0, 0.0, 0.0})));
    CHECK(histogram_median({0.0, 1.0, 0.0, 1.0}) == 2.0);  // values 1 and 3
    CHECK(histogram_median({2.0}) == 0.0);                 // values 0 and 0

    std::mt19937 generator(20240611);
    std::uniform_int_distribution<int> length(1, 9), count(0, 4), zero(0, 2);
    int odd = 0, even = 0;
    for (int trial = 0; trial < 5000; ++trial) {
        std::vector<double> counts(static_cast<std::size_t>(length(generator)));
        for (double& c : counts) c = zero(generator) == 0 ? 0.0 : count(generator);
        std::vector<double> values;
        for (std::size_t v = 0; v < counts.size(); ++v)
            values.insert(values.end(), static_cast<std::size_t>(counts[v]),
                          static_cast<double>(v));
        CAPTURE(counts);
        if (values.empty()) {
            CHECK(std::isnan(histogram_mean(counts)));
            CHECK(std::isnan(histogram_median(counts)));
            continue;
        }
        (values.size() % 2 == 1 ? odd : even) += 1;
        CHECK(histogram_mean(counts) == doctest::Approx(mean(values)).epsilon(1e-14));
        CHECK(histogram_median(counts) == median(values));
    }
    CHECK(odd > 1000);
    CHECK(even > 1000);
}
