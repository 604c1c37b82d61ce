#include "sim/random.hpp"

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

}  // namespace essaim
