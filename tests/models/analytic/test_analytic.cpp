#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <sstream>

#include "models/analytic/analytic.hpp"
#include "sim/toml_document.hpp"

using namespace essaim;

namespace {

std::string set(const char* key, double value) {
    std::ostringstream out;
    out.precision(17);
    out << key << "=" << value;
    return out.str();
}

double y_of(const experiment::Model& model, const std::vector<std::string>& overrides,
            std::uint64_t replication = 0) {
    const auto scenario = model.load_defaults(overrides);
    return model.run(*scenario, 7, replication, {}).kpis.at(0);
}

}  // namespace

TEST_CASE("analytic: ishigami is sin x1 + 7 sin^2 x2 + 0.1 x3^4 sin x1 at random points") {
    const auto model = analytic::make_ishigami();
    std::mt19937_64 generator(11);
    std::uniform_real_distribution<double> uniform(-std::numbers::pi, std::numbers::pi);
    for (int i = 0; i < 200; ++i) {
        const double x1 = uniform(generator), x2 = uniform(generator), x3 = uniform(generator);
        const double expected =
            std::sin(x1) + 7 * std::pow(std::sin(x2), 2) + 0.1 * std::pow(x3, 4) * std::sin(x1);
        CHECK(y_of(*model, {set("x1", x1), set("x2", x2), set("x3", x3)}) ==
              doctest::Approx(expected).epsilon(1e-14));
    }
    // Other constants a and b.
    CHECK(
        y_of(*model, {"x1=1", "x2=2", "x3=3", "a=2", "b=0.5"}) ==
        doctest::Approx(std::sin(1.0) + 2 * std::pow(std::sin(2.0), 2) + 0.5 * 81 * std::sin(1.0)));
}

TEST_CASE("analytic: ishigami's noise has mean 0 and the given sd, per replication") {
    // 4000 replications: the mean's z and the variance's ratio are checked at |z| < 5 (a false
    // alarm about once in 3.5 million runs of this test).
    const auto model = analytic::make_ishigami();
    const double sd = 2.5, base = std::sin(0.5) + 7 * std::pow(std::sin(1.0), 2);
    const int n = 4000;
    double sum = 0, squares = 0;
    for (int r = 0; r < n; ++r) {
        const double noise = y_of(*model, {"x1=0.5", "x2=1", "x3=0", set("noise_sd", sd)},
                                  static_cast<std::uint64_t>(r)) -
                             base;
        sum += noise;
        squares += noise * noise;
    }
    const double mean = sum / n, variance = squares / n - mean * mean;
    CHECK(std::abs(mean / (sd / std::sqrt(n))) < 5);
    // Var of the sample variance of a normal: 2 sd^4 / n.
    CHECK(std::abs(variance - sd * sd) / (sd * sd * std::sqrt(2.0 / n)) < 5);
    // The same replication gives the same noise.
    CHECK(y_of(*model, {"noise_sd=1"}, 3) == y_of(*model, {"noise_sd=1"}, 3));
}

TEST_CASE("analytic: sobol-g is prod (|4 x_i - 2| + a_i) / (1 + a_i)") {
    const auto model = analytic::make_sobol_g();
    CHECK(y_of(*model, {"a=[78, 12, 0.5]", "x1=0.1", "x2=0.3", "x3=0.9"}) ==
          doctest::Approx((1.6 + 78) / 79 * (0.8 + 12) / 13 * (1.6 + 0.5) / 1.5));
    // Defaults: eight inputs at 0.5, where |4x - 2| = 0: the product of a_i / (1 + a_i), which is
    // 0 because a_1 = 0.
    CHECK(y_of(*model, {}) == 0.0);
    CHECK(y_of(*model, {"x1=1", "x2=1", "x3=1", "x4=1", "x5=1", "x6=1", "x7=1", "x8=1"}) ==
          doctest::Approx(2.0 * 3 / 2 * 6.5 / 5.5 * 11 / 10 * std::pow(101.0 / 100, 4)));
}

TEST_CASE("analytic: values out of their registry range, unknown keys and extra inputs") {
    const auto ishigami = analytic::make_ishigami();
    const auto g = analytic::make_sobol_g();
    auto message = [](auto&& f) {
        try {
            f();
        } catch (const TomlError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(message([&] { ishigami->load_defaults({"x1=3.2"}); }).find("x1: expected a number in") !=
          std::string::npos);
    CHECK(message([&] { ishigami->load_defaults({"noise_sd=-1"}); }).find("noise_sd") !=
          std::string::npos);
    CHECK(message([&] { ishigami->load_defaults({"x4=1"}); }).find("did you mean 'x1'") !=
          std::string::npos);
    CHECK(message([&] { ishigami->load_defaults({"x1=\"a\""}); }).find("got \"a\"") !=
          std::string::npos);
    CHECK(message([&] {
              g->load_defaults({"a=[1, 2]", "x3=0.5"});
          }).find("inputs are x1..x2") != std::string::npos);
    CHECK(message([&] { g->load_defaults({"x1=1.5"}); }).find("x1") != std::string::npos);
    CHECK(message([&] { g->load_defaults({"a=[1, -2]"}); }).find("a.1") != std::string::npos);
    CHECK(message([&] {
              ishigami->load_defaults({"scenario.model=\"dest1\""});
          }).find("scenario.model") != std::string::npos);
}
