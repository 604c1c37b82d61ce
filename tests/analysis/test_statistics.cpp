#include <doctest/doctest.h>

#include <cmath>
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
