#pragma once
// Global sensitivity analysis on the unit hypercube [0, 1]^D (docs/SENSITIVITY.md): designs
// (Latin hypercube, Saltelli's matrices from Sobol' points, Morris trajectories) and the
// estimators that go with them (Sobol' first-order and total indices with bootstrap intervals,
// Morris's elementary effects, partial rank correlations). Coordinate u of a factor is the
// fraction of its range, or the probability level of its distribution: mapping to parameter
// values is the caller's job. Every random choice comes from the counter-based streams of
// sim/random.hpp, so a design or an interval depends only on its seed, never on the platform or
// the number of threads.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace essaim::analysis {

// Points of the unit hypercube, one per row, row-major: value (r, c) is values[r * dimensions + c].
struct UnitDesign {
    std::size_t dimensions = 0;
    std::vector<double> values;

    std::size_t rows() const { return dimensions == 0 ? 0 : values.size() / dimensions; }
    double at(std::size_t row, std::size_t column) const {
        return values[row * dimensions + column];
    }
    double& at(std::size_t row, std::size_t column) { return values[row * dimensions + column]; }
    std::span<const double> row(std::size_t r) const {
        return {values.data() + r * dimensions, dimensions};
    }
};

// A two-sided interval; NaN bounds where it is undefined.
struct Interval {
    double low = std::numeric_limits<double>::quiet_NaN();
    double high = std::numeric_limits<double>::quiet_NaN();
};

// ---------------------------------------------------------------------------------------------
// Latin hypercube

// n points in [0, 1]^d, each dimension's n strata [k/n, (k+1)/n) hit exactly once, uniform within
// its stratum; values lie in the open interval (0, 1). With maximin_candidates = K > 1, the best
// of K independent hypercubes by the smallest pairwise Euclidean distance (Morris and Mitchell's
// maximin criterion, without the iterative search). Throws std::invalid_argument for n or d = 0.
UnitDesign latin_hypercube(std::size_t n, std::size_t d, std::uint64_t seed,
                           std::size_t maximin_candidates = 1);

// The smallest Euclidean distance between two rows (+infinity for fewer than two rows).
double minimum_distance(const UnitDesign& design);

// ---------------------------------------------------------------------------------------------
// Sobol' indices (Saltelli's scheme)

// Where each row of a Saltelli design sits. Base row j owns a block of rows_per_base()
// consecutive rows: A_j, B_j, AB_1j .. AB_Dj (A_j with column i taken from B_j) and, with
// second_order, BA_1j .. BA_Dj (B_j with column i taken from A_j). The rows of one block share a
// base row, so a caller can give them common random numbers (same replication seeds).
struct SaltelliLayout {
    std::size_t base_rows = 0;
    std::size_t dimensions = 0;
    bool second_order = false;

    std::size_t rows_per_base() const { return dimensions + 2 + (second_order ? dimensions : 0); }
    std::size_t rows() const { return base_rows * rows_per_base(); }
    std::size_t row_a(std::size_t j) const { return j * rows_per_base(); }
    std::size_t row_b(std::size_t j) const { return row_a(j) + 1; }
    std::size_t row_ab(std::size_t j, std::size_t i) const { return row_a(j) + 2 + i; }
    std::size_t row_ba(std::size_t j, std::size_t i) const { return row_a(j) + 2 + dimensions + i; }
};

struct SaltelliDesign {
    SaltelliLayout layout;
    UnitDesign points;  // layout.rows() rows in the order above
};

// A and B from dimensions 1..D and D+1..2D of one 2D-dimensional Sobol' sequence
// (Boost.Random's sobol, Joe and Kuo's direction numbers), points 1..N: Boost starts after the
// all-zero point 0, so every coordinate lies in (0, 1). (Two consecutive blocks of one
// D-dimensional sequence would make A and B dependent and bias the indices.) Powers of two for
// base_rows keep the sequence's balance. Throws std::invalid_argument for base_rows or
// dimensions = 0, or 2D beyond Boost's table (3667 dimensions).
SaltelliDesign saltelli_design(std::size_t base_rows, std::size_t dimensions,
                               bool second_order = false);

// The same layout from any two matrices of equal shape, e.g. independent uniform points for a
// plain Monte Carlo design. Throws std::invalid_argument when the shapes differ or are empty.
SaltelliDesign saltelli_from_matrices(const UnitDesign& a, const UnitDesign& b,
                                      bool second_order = false);

struct SobolOptions {
    std::size_t bootstrap = 1000;  // resamples for the intervals; 0 leaves them NaN
    std::uint64_t seed = 0;        // of the resampling
};

