#pragma once
// How much memory a Dest1 run may need at its peak, known from the scenario alone, so that a run
// that cannot fit is refused before it starts instead of failing with bad_alloc after minutes.
#include <cstdint>

#include "models/dest1/scenario.hpp"

namespace essaim::dest1 {

// Bytes the estimate counts for what the run keeps (docs/ESSAIMAGE.md, "Memory").
// A person waiting: 19 bytes of columns (employability included), which may hold as many holes
// (people who gave up) as people and grow by doubling. A person in the parcours: 113 bytes with
// the event engine's budgets and barrier thresholds, growing by doubling.
inline constexpr std::uint64_t kWaitingBytes = 80;
inline constexpr std::uint64_t kActiveBytes = 232;
inline constexpr std::uint64_t kAgentRowBytes = 124;  // a 41-byte row, kept twice, growth slack
inline constexpr std::uint64_t kProcessBaseBytes = 64ull << 20;  // program, libraries, buffers

// Upper bounds on people, summed over the territories (counts, not bytes): waiting and active at
// once in each territory, identified over the whole run.
struct PeopleBounds {
    double waiting = 0;
    double active = 0;
    double identified = 0;
    double live() const { return waiting + active; }
};
PeopleBounds people_bounds(const Scenario& scenario);

// An upper estimate of the peak memory of one run of `scenario` (any thread count): the process's
// base, the daily series (days x territories x variables), the live people (for each territory,
// at most its capacity active plus the waiting list, which outreach fills and patience empties)
// and, with `record_agents`, a row for everyone identified over the run. Saturates at
// UINT64_MAX for scenarios whose counts overflow.
std::uint64_t estimate_run_bytes(const Scenario& scenario, bool record_agents);

}  // namespace essaim::dest1
