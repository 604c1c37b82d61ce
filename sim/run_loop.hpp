#pragma once
// Independent units of a run (territories that never interact within a run) advanced side by side.
// Each unit owns its state, its random streams and its slice of the recorded series, so the result
// is the same whatever the thread count or the order in which units are scheduled.
#include <cstddef>
#include <functional>

namespace essaim {

// The thread count to use for a request: between 1 and the machine's cores (more would only
// oversubscribe, and TBB warns about it on stderr). Results never depend on it.
int effective_threads(int requested);

// Calls advance(u) once for every u in [0, n_units), on at most `threads` threads (1: in order on
// the calling thread). Exceptions from a unit propagate to the caller.
void for_each_unit(std::size_t n_units, int threads,
                   const std::function<void(std::size_t)>& advance);

}  // namespace essaim
