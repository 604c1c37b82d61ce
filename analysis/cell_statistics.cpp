#include "analysis/cell_statistics.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/summary.hpp"

namespace essaim::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int usable_threads(int requested) {
    return std::clamp(requested, 1, std::max(1, tbb::this_task_arena::max_concurrency()));
}

constexpr std::array<double, 5> kQuantiles{0.05, 0.25, 0.5, 0.75, 0.95};
constexpr double kHistogramRange = 4096;

// Type-7 quantiles (as analysis::quantile_sorted) of n integer values given as counts of
// low + i; writes the five kQuantiles.
void quantiles_from_histogram(const std::vector<std::uint32_t>& counts, double low, std::uint64_t n,
                              double* out) {
    // The order statistics needed, in increasing rank: floor(h) and floor(h) + 1 for each p.
    std::array<std::uint64_t, 10> ranks;
    std::array<double, 10> at;
    for (std::size_t q = 0; q < kQuantiles.size(); ++q) {
        const double h = (static_cast<double>(n) - 1) * kQuantiles[q];
        ranks[2 * q] = static_cast<std::uint64_t>(h);
        ranks[2 * q + 1] = std::min<std::uint64_t>(ranks[2 * q] + 1, n - 1);
    }
    std::size_t next = 0;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; next < ranks.size(); ++i) {
        seen += counts[i];
        while (next < ranks.size() && ranks[next] < seen) at[next++] = low + static_cast<double>(i);
    }
    for (std::size_t q = 0; q < kQuantiles.size(); ++q) {
        const double h = (static_cast<double>(n) - 1) * kQuantiles[q];
        const double fraction = h - std::floor(h);
        out[q] = fraction == 0 ? at[2 * q] : at[2 * q] + fraction * (at[2 * q + 1] - at[2 * q]);
    }
}

// Mean, sd, se, t-interval and quantiles of every series cell over the replications.
}  // namespace

std::vector<double> summarise_cells(const std::vector<float>& all, std::uint64_t replications,
                                    std::size_t cells, int threads) {
    constexpr std::size_t kStats = kCellStatistics.size();
    std::vector<double> out(cells * kStats, kNaN);
    const double n = static_cast<double>(replications);
    const double t975 = replications > 1 ? analysis::student_t_quantile(0.975, n - 1) : kNaN;
    tbb::task_arena arena(usable_threads(threads));
    arena.execute([&] {
        // Cells in blocks: a block's values of every replication are first copied contiguously
        // (reading each replication's stretch in order), so the per-cell gathers stay in cache.
        constexpr std::size_t kBlock = 256;
        tbb::parallel_for(
            tbb::blocked_range<std::size_t>(0, (cells + kBlock - 1) / kBlock),
            [&](const auto& blocks) {
                std::vector<float> local(replications * kBlock);
                std::vector<double> values(replications);
                std::vector<std::uint32_t> histogram(kHistogramRange);
                for (std::size_t block = blocks.begin(); block != blocks.end(); ++block) {
                    const std::size_t first = block * kBlock,
                                      count = std::min(kBlock, cells - first);
                    for (std::uint64_t r = 0; r < replications; ++r)
                        std::copy_n(&all[r * cells + first], count, &local[r * kBlock]);
                    for (std::size_t c = 0; c < count; ++c) {
                        double sum = 0, low = INFINITY, high = -INFINITY;
                        bool integral = true;
                        for (std::uint64_t r = 0; r < replications; ++r) {
                            const double v = local[r * kBlock + c];
                            values[r] = v;
                            sum += v;
                            low = std::min(low, v);
                            high = std::max(high, v);
                            integral = integral && v == std::floor(v);
                        }
                        const double mean = sum / n;
                        double squares = 0;
                        for (double v : values) squares += (v - mean) * (v - mean);
                        const double sd = replications > 1 ? std::sqrt(squares / (n - 1)) : kNaN;
                        const double se = sd / std::sqrt(n);
                        double* o = &out[(first + c) * kStats];
                        o[0] = mean;
                        o[1] = sd;
                        o[2] = se;
                        o[3] = mean - t975 * se;
                        o[4] = mean + t975 * se;
                        // Most cells are counts over a small range (or constant): their order
                        // statistics come from a histogram instead of a sort, with the same result.
                        if (integral && high - low < kHistogramRange) {
                            std::fill_n(histogram.begin(), static_cast<std::size_t>(high - low) + 1,
                                        0u);
                            for (double v : values) ++histogram[static_cast<std::size_t>(v - low)];
                            quantiles_from_histogram(histogram, low, replications, &o[5]);
                        } else {
                            std::sort(values.begin(), values.end());
                            int k = 5;
                            for (double p : kQuantiles)
                                o[k++] = analysis::quantile_sorted(values, p);
                        }
                    }
                }
            });
    });
    return out;
}

}  // namespace essaim::analysis
