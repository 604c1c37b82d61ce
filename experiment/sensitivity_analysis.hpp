#pragma once
// Sensitivity analyses of any model (docs/SENSITIVITY.md): a design over a parameter space (Latin
// hypercube, Saltelli's Sobol' matrices, Morris trajectories) run as a sweep on the experiment
// engine (design rows x replications as work units: stored as they finish, resumable, MPI), then
// indices per KPI: Sobol' first-order and total with bootstrap intervals, Morris mu, mu* and
// sigma, or partial rank correlations. Replications of a row share their random numbers with the
// same replication of every other row (common random numbers).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analysis/sensitivity.hpp"
#include "experiment/parameter_space.hpp"
#include "experiment/sweep.hpp"
#include "sim/hdf5_file.hpp"

namespace essaim::experiment {

enum class SaMethod { sobol, morris, lhs };
const char* method_name(SaMethod method);

struct SaOptions {
    SaMethod method = SaMethod::sobol;
    std::size_t n = 0;  // sobol: base rows; morris: trajectories; lhs: points (0: a default)
    std::uint64_t replications = 1;
    std::uint64_t seed = 0;
    int threads = 1;
    bool quiet = false;
    std::string engine;
    std::size_t levels = 4;         // morris
    bool second_order = false;      // sobol
    std::size_t bootstrap = 1000;   // sobol
    std::size_t maximin = 1;        // lhs: best of this many hypercubes
    std::vector<std::string> kpis;  // names; empty: every KPI of the model (or Dest1's four)
};

// The indices of one KPI, per parameter, in the space's order.
struct KpiIndices {
    std::string kpi;
    analysis::SobolIndices sobol;
    analysis::MorrisIndices morris;
    analysis::PartialRankCorrelations prcc;
    double noise_share = 0;  // share of a replication's output variance that is noise (R > 1)
};

struct SaResult {
    std::vector<KpiIndices> indices;
    std::vector<double> outputs;  // (row, replication, kpi) of the KPIs asked, in total
    std::vector<double> means;    // (row, kpi): the mean over replications, what indices use
};

class SensitivityAnalysis {
public:
    // The base scenario (its text and path, after --set) and the space; builds the design and a
    // sweep with one point per design row.
    SensitivityAnalysis(const Model& model, const std::string& base_text,
                        const std::string& base_path, std::vector<SpaceParameter> space,
                        SaOptions options);

    const Sweep& sweep() const { return *sweep_; }
    const analysis::UnitDesign& design() const { return design_; }
    const std::vector<SpaceParameter>& space() const { return space_; }
    const std::vector<std::size_t>& kpis() const { return kpis_; }  // indices in model.kpis()
    const SaOptions& options() const { return options_; }

    // The store's meta: the sweep's, plus what rebuilds this analysis (its options and space)
    // when a resumed run or `essaim merge` reads the store.
    std::map<std::string, std::string> store_meta(std::uint64_t shard = 1,
                                                  std::uint64_t shards = 1) const;

    // The indices from the sweep's stored units (read in id order).
    SaResult analyse(const std::function<std::vector<std::uint8_t>(std::uint64_t)>& unit) const;
    // The sa file (docs/SENSITIVITY.md, "Output"), written atomically.
    void write(const std::string& path, const SaResult& result, const Manifest& manifest) const;

private:
    void write_space(const hdf5::Group& root) const;
    void write_indices(const hdf5::Group& root, const SaResult& result,
                       const std::vector<std::string>& kpis,
                       const std::vector<std::string>& parameters) const;

    const Model& model_;
    std::vector<SpaceParameter> space_;
    SaOptions options_;
    std::size_t design_rows_n_ = 0;  // -n as used (the method's default when 0 was asked)
    analysis::UnitDesign design_;
    analysis::SaltelliLayout layout_;
    std::vector<std::size_t> kpis_;
    std::unique_ptr<Sweep> sweep_;
};

// Rebuilds the analysis a store (or a shard's partial file) was made for; throws StoreError when
// the store is not an analysis's or does not match its fingerprint.
SensitivityAnalysis analysis_of_store(
    const std::map<std::string, std::string>& meta,
    const std::function<const Model*(const std::string&)>& find_model);

// The space as the TOML text of a space file (read back by read_space_text).
std::string space_text(const std::vector<SpaceParameter>& space);

// Design rows of a method, on the unit hypercube (for `essaim design`).
analysis::UnitDesign unit_design(SaMethod method, std::size_t n, std::size_t dimensions,
                                 const SaOptions& options, analysis::SaltelliLayout* layout);

}  // namespace essaim::experiment
