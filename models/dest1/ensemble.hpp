#pragma once
// Ensembles of Dest1 runs: R replications of one scenario (work units of sim/work_units.hpp),
// computed in parallel and summarised across replications; written to HDF5 (docs/OUTPUT.md,
// "ensemble files") one replication at a time, in replication order, so the file is the same
// whatever the thread count.
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis/summary.hpp"
#include "analysis/survival.hpp"
#include "models/dest1/output_hdf5.hpp"
#include "models/dest1/outputs.hpp"
#include "models/dest1/scenario.hpp"

namespace essaim::dest1 {

struct EnsembleOptions {
    std::uint64_t seed = 0;
    std::uint64_t replications = 20;
    int threads = 1;
    bool summary_only = false;  // store statistics only, not each replication's daily series
    bool quiet = false;         // no progress on stderr
    bool kpis_only = false;     // KPIs and their statistics only: no series, no survival curves
    // Memory allowed for every replication's daily series (0: half the machine's memory). Above
    // it, per-territory series cells get mean, sd, se and CI without quantiles (NaN).
    double series_memory_limit = 0;
};

// Statistics stored for each daily series cell, in order.
inline constexpr std::array<const char*, 10> kSeriesStatistics{
    "mean", "sd", "se", "ci95_low", "ci95_high", "q05", "q25", "q50", "q75", "q95"};
// Statistics stored for each KPI, in order.
inline constexpr std::array<const char*, 12> kKpiStatistics{
    "n",   "mean", "sd",  "se",  "ci95_low", "ci95_high",
    "q05", "q25",  "q50", "q75", "q95",      "replications_for_1pct"};

// A Kaplan-Meier curve of one group, pooled over the replications.
struct SurvivalResult {
    std::string curve;  // "time_to_first_job" | "time_to_dropout"
    std::string group;  // "all", "territory/Lille", "duration/gt2y", "diploma/low", "barriers/3"
    analysis::SurvivalCurve km;
};

struct EnsembleResult {
    std::uint64_t replications = 0;
    int n_territories = 0;
    // (replication, territory or total, kpi); row n_territories is the total.
    std::vector<double> replication_kpis;
    // (territory or total) x kpi.
    std::vector<std::array<analysis::Summary, kKpiCount>> kpi_summary;
    // (day, territory or total, variable, statistic) with the statistics of kSeriesStatistics.
    std::vector<double> series_summary;
    int n_days = 0;
    bool territory_series_quantiles = true;  // false: NaN quantiles in per-territory cells
    std::vector<SurvivalResult> survival;
    std::uint64_t agent_days = 0;
    double wall_seconds = 0;

    double kpi(std::uint64_t replication, int territory_or_total, int kpi) const {
        return replication_kpis[(replication * (n_territories + 1) + territory_or_total) *
                                    kKpiCount +
                                kpi];
    }
};

// An ensemble whose per-cell quantiles would not fit in memory (bad input, not a failure).
struct EnsembleTooLarge : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Runs the ensemble. With a non-empty `output`, writes the ensemble file there (atomically).
EnsembleResult run_ensemble(const Scenario& scenario, const EnsembleOptions& options,
                            const std::string& output, const RunManifest& manifest);

}  // namespace essaim::dest1
