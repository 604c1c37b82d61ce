#include "analysis/sensitivity.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/random/sobol.hpp>
#include <cmath>
#include <numeric>
#include <stdexcept>

// GCC 12 reports a false -Wmaybe-uninitialized inside Eigen's triangular solve.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Dense>
#pragma GCC diagnostic pop

#include "analysis/statistics.hpp"
#include "sim/random.hpp"

namespace essaim::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Stream purposes, so that the designs and the bootstrap of one seed never share numbers.
enum Purpose : std::uint32_t { kLatin = 1, kMorris = 2, kBootstrap = 3 };

void require(bool condition, const char* message) {
    if (!condition) throw std::invalid_argument(message);
}

// An integer uniform on [0, n) from 53 random bits: the bias, n / 2^53, is far below anything a
// design or a bootstrap could show.
std::size_t uniform_below(RandomStream& stream, std::size_t n) {
    const std::uint64_t high = stream(), low = stream();
    const double u = static_cast<double>(((high << 32) | low) >> 11) * 0x1p-53;
    return std::min(n - 1, static_cast<std::size_t>(u * static_cast<double>(n)));
}

void shuffle(std::vector<std::size_t>& items, RandomStream& stream) {
    for (std::size_t i = items.size(); i > 1; --i)
        std::swap(items[i - 1], items[uniform_below(stream, i)]);
}

std::vector<std::size_t> identity(std::size_t n) {
    std::vector<std::size_t> items(n);
    std::iota(items.begin(), items.end(), std::size_t{0});
    return items;
}

double squared_distance(std::span<const double> x, std::span<const double> y) {
    double sum = 0;
    for (std::size_t c = 0; c < x.size(); ++c) sum += (x[c] - y[c]) * (x[c] - y[c]);
    return sum;
}

