#include <cmath>
#include "sim/random.hpp"

#include <boost/random/gamma_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>
#include <stdexcept>
#include <string>

namespace essaim {

std::int64_t poisson(RandomStream& stream, double mean) {
    if (!(mean > 0.0)) return 0;
    if (!(mean <= 1e15))
        throw std::domain_error("poisson: mean " + std::to_string(mean) + " out of range");
    boost::random::poisson_distribution<std::int64_t, double> distribution(mean);
    return distribution(stream);
}

double gamma_variate(RandomStream& stream, double shape, double scale) {
    if (!(shape > 0.0) || !(scale > 0.0) || !std::isfinite(shape) || !std::isfinite(scale))
        throw std::domain_error("gamma_variate: shape " + std::to_string(shape) + " and scale " +
                                std::to_string(scale) + " must be finite and > 0");
    boost::random::gamma_distribution<double> distribution(shape, scale);
    return distribution(stream);
}

}  // namespace essaim
