#pragma once
// One Dest1 run: a pure function of (scenario, seed, replication). Threads change the speed only.
#include <cstdint>

#include "models/dest1/outputs.hpp"
#include "models/dest1/scenario.hpp"

namespace essaim::dest1 {

struct RunOptions {
    std::uint64_t seed = 0;  // defaults to the scenario's seed in the command line
    std::uint64_t replication = 0;
    int threads = 1;             // territories advanced in parallel
    bool record_agents = false;  // keep the per-agent table
    bool progress = false;       // territories done, on stderr, for runs longer than a second
};

RunResult run(const Scenario& scenario, const RunOptions& options);

}  // namespace essaim::dest1
