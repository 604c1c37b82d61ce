#pragma once
// Ensembles of any model: R replications of one scenario as work units (id = replication),
// computed into a unit store (durable, resumable, shardable) and summarised by a pure reduction
// over the stored units read in id order: KPI statistics per unit row and in total, statistics of
// every daily-series cell, pooled survival curves. The ensemble file (docs/ENSEMBLES.md) is
// written from that reduction, atomically.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/cell_statistics.hpp"
#include "analysis/summary.hpp"
#include "analysis/survival.hpp"
#include "experiment/model.hpp"
#include "experiment/unit_store.hpp"

namespace essaim::experiment {

struct EnsembleOptions {
    std::uint64_t seed = 0;
    std::uint64_t replications = 20;
    int threads = 1;
    bool summary_only = false;  // store statistics only, not each replication's daily series
    bool quiet = false;         // no progress on stderr
    bool kpis_only = false;     // KPIs and their statistics only: no series, no survival curves
    // Memory allowed for every replication's daily series (0: half the machine's memory). Above
    // it, per-unit series cells get mean, sd, se and CI without quantiles (NaN).
    double series_memory_limit = 0;
    std::string engine;  // UnitRequest::engine ("" the model's default)
};

// Statistics stored for each KPI, in order.
inline constexpr std::array<const char*, 12> kKpiStatistics{
    "n",   "mean", "sd",  "se",  "ci95_low", "ci95_high",
    "q05", "q25",  "q50", "q75", "q95",      "replications_for_1pct"};
inline constexpr const auto& kSeriesStatistics = analysis::kCellStatistics;

// A Kaplan-Meier curve of one group, pooled over the replications.
struct SurvivalResult {
    std::string curve;  // "time_to_first_job" | "time_to_dropout"
    std::string group;  // "all", "territory/Lille", ...
    analysis::SurvivalCurve km;
};

struct EnsembleResult {
    std::uint64_t replications = 0;
    std::size_t rows = 0;  // units + 1 (the total)
    std::size_t n_kpis = 0;
    // (replication, row, kpi); the last row is the total.
    std::vector<double> replication_kpis;
    // row x kpi.
    std::vector<std::vector<analysis::Summary>> kpi_summary;
    // (day, row, variable, statistic) with the statistics of kSeriesStatistics.
    std::vector<double> series_summary;
    int n_days = 0;
    bool unit_series_quantiles = true;  // false: NaN quantiles in per-unit cells
    std::vector<SurvivalResult> survival;
    std::uint64_t agent_days = 0;
    double wall_seconds = 0;

    double kpi(std::uint64_t replication, std::size_t row, std::size_t kpi) const {
        return replication_kpis[(replication * rows + row) * n_kpis + kpi];
    }
};

// An ensemble whose per-cell quantiles would not fit in memory (bad input, not a failure).
struct EnsembleTooLarge : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Ensemble {
public:
    Ensemble(const Model& model, std::shared_ptr<const ModelScenario> scenario,
             EnsembleOptions options);

    const Model& model() const { return model_; }
    const ModelScenario& scenario() const { return *scenario_; }
    const EnsembleOptions& options() const { return options_; }
    std::uint64_t units() const { return options_.replications; }
    UnitRequest request() const {
        return {!options_.kpis_only, !options_.kpis_only, options_.engine};
    }

    // What identifies the experiment's units: model, scenario text, seed, replications, what is
    // recorded, and the unit layout. A store of another fingerprint is refused.
    std::string fingerprint() const;
    // The store's `meta`: the fingerprint and what resuming or merging needs to rebuild the
    // ensemble (model, scenario text and path, seed, replications, options).
    std::map<std::string, std::string> store_meta(std::uint64_t shard = 1,
                                                  std::uint64_t shards = 1) const;

    std::uint64_t estimate_bytes() const;  // peak memory of compute + reduce

    // Computes the units of shard k/K (all: 1/1) that `store` lacks, over every MPI rank when
    // launched by mpirun (then `store` is rank 0's, and nullptr on the others).
    void compute(UnitStore* store, std::uint64_t shard = 1, std::uint64_t shards = 1) const;
    void compute(UnitStore& store, std::uint64_t shard = 1, std::uint64_t shards = 1) const {
        compute(&store, shard, shards);
    }
    // Reduces units 0..R-1 (read by `unit`) into the statistics, and writes the ensemble file
    // when `output` is not empty.
    EnsembleResult reduce(const std::function<std::vector<std::uint8_t>(std::uint64_t)>& unit,
                          const std::string& output, const Manifest& manifest) const;

private:
    const Model& model_;
    std::shared_ptr<const ModelScenario> scenario_;
    EnsembleOptions options_;
};

// The whole ensemble in one process: computes the units `store` lacks, then reduces them.
EnsembleResult run_ensemble(const Ensemble& ensemble, UnitStore& store, const std::string& output,
                            const Manifest& manifest);
// The same with a store in memory (no resume): tests, benchmarks, comparisons.
EnsembleResult run_ensemble(const Ensemble& ensemble, const std::string& output = "",
                            const Manifest& manifest = {});

// Rebuilds the ensemble a store (or a shard's partial file) was made for. Throws StoreError when
// the store is not an ensemble's, or its model is not in `find_model`'s reach.
Ensemble ensemble_of_store(const std::map<std::string, std::string>& meta,
                           const std::function<const Model*(const std::string&)>& find_model);

}  // namespace essaim::experiment
