#pragma once
// Sweeps: one ensemble summary per design point of a scenario (work units point x replication,
// run in parallel, handed over in unit order). The file (docs/OUTPUT.md, "sweep files") holds the
// points, every replication's KPIs, their summaries and a tidy table point x territory x KPI x
// statistic.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/design.hpp"
#include "analysis/summary.hpp"
#include "models/dest1/output_hdf5.hpp"
#include "models/dest1/outputs.hpp"
#include "models/dest1/scenario.hpp"

namespace essaim::dest1 {

struct SweepPoint {
    analysis::DesignPoint settings;  // the overrides that make this point
    Scenario scenario;               // the base scenario with them applied and validated
};

struct SweepOptions {
    std::uint64_t seed = 0;
    std::uint64_t replications = 20;
    int threads = 1;
    bool quiet = false;
};

struct SweepResult {
    std::size_t points = 0;
    std::uint64_t replications = 0;
    int n_territories = 0;
    std::vector<std::string> territories;  // with "total" last
    // (point, replication, territory or total, kpi)
    std::vector<double> replication_kpis;
    // (point, territory or total) x kpi
    std::vector<std::array<analysis::Summary, kKpiCount>> kpi_summary;
    double wall_seconds = 0;
};

// All points must have the same territories (by name, in order): that is what makes their
// replications comparable. Throws std::invalid_argument otherwise.
SweepResult run_sweep(const std::vector<SweepPoint>& points, const SweepOptions& options,
                      const std::string& output, const RunManifest& manifest);

}  // namespace essaim::dest1