// Type 7 quantile (linear interpolation between order statistics) of sorted values.
double sorted_quantile(const std::vector<double>& sorted, double p) {
    const double h = p * static_cast<double>(sorted.size() - 1);
    const auto below = static_cast<std::size_t>(std::floor(h));
    const std::size_t above = std::min(below + 1, sorted.size() - 1);
    return sorted[below] + (h - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

Interval percentile_interval(std::vector<double> values) {
    std::erase_if(values, [](double v) { return std::isnan(v); });
    if (values.empty()) return {};
    std::sort(values.begin(), values.end());
    return {sorted_quantile(values, 0.025), sorted_quantile(values, 0.975)};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Latin hypercube

namespace {

UnitDesign one_latin_hypercube(std::size_t n, std::size_t d, const RandomSource& source,
                               std::uint64_t candidate) {
    UnitDesign design{d, std::vector<double>(n * d)};
    for (std::size_t c = 0; c < d; ++c) {
        RandomStream stream(source, {0, kLatin, candidate, c});
        std::vector<std::size_t> strata = identity(n);
        shuffle(strata, stream);
        for (std::size_t r = 0; r < n; ++r)
            design.at(r, c) =
                (static_cast<double>(strata[r]) + stream.uniform()) / static_cast<double>(n);
    }
    return design;
}

}  // namespace

double minimum_distance(const UnitDesign& design) {
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t r = 0; r < design.rows(); ++r)
        for (std::size_t s = r + 1; s < design.rows(); ++s)
            best = std::min(best, squared_distance(design.row(r), design.row(s)));
    return std::sqrt(best);
}

UnitDesign latin_hypercube(std::size_t n, std::size_t d, std::uint64_t seed,
                           std::size_t maximin_candidates) {
    require(n > 0 && d > 0, "latin_hypercube: n and d must be positive");
    const RandomSource source(seed, 0);
    UnitDesign best = one_latin_hypercube(n, d, source, 0);
    double best_distance = maximin_candidates > 1 ? minimum_distance(best) : 0;
    for (std::size_t k = 1; k < maximin_candidates; ++k) {
        UnitDesign candidate = one_latin_hypercube(n, d, source, k);
        const double distance = minimum_distance(candidate);
        if (distance > best_distance) {
            best = std::move(candidate);
            best_distance = distance;
        }
    }
    return best;
}

// ---------------------------------------------------------------------------------------------
// Saltelli designs

SaltelliDesign saltelli_from_matrices(const UnitDesign& a, const UnitDesign& b, bool second_order) {
    require(a.dimensions > 0 && a.rows() > 0, "saltelli_from_matrices: empty matrices");
    require(a.dimensions == b.dimensions && a.values.size() == b.values.size(),
            "saltelli_from_matrices: A and B differ in shape");
    const SaltelliLayout layout{a.rows(), a.dimensions, second_order};
    const std::size_t d = layout.dimensions;
    UnitDesign points{d, std::vector<double>(layout.rows() * d)};
    for (std::size_t j = 0; j < layout.base_rows; ++j) {
        for (std::size_t c = 0; c < d; ++c) {
            points.at(layout.row_a(j), c) = a.at(j, c);
            points.at(layout.row_b(j), c) = b.at(j, c);
            for (std::size_t i = 0; i < d; ++i) {
                points.at(layout.row_ab(j, i), c) = (c == i ? b : a).at(j, c);
                if (second_order) points.at(layout.row_ba(j, i), c) = (c == i ? a : b).at(j, c);
            }
        }
    }
    return {layout, std::move(points)};
}

SaltelliDesign saltelli_design(std::size_t base_rows, std::size_t dimensions, bool second_order) {
    require(base_rows > 0 && dimensions > 0,
            "saltelli_design: base_rows and dimensions must be positive");
    require(2 * dimensions <= boost::random::default_sobol_table::max_dimension,
            "saltelli_design: too many dimensions for Boost's Sobol' table");
    boost::random::sobol sequence(2 * dimensions);
    UnitDesign a{dimensions, std::vector<double>(base_rows * dimensions)};
    UnitDesign b = a;
    // Sobol' coordinates are dyadic fractions k / 2^m: the top 53 bits hold them exactly.
    const auto next = [&sequence] { return static_cast<double>(sequence() >> 11) * 0x1p-53; };
    for (std::size_t j = 0; j < base_rows; ++j) {
        for (std::size_t c = 0; c < dimensions; ++c) a.at(j, c) = next();
        for (std::size_t c = 0; c < dimensions; ++c) b.at(j, c) = next();
    }
    return saltelli_from_matrices(a, b, second_order);
}

// ---------------------------------------------------------------------------------------------
// Sobol' indices

namespace {

struct PointIndices {
    std::vector<double> first, total, second;
    double variance = 0;
};

// Mean and variance of f over the rows A and B of the listed base rows.
std::pair<double, double> pooled_moments(const SaltelliLayout& layout, std::span<const double> f,
                                         const std::vector<std::size_t>& rows) {
    const auto n = static_cast<double>(2 * rows.size());
    double centre = 0;
    for (std::size_t j : rows) centre += f[layout.row_a(j)] + f[layout.row_b(j)];
    centre /= n;
    double squares = 0;
    for (std::size_t j : rows) {
        const double a = f[layout.row_a(j)] - centre, b = f[layout.row_b(j)] - centre;
        squares += a * a + b * b;
    }
    return {centre, squares / (n - 1)};
}

// S1 (Saltelli 2010) and ST (Jansen 1999), given the centre and variance of f.
void first_and_total(const SaltelliLayout& layout, std::span<const double> f,
                     const std::vector<std::size_t>& rows, double centre, double v,
                     PointIndices& out) {
    const std::size_t d = layout.dimensions;
    const auto n = static_cast<double>(rows.size());
    out.first.assign(d, 0);
    out.total.assign(d, 0);
    for (std::size_t j : rows) {
        const double fa = f[layout.row_a(j)], fb = f[layout.row_b(j)] - centre;
        for (std::size_t i = 0; i < d; ++i) {
            const double fab = f[layout.row_ab(j, i)];
            out.first[i] += fb * (fab - fa);
            out.total[i] += (fa - fab) * (fa - fab);
        }
    }
    for (std::size_t i = 0; i < d; ++i) {
        out.first[i] /= n * v;
        out.total[i] /= 2 * n * v;
    }
}

// S_ij = V^c_ij / V - S_i - S_j with V^c_ij = mean(f(BA_i) f(AB_j) - f(A) f(B)) (Saltelli 2002),
// on centred outputs; needs out.first.
void second_order(const SaltelliLayout& layout, std::span<const double> f,
                  const std::vector<std::size_t>& rows, double centre, double v,
                  PointIndices& out) {
    const std::size_t d = layout.dimensions;
    const auto n = static_cast<double>(rows.size());
    const auto g = [&](std::size_t row) { return f[row] - centre; };
    out.second.assign(d * d, kNaN);
    for (std::size_t i = 0; i < d; ++i) {
        for (std::size_t k = i + 1; k < d; ++k) {
            double closed = 0;
            for (std::size_t j : rows)
                closed += g(layout.row_ba(j, i)) * g(layout.row_ab(j, k)) -
                          g(layout.row_a(j)) * g(layout.row_b(j));
            const double s = closed / (n * v) - out.first[i] - out.first[k];
            out.second[i * d + k] = out.second[k * d + i] = s;
        }
    }
}

// The indices from the base rows listed in `rows` (repeats allowed, as in a bootstrap resample).
// Centring on the mean leaves the estimators' expectations unchanged; without it, a large mean
// multiplies into f(B) (f(AB_i) - f(A)) and inflates its variance.
PointIndices estimate(const SaltelliLayout& layout, std::span<const double> f,
                      const std::vector<std::size_t>& rows) {
    PointIndices out;
    const auto [centre, variance] = pooled_moments(layout, f, rows);
    out.variance = variance;
    const double v = variance > 0 ? variance : kNaN;
    first_and_total(layout, f, rows, centre, v, out);
    if (layout.second_order) second_order(layout, f, rows, centre, v, out);
    return out;
}

std::vector<PointIndices> bootstrap(const SaltelliLayout& layout, std::span<const double> f,
                                    const SobolOptions& options) {
    std::vector<PointIndices> resamples(options.bootstrap);
    const RandomSource source(options.seed, 0);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, options.bootstrap),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                          std::vector<std::size_t> rows(layout.base_rows);
                          for (std::size_t b = range.begin(); b != range.end(); ++b) {
                              RandomStream stream(source, {0, kBootstrap, b, 0});
                              for (std::size_t& j : rows)
                                  j = uniform_below(stream, layout.base_rows);
                              resamples[b] = estimate(layout, f, rows);
                          }
                      });
    return resamples;
}