// Indices are shares of the variance of f, so they have no unit.
struct SobolIndices {
    std::vector<double> first;  // S1_i, Saltelli et al. (2010)
    std::vector<double> total;  // ST_i, Jansen (1999)
    std::vector<Interval> first_ci95;
    std::vector<Interval> total_ci95;
    // With second order: S_ij at [i * D + j], symmetric, NaN on the diagonal (Saltelli 2002's
    // closed second-order index minus S_i and S_j). Empty otherwise.
    std::vector<double> second;
    std::vector<Interval> second_ci95;
    double variance = 0;  // of f over the rows A and B together (denominator of every index)
};

// outputs[k] is f at row k of the layout (with replications, their mean). The estimators use
// outputs centred on the mean of f over A and B, which leaves their expectation unchanged but
// keeps a large output mean from inflating their variance. Intervals: percentile bootstrap,
// resampling base rows (whole blocks) with replacement. Indices are NaN when f is constant over
// A and B. Throws std::invalid_argument when outputs.size() != layout.rows() or base_rows < 2.
SobolIndices sobol_indices(const SaltelliLayout& layout, std::span<const double> outputs,
                           const SobolOptions& options = {});

// ---------------------------------------------------------------------------------------------
// Morris's elementary effects

struct MorrisOptions {
    std::size_t levels = 4;      // p, even, >= 2; grid {0, 1/(p-1), ..., 1}
    std::size_t candidates = 0;  // > trajectories: Campolongo's selection among this many
    std::uint64_t seed = 0;
};

// `trajectories` trajectories of D + 1 rows each: trajectory t is rows t(D+1) .. t(D+1)+D. The
// first row of a trajectory is a random grid point; each next row changes one factor, in a random
// order, by +delta or -delta with delta = p / (2 (p - 1)) (every factor changes exactly once).
// With candidates > trajectories, Campolongo et al. (2007)'s selection: the `trajectories` among
// `candidates` random ones with the largest spread (see morris_spread), chosen greedily by
// removing, one at a time, the trajectory that contributes least (an approximation to the
// exhaustive search, which is combinatorial). Throws std::invalid_argument for odd or < 2
// levels, zero trajectories or dimensions, or 0 < candidates < trajectories.
UnitDesign morris_design(std::size_t trajectories, std::size_t dimensions,
                         const MorrisOptions& options = {});

// Campolongo's spread of a Morris design: sqrt(sum over pairs of trajectories of d_ml^2), with
// d_ml the sum of Euclidean distances between every point of trajectory m and every point of l.
double morris_spread(const UnitDesign& design);

// Per factor, from the elementary effects EE = (f(x') - f(x)) / (x'_i - x_i) of each trajectory,
// with x and x' in unit coordinates: so in units of the output per whole range of the factor
// (for f = c x with x = low + u (high - low), EE = c (high - low)). Divide by the factor's range
// to get output per unit of the parameter.
struct MorrisIndices {
    std::vector<double> mu;       // mean of EE
    std::vector<double> mu_star;  // mean of |EE| (Campolongo et al. 2007)
    std::vector<double> sigma;    // sample standard deviation of EE (n - 1); NaN for one trajectory
};

// outputs[k] is f at row k of `design`, a design in morris_design's layout (any design whose
// trajectories of D + 1 rows change one factor at a time, each factor once). Throws
// std::invalid_argument on a size mismatch or when two consecutive rows of a trajectory do not
// differ in exactly one factor not yet changed.
MorrisIndices morris_indices(const UnitDesign& design, std::span<const double> outputs);

// ---------------------------------------------------------------------------------------------
// Partial rank correlation coefficients

struct PartialRankCorrelations {
    std::vector<double> prcc;    // in [-1, 1], one per input
    std::vector<Interval> ci95;  // Fisher z with n - 2 - (D - 1) degrees of freedom
};

// PRCC of each input with the output given the other inputs: inputs and output are replaced by
// their ranks (ties get their mean rank), the ranks of input i and of the output are regressed
// (least squares with an intercept) on the ranks of the other inputs, and the residuals
// correlated. The interval is tanh(atanh(r) -/+ 1.96 / sqrt(n - 3 - (D - 1))). Throws
// std::invalid_argument on a size mismatch or when n <= D + 2.
PartialRankCorrelations partial_rank_correlations(const UnitDesign& inputs,
                                                  std::span<const double> outputs);

// ---------------------------------------------------------------------------------------------
// Replication noise

// outputs holds `replications` consecutive values per design row (row r at r R .. r R + R - 1).
// The share of the variance of one replication's output that is replication noise: the pooled
// within-row variance, sum (y - row mean)^2 / (rows (R - 1)), over the variance of all values,
// sum (y - mean)^2 / (rows R - 1). About 1 when the rows do not matter, 0 without noise; the
// mean over R replications carries 1 / R of that noise variance. NaN when every value is equal.
// Throws std::invalid_argument for R < 2 or a size not a multiple of R.
double replication_noise_share(std::span<const double> outputs, std::size_t replications);

}  // namespace essaim::analysis
