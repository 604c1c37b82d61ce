#pragma once
// Computing work units into a store: the units are computed in parallel (TBB), each encoded by
// the worker that computed it, and put into the store by one thread as they finish, in whatever
// order they finish: the store is keyed by unit id, and every summary is a reduction over the
// stored units read in id order, so neither the thread count nor the order of completion can
// change a result.
#include <cstdint>
#include <functional>
#include <vector>

#include "experiment/unit_store.hpp"

namespace essaim {
class Progress;
}

namespace essaim::experiment {

// Computes compute(id) for every id of `ids` on up to `threads` threads and stores the bytes
// under id, each committed as it is stored. `progress`, if given, advances
// once per stored unit. An exception from a unit propagates after the units already finished are
// committed (they are kept for a resume).
void compute_into(UnitStore& store, const std::vector<std::uint64_t>& ids, int threads,
                  const std::function<std::vector<std::uint8_t>(std::uint64_t)>& compute,
                  Progress* progress = nullptr);

// The ids in [0, n) that are not in `stored` (increasing) and belong to shard k of K (ids with
// id % K == k - 1; k = K = 1: all).
std::vector<std::uint64_t> missing_units(std::uint64_t n, const std::vector<std::uint64_t>& stored,
                                         std::uint64_t shard = 1, std::uint64_t shards = 1);

}  // namespace essaim::experiment
