#pragma once
// Writing one Dest1 run to HDF5 (schema v1, docs/OUTPUT.md). The file appears complete or not at
// all: it is written under a temporary name beside the target and renamed at the end.
#include <cstdint>
#include <string>

#include "experiment/manifest.hpp"
#include "models/dest1/outputs.hpp"
#include "models/dest1/rollout.hpp"
#include "models/dest1/scenario.hpp"
#include "sim/calendar.hpp"
#include "sim/hdf5_file.hpp"

namespace essaim::dest1 {

using experiment::kOutputSchemaVersion;
// Provenance of a run, stored as attributes of /manifest (shared by every model).
using RunManifest = experiment::Manifest;

// Parts shared by every file kind (run, ensemble, sweep): /manifest attributes and the
// /territories table (variables are described by sim/variable_attributes.hpp).
hdf5::Group write_manifest(const hdf5::Group& root, const Scenario& scenario,
                           const RunManifest& manifest, const Calendar& calendar,
                           bool record_agents);
// With `rollout`, the opening dates are the ones the roll-out decided.
hdf5::Group write_territories(const hdf5::Group& root, const Scenario& scenario,
                              const std::vector<RolloutDecision>* rollout = nullptr);
// /rollout: when and why each territory opened (decisions of plan_rollout, one per territory).
void write_rollout(const hdf5::Group& root, const Scenario& scenario,
                   const std::vector<RolloutDecision>& decisions, double max_run_rate);

// Throws std::runtime_error naming the path on any failure; no partial file is left behind.
void write_run_hdf5(const std::string& path, const Scenario& scenario, const RunResult& result,
                    const RunManifest& manifest);

}  // namespace essaim::dest1
