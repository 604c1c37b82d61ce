#pragma once
// The arithmetic of ABC-SMC (approximate Bayesian computation by sequential Monte Carlo, in its
// population Monte Carlo form: Toni et al. 2009, Beaumont et al. 2009), apart from any model.
//
// Particles live on the unit hypercube of the prior's quantiles (u = F(x) per parameter, the
// parameters being independent a priori), where the prior is uniform: its density is 1 inside
// the cube and 0 outside. The importance weights then need no prior density, and every prior a
// space file can state (uniform, log-uniform, triangular, truncated normal, choice) is handled
// alike; the posterior of x is the image of the posterior of u.
//
// A new particle is a parent drawn by weight and moved by a Gaussian kernel whose covariance is
// twice the weighted covariance of the previous population (Beaumont et al. 2009: the choice
// that minimises the Kullback-Leibler divergence to the next target for Gaussian-like
// populations); both are drawn again until the particle falls inside the cube. Its weight is
// then (ABC likelihood estimate) / sum_j W_j K(u | u_j): redrawing outside the cube only divides
// every proposal density by one constant, which the normalisation removes.
#include <cstddef>
#include <vector>

#include "sim/random.hpp"

namespace essaim::analysis::abc {

// N particles on [0, 1]^d with normalised weights.
struct Population {
    std::size_t dimensions = 0;
    std::vector<double> u;        // particle-major: N x d
    std::vector<double> weights;  // sum to 1

    std::size_t size() const { return weights.size(); }
    const double* particle(std::size_t i) const { return u.data() + i * dimensions; }
};

// The perturbation kernel of the next generation, built from the previous population.
class Kernel {
public:
    explicit Kernel(const Population& previous);

    // A proposal drawn from `stream`: parent by weight, Gaussian move, both redrawn until the
    // particle lies inside the open cube (at most `max_tries` times; std::runtime_error beyond,
    // which only a degenerate population can cause). `parent`, if given, receives its index.
    std::vector<double> propose(RandomStream& stream, std::size_t* parent = nullptr,
                                int max_tries = 100000) const;

    // sum_j W_j exp(-(u - u_j)' S^-1 (u - u_j) / 2), up to a constant common to all proposals.
    double proposal_density(const double* u) const;

    // The kernel's covariance S (d x d, row-major).
    const std::vector<double>& covariance() const { return covariance_; }

private:
    const Population& previous_;
    std::vector<double> covariance_;
    std::vector<double> cholesky_;      // lower factor L of S, row-major
    std::vector<double> inverse_;       // S^-1, row-major
    std::vector<double> cumulative_;    // cumulative weights, for drawing parents
};

// The weighted q-quantile (q in [0, 1]) of `values`: the smallest value whose cumulative weight
// reaches q of the total. Weights need not be normalised; NaN values are not allowed.
double weighted_quantile(const std::vector<double>& values, const std::vector<double>& weights,
                         double q);

// Kish's effective sample size (sum w)^2 / sum w^2.
double effective_sample_size(const std::vector<double>& weights);

// Index i with probability weights[i] / sum, from one uniform in (0, 1), by the cumulative sums.
std::size_t draw_index(const std::vector<double>& cumulative, double uniform);

struct WeightedSummary {
    double mean = 0, sd = 0, q05 = 0, q50 = 0, q95 = 0;
};
// Weighted mean, sd (of the weighted distribution, no small-sample correction) and quantiles.
WeightedSummary summarise_weighted(const std::vector<double>& values,
                                   const std::vector<double>& weights);

}  // namespace essaim::analysis::abc
