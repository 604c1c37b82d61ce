#include "experiment/executor.hpp"

#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>

#include "sim/progress.hpp"
#include "sim/run_loop.hpp"

namespace essaim::experiment {

void compute_into(UnitStore& store, const std::vector<std::uint64_t>& ids, int threads,
                  const std::function<std::vector<std::uint8_t>(std::uint64_t)>& compute,
                  Progress* progress) {
    struct Item {
        std::uint64_t id;
        std::vector<std::uint8_t> bytes;
    };
    threads = effective_threads(threads);
    std::size_t next = 0;
    tbb::task_arena arena(threads);
    try {
        arena.execute([&] {
            tbb::parallel_pipeline(
                static_cast<std::size_t>(2 * threads),
                tbb::make_filter<void, std::uint64_t>(
                    tbb::filter_mode::serial_in_order,
                    [&](tbb::flow_control& control) -> std::uint64_t {
                        if (next == ids.size()) {
                            control.stop();
                            return 0;
                        }
                        return ids[next++];
                    }) &
                    tbb::make_filter<std::uint64_t, Item>(tbb::filter_mode::parallel,
                                                          [&](std::uint64_t id) {
                                                              return Item{id, compute(id)};
                                                          }) &
                    tbb::make_filter<Item, void>(tbb::filter_mode::serial_out_of_order,
                                                 [&](Item item) {
                                                     store.put(item.id, item.bytes);
                                                     if (progress) progress->advance();
                                                 }));
        });
    } catch (...) {
        try {
            store.commit();  // what finished is kept for --resume
        } catch (...) {
            // The first failure (often the same full disk) is the one to report.
        }
        throw;
    }
    store.commit();
}

std::vector<std::uint64_t> missing_units(std::uint64_t n, const std::vector<std::uint64_t>& stored,
                                         std::uint64_t shard, std::uint64_t shards) {
    std::vector<std::uint64_t> out;
    auto it = stored.begin();
    for (std::uint64_t id = 0; id < n; ++id) {
        while (it != stored.end() && *it < id) ++it;
        if (it != stored.end() && *it == id) continue;
        if (id % shards == shard - 1) out.push_back(id);
    }
    return out;
}

}  // namespace essaim::experiment
