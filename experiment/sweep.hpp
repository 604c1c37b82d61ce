#pragma once
// Sweeps of any model: one ensemble summary per design point (work units point x replication,
// id = point * R + replication), computed into a unit store like ensembles (durable, resumable,
// shardable) and reduced in id order. The file (docs/ENSEMBLES.md, "sweep files") holds the
// points, every replication's KPIs, their statistics and a tidy table point x territory x KPI x
// statistic.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analysis/design.hpp"
#include "analysis/summary.hpp"
#include "experiment/model.hpp"
#include "experiment/unit_store.hpp"

namespace essaim::experiment {

struct SweepPoint {
    analysis::DesignPoint settings;                 // the overrides that make this point
    std::shared_ptr<const ModelScenario> scenario;  // the base with them applied and validated
};

struct SweepOptions {
    // The scenario every point starts from (after --set, before the point's own values), as
    // text, and its path: what resuming and merging rebuild the points from.
    std::string base_text, base_path;
    std::uint64_t seed = 0;
    std::uint64_t replications = 20;
    int threads = 1;
    bool quiet = false;
    std::string engine;  // UnitRequest::engine
};

struct SweepResult {
    std::size_t points = 0;
    std::uint64_t replications = 0;
    std::vector<std::string> rows;  // the units, then "total"
    std::size_t n_kpis = 0;
    std::vector<double> replication_kpis;                     // (point, replication, row, kpi)
    std::vector<std::vector<analysis::Summary>> kpi_summary;  // (point, row) x kpi
    double wall_seconds = 0;
};

class Sweep {
public:
    // All points must have the same units (by name, in order), which makes their replications
    // comparable, and set the same keys in the same order. Throws std::invalid_argument otherwise.
    Sweep(const Model& model, std::vector<SweepPoint> points, SweepOptions options);

    const Model& model() const { return model_; }
    const std::vector<SweepPoint>& points() const { return points_; }
    const SweepOptions& options() const { return options_; }
    std::uint64_t units() const { return points_.size() * options_.replications; }

    std::string fingerprint() const;
    std::map<std::string, std::string> store_meta(std::uint64_t shard = 1,
                                                  std::uint64_t shards = 1) const;
    std::uint64_t estimate_bytes() const;

    // As Ensemble::compute: over every MPI rank when launched by mpirun.
    void compute(UnitStore* store, std::uint64_t shard = 1, std::uint64_t shards = 1) const;
    void compute(UnitStore& store, std::uint64_t shard = 1, std::uint64_t shards = 1) const {
        compute(&store, shard, shards);
    }
    SweepResult reduce(const std::function<std::vector<std::uint8_t>(std::uint64_t)>& unit,
                       const std::string& output, const Manifest& manifest) const;

private:
    const Model& model_;
    std::vector<SweepPoint> points_;
    SweepOptions options_;
};

// Rebuilds the sweep a store (or a shard's partial file) was made for. Throws StoreError when
// the store is not a sweep's or its model is unknown.
Sweep sweep_of_store(const std::map<std::string, std::string>& meta,
                     const std::function<const Model*(const std::string&)>& find_model);

}  // namespace essaim::experiment
