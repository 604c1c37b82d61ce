#include <doctest/doctest.h>

#include <boost/math/distributions/normal.hpp>
#include <cmath>

#include "experiment/parameter_space.hpp"
#include "models/analytic/analytic.hpp"
#include "models/dest1/parameters.hpp"

using namespace essaim;
using namespace essaim::experiment;

namespace {

std::vector<SpaceParameter> space(const std::string& text) {
    return read_space_text(text, "space.toml", dest1::parameter_registry());
}

std::string error_of(const std::string& text) {
    try {
        space(text);
    } catch (const TomlError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("parameter space: each distribution's inverse CDF at known quantiles") {
    const auto s = space(R"(
[[parameter]]
key = "hazards.h0_job"
min = 0.015
max = 0.035
[[parameter]]
name = "h0_drop"
distribution = "log-uniform"
min = 0.0001
max = 0.01
[[parameter]]
name = "alpha"
distribution = "triangular"
min = 0.0
max = 1.0
mode = 0.25
[[parameter]]
name = "kappa"
distribution = "normal"
mean = 0.5
sd = 0.2
min = 0.2
max = 1.0
[[parameter]]
name = "mode"
distribution = "choice"
values = ["integrated", "sequential"]
)");
    REQUIRE(s.size() == 5);
    CHECK(s[0].name == "h0_job");
    CHECK(s[0].number_at(0.25) == doctest::Approx(0.02));
    CHECK(s[1].key == "hazards.h0_drop");
    CHECK(s[1].number_at(0.5) == doctest::Approx(std::sqrt(0.0001 * 0.01)));  // geometric midpoint
    // Triangular: F(mode) = (mode - min) / (max - min) = 0.25.
    CHECK(s[2].number_at(0.25) == doctest::Approx(0.25));
    CHECK(s[2].number_at(0.0625) == doctest::Approx(0.125));  // F(x) = x^2 / 0.25 below the mode
    // Normal truncated to [0.2, 1]: the u-quantile of the truncated law.
    const boost::math::normal_distribution<double> n(0.5, 0.2);
    const double low = boost::math::cdf(n, 0.2), high = boost::math::cdf(n, 1.0);
    const double x = s[3].number_at(0.3);
    CHECK((boost::math::cdf(n, x) - low) / (high - low) == doctest::Approx(0.3));
    CHECK(s[4].value_at(0.1) == "\"integrated\"");
    CHECK(s[4].value_at(0.9) == "\"sequential\"");
    CHECK(s[0].override_at(0.25) == "hazards.h0_job=0.02");
}

TEST_CASE("parameter space: integers are rounded, families scale") {
    const auto s = space(R"(
[[parameter]]
name = "parcours_days"
min = 300
max = 600
[[parameter]]
key = "territory.*.coaches"
scale = true
min = 0.5
max = 1.5
)");
    CHECK(s[0].value_at(0.5) == "450");
    CHECK(s[0].value_at(0.501) == "450");
    CHECK(s[1].override_at(0.5) == "territory.*.coaches*=1.0");
}

TEST_CASE("parameter space: errors are located and name what was expected") {
    CHECK(error_of("[[parameter]]\nname = \"h0_jb\"\nmin = 0\nmax = 1\n")
              .find("did you mean 'h0_job'") != std::string::npos);
    CHECK(error_of("[[parameter]]\nname = \"digital_penalty\"\nmin = 0\nmax = 2\n")
              .find("within [0, 1]") != std::string::npos);
    CHECK(error_of("[[parameter]]\nname = \"h0_job\"\nmin = 0.1\n").find("needs max") !=
          std::string::npos);
    CHECK(error_of("[[parameter]]\nname = \"h0_job\"\nmin = 0.3\nmax = 0.1\n").find("above min") !=
          std::string::npos);
    CHECK(
        error_of("[[parameter]]\nname = \"h0_job\"\ndistribution = \"log-uniform\"\nmin = 0\nmax = "
                 "0.1\n")
            .find("min > 0") != std::string::npos);
    CHECK(error_of("[[parameter]]\nkey = \"territory.*.pool\"\nmin = 0.5\nmax = 2\n")
              .find("scale = true") != std::string::npos);
    CHECK(error_of("[[parameter]]\nname = \"h0_job\"\nmin = 0\nmax = 0.1\n[[parameter]]\nkey = "
                   "\"hazards.h0_job\"\nmin = 0\nmax = 0.1\n")
              .find("already parameter 0") != std::string::npos);
    CHECK(error_of("[[parameter]]\nname = \"h0_job\"\ndistribution = \"beta\"\nmin = 0\nmax = 1\n")
              .find("space.toml:3:") != std::string::npos);
    CHECK(error_of("[[parameter]]\nname = \"h0_job\"\nmaxx = 1\n").find("did you mean 'max'") !=
          std::string::npos);
}

TEST_CASE("parameter space: --params and a model's full space use the registry's ranges") {
    const auto ishigami = analytic::make_ishigami();
    const auto full = full_space(ishigami->parameters());
    REQUIRE(full.size() == 3);  // x1, x2, x3; not the constants a, b or the noise
    CHECK(full[0].name == "x1");
    CHECK(full[0].number_at(0.0) == doctest::Approx(-M_PI));
    const auto params = space_of_params("x2,x3", ishigami->parameters());
    CHECK(params.size() == 2);
    CHECK(params[1].key == "x3");
    CHECK_THROWS_AS(space_of_params("x9", ishigami->parameters()), TomlError);
    // h0_job's registry range is [0, inf): not usable without a space file.
    CHECK_THROWS_AS(space_of_params("h0_job", dest1::parameter_registry()), TomlError);
    CHECK(space_of_params("digital_penalty", dest1::parameter_registry())[0].max == 1.0);
}
