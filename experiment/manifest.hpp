#pragma once
// Provenance of a result file, stored as attributes of /manifest by every model and file kind.
#include <cstdint>
#include <string>

namespace essaim::experiment {

inline constexpr int kOutputSchemaVersion = 1;

struct Manifest {
    std::string essaim_version;
    std::string git_commit;
    std::string command_line;
    std::uint64_t seed = 0;
    std::uint64_t replication = 0;
    int threads = 1;
    std::string started_at;  // ISO 8601 UTC, e.g. 2026-11-26T11:30:21Z
    double wall_seconds = 0;
    std::string engine;  // the model's engine ("" its default)
};

}  // namespace essaim::experiment
