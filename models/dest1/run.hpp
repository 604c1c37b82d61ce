#pragma once
// One Dest1 run: a pure function of (scenario, seed, replication). Threads change the speed only.
#include <cstdint>

#include "models/dest1/outputs.hpp"
#include "models/dest1/scenario.hpp"

namespace essaim::dest1 {

// How active agents' events are drawn (docs/MODEL.md §7.12). Both give MODEL.md's process in
// distribution; `daily` is the one Bernoulli draw per agent and day of the original engine, kept
// bit-identical so that results of earlier versions can be reproduced.
enum class Engine {
    event,  // Exp(1) budgets per agent, used up by the daily hazards: no draw on days without event
    daily,  // one block of random words per active agent and day
};

struct RunOptions {
    std::uint64_t seed = 0;  // defaults to the scenario's seed in the command line
    std::uint64_t replication = 0;
    int threads = 1;             // territories advanced in parallel
    bool record_agents = false;  // keep the per-agent table
    bool progress = false;       // territories done, on stderr, for runs longer than a second
    Engine engine = Engine::event;
};

RunResult run(const Scenario& scenario, const RunOptions& options);

}  // namespace essaim::dest1
