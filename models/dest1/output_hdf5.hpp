#pragma once
// Writing one Dest1 run to HDF5 (schema v1, docs/OUTPUT.md). The file appears complete or not at
// all: it is written under a temporary name beside the target and renamed at the end.
#include <cstdint>
#include <string>

#include "models/dest1/outputs.hpp"
#include "models/dest1/rollout.hpp"
#include "models/dest1/scenario.hpp"
#include "sim/calendar.hpp"
#include "sim/hdf5_file.hpp"

namespace essaim::dest1 {

inline constexpr int kOutputSchemaVersion = 1;

// Provenance of a run, stored as attributes of /manifest.
struct RunManifest {
    std::string essaim_version;
    std::string git_commit;
    std::string command_line;
    std::uint64_t seed = 0;
    std::uint64_t replication = 0;
    int threads = 1;
    std::string started_at;  // ISO 8601 UTC, e.g. 2026-11-26T11:30:21Z
    double wall_seconds = 0;
};

// Parts shared by every file kind (run, ensemble, sweep): /manifest attributes, the /territories
// table, and a variable list's names, units and labels as parallel string-array attributes.
hdf5::Group write_manifest(const hdf5::Group& root, const Scenario& scenario,
                           const RunManifest& manifest, const Calendar& calendar,
                           bool record_agents);
// With `rollout`, the opening dates are the ones the roll-out decided.
void write_territories(const hdf5::Group& root, const Scenario& scenario,
                       const std::vector<RolloutDecision>* rollout = nullptr);
void describe_variables(const hdf5::Object& object, std::string_view names_attribute,
                        const std::vector<VariableInfo>& variables);

// Throws std::runtime_error naming the path on any failure; no partial file is left behind.
void write_run_hdf5(const std::string& path, const Scenario& scenario, const RunResult& result,
                    const RunManifest& manifest);

}  // namespace essaim::dest1
