#pragma once
// Calibration of any model by ABC-SMC (docs/CALIBRATION.md): population Monte Carlo with a
// tolerance that shrinks to a quantile of the last generation's distances and a Gaussian kernel
// fitted to it (analysis/abc_smc.hpp), priors from a parameter space file, targets from a targets
// file (experiment/calibration_targets.hpp).
//
// Work units are (generation, particle, replication) runs on the experiment engine: stored as
// they finish, so a killed calibration resumes where it stopped, and computed over TBB threads
// and MPI ranks. The result is a pure function of the inputs and the seed, whatever the thread
// count, the rank count or the batch sizes: proposal a of generation g is drawn from its own
// random stream (seed, g, a), every run from (seed, unit id), and a generation keeps its first N
// accepted particles in proposal order.
//
// With R replications per particle, a particle is accepted when at least one replication is within
// the tolerance and weighted by the share that are: an unbiased estimate of the ABC likelihood,
// so the target posterior is that of R = 1, reached with less weight variance (Del Moral et al.
// 2012).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analysis/abc_smc.hpp"
#include "experiment/calibration_targets.hpp"
#include "experiment/manifest.hpp"
#include "experiment/model.hpp"
#include "experiment/parameter_space.hpp"
#include "experiment/unit_store.hpp"

namespace essaim::experiment {

// Targets that no run drawn from the prior can compute (found by running generation 0): bad input,
// located at the first such target; its runs are of no use to corrected targets.
struct UndefinedTargets : TomlError {
    using TomlError::TomlError;
};

struct CalibrationOptions {
    std::size_t particles = 500;
    std::uint64_t replications = 1;
    std::uint64_t seed = 0;
    double quantile = 0.5;          // the next tolerance: this weighted quantile of the distances
    double final_tolerance = -1;    // stop once reached (0: exact matching); < 0: none
    double min_acceptance = 0.01;   // stop when a generation would accept less
    std::uint64_t max_simulations = 0;  // runs over all generations (0: no limit)
    std::size_t max_generations = 30;
    std::size_t predictive = 0;     // posterior predictive draws (0: as many as particles)
    int threads = 1;
    bool quiet = false;
    std::string engine;
};

struct CalibrationGeneration {
    double tolerance = 0;
    std::uint64_t proposals = 0;    // particles proposed until the N-th was accepted
    analysis::abc::Population population;
    std::vector<double> distances;  // particle x replication
    std::vector<double> simulated;  // particle x replication x target
    double effective_sample_size = 0;

    std::uint64_t simulations(std::uint64_t replications) const { return proposals * replications; }
    double acceptance_rate() const {
        return proposals ? static_cast<double>(population.size()) / static_cast<double>(proposals)
                         : 0;
    }
};

struct TargetPredictive {
    std::vector<double> draws;  // one simulated value per predictive draw (NaN: undefined)
    analysis::abc::WeightedSummary summary;  // over the defined draws
    double share_below = 0;     // P(simulated <= observed) among the defined draws
    std::size_t undefined = 0;  // draws where the KPI had no value
};

struct CalibrationResult {
    std::vector<CalibrationGeneration> generations;  // the last one is the posterior
    std::string stopped;                             // why the sequence stopped
    std::vector<analysis::abc::WeightedSummary> posterior;  // per parameter, in its own units
    std::vector<TargetPredictive> predictive;               // per target
    std::uint64_t simulations = 0;  // runs used by the generations kept (predictive apart)
    double wall_seconds = 0;
};

class Calibration {
public:
    // `base_text`/`base_path`: the scenario every run starts from (after --set). Checks the
    // targets against the model and the scenario (TomlError at the target's key).
    Calibration(const Model& model, std::string base_text, std::string base_path,
                std::vector<SpaceParameter> space, std::vector<CalibrationTarget> targets,
                CalibrationOptions options);

    const std::vector<SpaceParameter>& space() const { return space_; }
    const std::vector<CalibrationTarget>& targets() const { return targets_; }
    const CalibrationOptions& options() const { return options_; }
    const std::string& scenario_name() const { return base_->name(); }

    std::string fingerprint() const;
    std::map<std::string, std::string> store_meta() const;

    // Runs the whole calibration. Under mpirun every rank calls it; `store` is rank 0's (null
    // elsewhere), and the result is complete on every rank.
    CalibrationResult run(UnitStore* store) const;

    // The calibration file (docs/CALIBRATION.md, "Output"), written atomically.
    void write(const std::string& path, const CalibrationResult& result,
               const Manifest& manifest) const;

    // The targets' simulated values of one run of the parameters at `u` (unit hypercube), unit
    // `id`: one model run per distinct cut date, all with the same random numbers.
    std::vector<double> simulate(const std::vector<double>& u, std::uint64_t id) const;

    // The distance of one run's simulated target values to the observed ones: the root of the sum
    // of squared (simulated - value) / scale; infinite when a value is undefined (NaN).
    double distance(const double* simulated) const;

private:
    struct State;
    bool run_generation(State& state, std::size_t g, double tolerance, UnitStore* store,
                        CalibrationGeneration& out) const;
    std::vector<double> batch_values(State& state, const std::vector<std::uint64_t>& ids,
                                     UnitStore* store, const std::string& label) const;
    std::vector<double> proposal(const State& state, std::size_t g, std::uint64_t a) const;
    void predictive_check(State& state, UnitStore* store, CalibrationResult& result) const;
    void write_targets(const hdf5::Group& root) const;
    void write_generations(const hdf5::Group& root, const CalibrationResult& result) const;

    const Model& model_;
    std::string base_text_, base_path_;
    std::shared_ptr<const ModelScenario> base_;
    std::vector<SpaceParameter> space_;
    std::vector<CalibrationTarget> targets_;
    CalibrationOptions options_;
    // The distinct observation dates of the targets (day serials from, to; a single date has
    // from == to), and each target's (-1: the run's last day).
    std::vector<std::pair<long, long>> cuts_;
    std::vector<int> target_cut_;
};

// Unit ids: generation (the predictive check has its own), proposal, replication.
inline constexpr std::uint64_t kPredictiveGeneration = (1ull << 23) - 1;
std::uint64_t calibration_unit_id(std::uint64_t generation, std::uint64_t proposal,
                                  std::uint64_t replications, std::uint64_t replication);

}  // namespace essaim::experiment