// Percentile intervals of one index across the resamples.
std::vector<Interval> intervals(const std::vector<PointIndices>& resamples,
                                std::vector<double> PointIndices::*member, std::size_t count) {
    std::vector<Interval> out(count);
    std::vector<double> values(resamples.size());
    for (std::size_t i = 0; i < count; ++i) {
        for (std::size_t b = 0; b < resamples.size(); ++b) values[b] = (resamples[b].*member)[i];
        out[i] = percentile_interval(values);
    }
    return out;
}

}  // namespace

SobolIndices sobol_indices(const SaltelliLayout& layout, std::span<const double> outputs,
                           const SobolOptions& options) {
    require(layout.base_rows >= 2 && layout.dimensions > 0, "sobol_indices: need two base rows");
    require(outputs.size() == layout.rows(), "sobol_indices: one output per design row");
    const std::size_t d = layout.dimensions;
    PointIndices point = estimate(layout, outputs, identity(layout.base_rows));
    SobolIndices out;
    out.first = std::move(point.first);
    out.total = std::move(point.total);
    out.second = std::move(point.second);
    out.variance = point.variance;
    out.first_ci95.assign(d, {});
    out.total_ci95.assign(d, {});
    if (layout.second_order) out.second_ci95.assign(d * d, {});
    if (options.bootstrap == 0) return out;
    const std::vector<PointIndices> resamples = bootstrap(layout, outputs, options);
    out.first_ci95 = intervals(resamples, &PointIndices::first, d);
    out.total_ci95 = intervals(resamples, &PointIndices::total, d);
    if (layout.second_order) {
        out.second_ci95 = intervals(resamples, &PointIndices::second, d * d);
        for (std::size_t i = 0; i < d; ++i) out.second_ci95[i * d + i] = {};
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Morris

namespace {

// One trajectory: each factor moves between grid levels l and l + p/2 (so by delta), starting at
// either end; l is uniform on the levels where both ends fit, which makes every starting level
// equally likely as in Morris (1991).
UnitDesign morris_trajectory(std::size_t d, std::size_t levels, RandomStream& stream) {
    const std::size_t jump = levels / 2;
    const auto level = [levels](std::size_t l) {
        return static_cast<double>(l) / static_cast<double>(levels - 1);
    };
    std::vector<std::size_t> start(d), end(d);
    for (std::size_t c = 0; c < d; ++c) {
        const std::size_t low = uniform_below(stream, levels - jump);
        const bool upward = uniform_below(stream, 2) == 0;
        start[c] = upward ? low : low + jump;
        end[c] = upward ? low + jump : low;
    }
    std::vector<std::size_t> order = identity(d);
    shuffle(order, stream);
    UnitDesign trajectory{d, std::vector<double>((d + 1) * d)};
    for (std::size_t c = 0; c < d; ++c) trajectory.at(0, c) = level(start[c]);
    for (std::size_t step = 0; step < d; ++step) {
        for (std::size_t c = 0; c < d; ++c) trajectory.at(step + 1, c) = trajectory.at(step, c);
        trajectory.at(step + 1, order[step]) = level(end[order[step]]);
    }
    return trajectory;
}

double trajectory_distance(const UnitDesign& design, std::size_t m, std::size_t l) {
    const std::size_t points = design.dimensions + 1;
    double sum = 0;
    for (std::size_t a = 0; a < points; ++a)
        for (std::size_t b = 0; b < points; ++b)
            sum +=
                std::sqrt(squared_distance(design.row(m * points + a), design.row(l * points + b)));
    return sum;
}

std::vector<double> squared_trajectory_distances(const UnitDesign& design) {
    const std::size_t count = design.rows() / (design.dimensions + 1);
    std::vector<double> distance(count * count, 0);
    for (std::size_t m = 0; m < count; ++m)
        for (std::size_t l = m + 1; l < count; ++l)
            distance[m * count + l] = distance[l * count + m] =
                std::pow(trajectory_distance(design, m, l), 2);
    return distance;
}

// Greedy elimination: drop the trajectory whose squared distances to the others sum least, until
// `keep` remain; returns the kept trajectories in their original order.
std::vector<std::size_t> campolongo_selection(const UnitDesign& candidates, std::size_t keep) {
    const std::size_t count = candidates.rows() / (candidates.dimensions + 1);
    const std::vector<double> distance = squared_trajectory_distances(candidates);
    std::vector<double> contribution(count, 0);
    for (std::size_t m = 0; m < count; ++m)
        for (std::size_t l = 0; l < count; ++l) contribution[m] += distance[m * count + l];
    std::vector<std::size_t> kept = identity(count);
    while (kept.size() > keep) {
        const auto worst = std::min_element(kept.begin(), kept.end(), [&](auto x, auto y) {
            return contribution[x] < contribution[y];
        });
        const std::size_t removed = *worst;
        kept.erase(worst);
        for (std::size_t m : kept) contribution[m] -= distance[m * count + removed];
    }
    return kept;
}

UnitDesign select_trajectories(const UnitDesign& all, const std::vector<std::size_t>& chosen) {
    const std::size_t points = all.dimensions + 1;
    UnitDesign out{all.dimensions, {}};
    out.values.reserve(chosen.size() * points * all.dimensions);
    for (std::size_t t : chosen) {
        const auto first =
            all.values.begin() + static_cast<std::ptrdiff_t>(t * points * all.dimensions);
        out.values.insert(out.values.end(), first,
                          first + static_cast<std::ptrdiff_t>(points * all.dimensions));
    }
    return out;
}

}  // namespace

UnitDesign morris_design(std::size_t trajectories, std::size_t dimensions,
                         const MorrisOptions& options) {
    require(trajectories > 0 && dimensions > 0, "morris_design: empty design");
    require(options.levels >= 2 && options.levels % 2 == 0,
            "morris_design: levels must be even and at least 2");
    require(options.candidates == 0 || options.candidates >= trajectories,
            "morris_design: fewer candidates than trajectories");
    const std::size_t generated = std::max(trajectories, options.candidates);
    const RandomSource source(options.seed, 0);
    UnitDesign all{dimensions, {}};
    for (std::size_t t = 0; t < generated; ++t) {
        RandomStream stream(source, {0, kMorris, t, 0});
        const UnitDesign one = morris_trajectory(dimensions, options.levels, stream);
        all.values.insert(all.values.end(), one.values.begin(), one.values.end());
    }
    if (generated == trajectories) return all;
    return select_trajectories(all, campolongo_selection(all, trajectories));
}

double morris_spread(const UnitDesign& design) {
    const std::vector<double> distance = squared_trajectory_distances(design);
    double sum = 0;
    const std::size_t count = design.rows() / (design.dimensions + 1);
    for (std::size_t m = 0; m < count; ++m)
        for (std::size_t l = m + 1; l < count; ++l) sum += distance[m * count + l];
    return std::sqrt(sum);
}

namespace {

// The factor that changes between two rows, or throws.
std::size_t changed_factor(std::span<const double> x, std::span<const double> y,
                           std::vector<bool>& changed) {
    std::size_t factor = x.size();
    for (std::size_t c = 0; c < x.size(); ++c) {
        if (x[c] == y[c]) continue;
        require(factor == x.size(), "morris_indices: two factors change in one step");
        factor = c;
    }
    require(factor < x.size(), "morris_indices: a step changes no factor");
    require(!changed[factor], "morris_indices: a factor changes twice in one trajectory");
    changed[factor] = true;
    return factor;
}

}  // namespace

MorrisIndices morris_indices(const UnitDesign& design, std::span<const double> outputs) {
    const std::size_t d = design.dimensions, points = d + 1;
    require(d > 0 && design.rows() % points == 0 && design.rows() > 0,
            "morris_indices: rows must come in trajectories of D + 1");
    require(outputs.size() == design.rows(), "morris_indices: one output per design row");
    const std::size_t r = design.rows() / points;
    std::vector<std::vector<double>> effects(d);
    for (std::size_t t = 0; t < r; ++t) {
        std::vector<bool> changed(d, false);
        for (std::size_t s = 0; s < d; ++s) {
            const std::size_t row = t * points + s;
            const std::size_t i = changed_factor(design.row(row), design.row(row + 1), changed);
            effects[i].push_back((outputs[row + 1] - outputs[row]) /
                                 (design.at(row + 1, i) - design.at(row, i)));
        }
    }
    MorrisIndices out{std::vector<double>(d), std::vector<double>(d), std::vector<double>(d, kNaN)};
    const auto n = static_cast<double>(r);
    for (std::size_t i = 0; i < d; ++i) {
        for (double e : effects[i]) {
            out.mu[i] += e / n;
            out.mu_star[i] += std::abs(e) / n;
        }
        if (r < 2) continue;
        double squares = 0;
        for (double e : effects[i]) squares += (e - out.mu[i]) * (e - out.mu[i]);
        out.sigma[i] = std::sqrt(squares / (n - 1));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// PRCC

namespace {

// Ranks 1..n, ties given their mean rank.
Eigen::VectorXd ranks(const Eigen::VectorXd& values) {
    const auto n = static_cast<std::size_t>(values.size());
    std::vector<std::size_t> order = identity(n);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return values(static_cast<Eigen::Index>(a)) < values(static_cast<Eigen::Index>(b));
    });
    Eigen::VectorXd out(values.size());
    for (std::size_t first = 0; first < n;) {
        std::size_t last = first;
        while (last + 1 < n && values(static_cast<Eigen::Index>(order[last + 1])) ==
                                   values(static_cast<Eigen::Index>(order[first])))
            ++last;
        const double rank = 0.5 * static_cast<double>(first + last) + 1;
        for (std::size_t k = first; k <= last; ++k) out(static_cast<Eigen::Index>(order[k])) = rank;
        first = last + 1;
    }
    return out;
}

double correlation(const Eigen::VectorXd& x, const Eigen::VectorXd& y) {
    const Eigen::VectorXd xc = x.array() - x.mean(), yc = y.array() - y.mean();
    const double denominator = std::sqrt(xc.squaredNorm() * yc.squaredNorm());
    return denominator > 0 ? xc.dot(yc) / denominator : kNaN;
}

Interval fisher_interval(double r, double n, double controlled) {
    static const double z975 = boost::math::quantile(boost::math::normal(), 0.975);
    const double half = z975 / std::sqrt(n - 3 - controlled);
    const double z = std::atanh(std::clamp(r, -1.0, 1.0));
    return {std::tanh(z - half), std::tanh(z + half)};
}

// Residuals of the columns of `targets` after least squares on `regressors` (QR with column
// pivoting: rank ties can make columns nearly collinear).
Eigen::MatrixXd residuals(const Eigen::MatrixXd& regressors, const Eigen::MatrixXd& targets) {
    return targets - regressors * regressors.colPivHouseholderQr().solve(targets);
}

// The ranks of every input and, in the last column, of the output.
Eigen::MatrixXd rank_matrix(const UnitDesign& inputs, std::span<const double> outputs) {
    const auto rows = static_cast<Eigen::Index>(inputs.rows());
    const auto columns = static_cast<Eigen::Index>(inputs.dimensions);
    Eigen::MatrixXd values(rows, columns + 1);
    for (Eigen::Index r = 0; r < rows; ++r) {
        for (Eigen::Index c = 0; c < columns; ++c)
            values(r, c) = inputs.at(static_cast<std::size_t>(r), static_cast<std::size_t>(c));
        values(r, columns) = outputs[static_cast<std::size_t>(r)];
    }
    for (Eigen::Index c = 0; c <= columns; ++c) values.col(c) = ranks(values.col(c));
    return values;
}

}  // namespace

PartialRankCorrelations partial_rank_correlations(const UnitDesign& inputs,
                                                  std::span<const double> outputs) {
    const std::size_t d = inputs.dimensions, n = inputs.rows();
    require(d > 0 && outputs.size() == n, "partial_rank_correlations: one output per row");
    require(n > d + 2, "partial_rank_correlations: need more than D + 2 rows");
    const Eigen::MatrixXd ranked = rank_matrix(inputs, outputs);
    const auto rows = ranked.rows(), columns = static_cast<Eigen::Index>(d);
    PartialRankCorrelations out{std::vector<double>(d), std::vector<Interval>(d)};
    for (Eigen::Index i = 0; i < columns; ++i) {
        Eigen::MatrixXd others(rows, columns);  // intercept, then every input but i
        others.col(0).setOnes();
        for (Eigen::Index c = 0, k = 1; c < columns; ++c)
            if (c != i) others.col(k++) = ranked.col(c);
        Eigen::MatrixXd targets(rows, 2);
        targets << ranked.col(i), ranked.col(columns);
        const Eigen::MatrixXd e = residuals(others, targets);
        const double r = correlation(e.col(0), e.col(1));
        const auto k = static_cast<std::size_t>(i);
        out.prcc[k] = r;
        if (!std::isnan(r))
            out.ci95[k] = fisher_interval(r, static_cast<double>(n), static_cast<double>(d - 1));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Replication noise

double replication_noise_share(std::span<const double> outputs, std::size_t replications) {
    require(replications >= 2, "replication_noise_share: need two replications per row");
    require(!outputs.empty() && outputs.size() % replications == 0,
            "replication_noise_share: size not a multiple of the replications");
    const std::size_t rows = outputs.size() / replications;
    const double grand = mean(outputs);
    double within = 0, total = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        const auto row = outputs.subspan(r * replications, replications);
        const double row_mean = mean(row);
        for (double y : row) {
            within += (y - row_mean) * (y - row_mean);
            total += (y - grand) * (y - grand);
        }
    }
    if (total == 0) return kNaN;
    const auto n = static_cast<double>(outputs.size());
    return (within / (n - static_cast<double>(rows))) / (total / (n - 1));
}

}  // namespace essaim::analysis
