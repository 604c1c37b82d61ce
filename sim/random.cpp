#include "sim/random.hpp"

#include <boost/random/poisson_distribution.hpp>

namespace essaim {

int poisson(RandomStream& stream, double mean) {
    if (!(mean > 0.0)) return 0;
    boost::random::poisson_distribution<int, double> distribution(mean);
    return distribution(stream);
}

}  // namespace essaim
