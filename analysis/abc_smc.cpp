#include "analysis/abc_smc.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Dense>
#include <algorithm>
#include <boost/random/normal_distribution.hpp>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace essaim::analysis::abc {
namespace {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Twice the weighted covariance of the particles. A dimension in which every particle agrees (a
// discrete parameter settled on one value, or a tiny population) still gets a small variance, so
// that the kernel can move and its factorisation exists.
Matrix kernel_covariance(const Population& p) {
    const auto d = static_cast<Eigen::Index>(p.dimensions);
    const Eigen::Map<const Matrix> u(p.u.data(), static_cast<Eigen::Index>(p.size()), d);
    const Eigen::Map<const Eigen::VectorXd> w(p.weights.data(),
                                              static_cast<Eigen::Index>(p.size()));
    const Eigen::RowVectorXd mean = w.transpose() * u;
    const Matrix centred = u.rowwise() - mean;
    Matrix s = 2.0 * (centred.transpose() * w.asDiagonal() * centred);
    constexpr double kFloor = 1e-6;  // a sd of 0.001 of the prior's quantile range
    for (Eigen::Index i = 0; i < d; ++i) s(i, i) = std::max(s(i, i), kFloor);
    return s;
}

}  // namespace

Kernel::Kernel(const Population& previous) : previous_(previous) {
    const std::size_t d = previous.dimensions;
    if (d == 0 || previous.size() == 0 || previous.u.size() != previous.size() * d)
        throw std::invalid_argument("abc::Kernel: an empty or malformed population");
    Matrix s = kernel_covariance(previous);
    Eigen::LLT<Matrix> llt(s);
    // Nearly collinear particles: a ridge until the factorisation exists.
    for (double ridge = 1e-9; llt.info() != Eigen::Success && ridge < 1; ridge *= 10) {
        s += ridge * Matrix::Identity(s.rows(), s.cols());
        llt.compute(s);
    }
    if (llt.info() != Eigen::Success)
        throw std::runtime_error("abc::Kernel: the population's covariance is not usable");
    covariance_.assign(s.data(), s.data() + s.size());
    const Matrix l = llt.matrixL();
    cholesky_.assign(l.data(), l.data() + l.size());
    const Matrix inverse = llt.solve(Matrix::Identity(s.rows(), s.cols()));
    inverse_.assign(inverse.data(), inverse.data() + inverse.size());
    cumulative_.resize(previous.size());
    std::partial_sum(previous.weights.begin(), previous.weights.end(), cumulative_.begin());
}

std::vector<double> Kernel::propose(RandomStream& stream, std::size_t* parent,
                                    int max_tries) const {
    const std::size_t d = previous_.dimensions;
    boost::random::normal_distribution<double> normal;
    std::vector<double> z(d), u(d);
    for (int attempt = 0; attempt < max_tries; ++attempt) {
        const std::size_t j = draw_index(cumulative_, stream.uniform());
        for (auto& v : z) v = normal(stream);
        const double* from = previous_.particle(j);
        bool inside = true;
        for (std::size_t i = 0; i < d && inside; ++i) {
            double move = 0;
            for (std::size_t k = 0; k <= i; ++k) move += cholesky_[i * d + k] * z[k];
            u[i] = from[i] + move;
            inside = u[i] > 0 && u[i] < 1;
        }
        if (inside) {
            if (parent) *parent = j;
            return u;
        }
    }
    throw std::runtime_error("abc::Kernel: no proposal inside the prior's support");
}

double Kernel::proposal_density(const double* u) const {
    const std::size_t d = previous_.dimensions;
    std::vector<double> diff(d);
    double density = 0;
    for (std::size_t j = 0; j < previous_.size(); ++j) {
        if (previous_.weights[j] == 0) continue;
        const double* c = previous_.particle(j);
        for (std::size_t i = 0; i < d; ++i) diff[i] = u[i] - c[i];
        double q = 0;
        for (std::size_t i = 0; i < d; ++i) {
            double row = 0;
            for (std::size_t k = 0; k < d; ++k) row += inverse_[i * d + k] * diff[k];
            q += diff[i] * row;
        }
        density += previous_.weights[j] * std::exp(-0.5 * q);
    }
    return density;
}

double weighted_quantile(const std::vector<double>& values, const std::vector<double>& weights,
                         double q) {
    if (values.empty() || values.size() != weights.size())
        throw std::invalid_argument("weighted_quantile: empty, or values and weights differ");
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    double cumulative = 0;
    for (std::size_t i : order) {
        cumulative += weights[i];
        if (cumulative >= q * total * (1 - 1e-12)) return values[i];
    }
    return values[order.back()];
}

double effective_sample_size(const std::vector<double>& weights) {
    double sum = 0, squares = 0;
    for (double w : weights) {
        sum += w;
        squares += w * w;
    }
    return squares > 0 ? sum * sum / squares : 0;
}

std::size_t draw_index(const std::vector<double>& cumulative, double uniform) {
    const double target = uniform * cumulative.back();
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), target);
    return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()),
                                 cumulative.size() - 1);
}

WeightedSummary summarise_weighted(const std::vector<double>& values,
                                   const std::vector<double>& weights) {
    WeightedSummary s;
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    for (std::size_t i = 0; i < values.size(); ++i) s.mean += weights[i] * values[i] / total;
    double variance = 0;
    for (std::size_t i = 0; i < values.size(); ++i)
        variance += weights[i] * (values[i] - s.mean) * (values[i] - s.mean) / total;
    s.sd = std::sqrt(variance);
    s.q05 = weighted_quantile(values, weights, 0.05);
    s.q50 = weighted_quantile(values, weights, 0.50);
    s.q95 = weighted_quantile(values, weights, 0.95);
    return s;
}

}  // namespace essaim::analysis::abc
