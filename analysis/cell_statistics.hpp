#pragma once
// Statistics of every cell of many replications' arrays (the daily series of an ensemble): mean,
// sd, standard error, t-interval and quantiles per cell, computed in parallel over blocks of cells.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace essaim::analysis {

// The statistics of each cell, in order.
inline constexpr std::array<const char*, 10> kCellStatistics{
    "mean", "sd", "se", "ci95_low", "ci95_high", "q05", "q25", "q50", "q75", "q95"};

// `all` holds `replications` arrays of `cells` values each, one after the other. Returns
// cells x kCellStatistics. Quantiles are type 7 (as analysis::quantile_sorted); integer cells over
// a small range take them from a histogram, with the same result as a sort.
std::vector<double> summarise_cells(const std::vector<float>& all, std::uint64_t replications,
                                    std::size_t cells, int threads);

}  // namespace essaim::analysis
