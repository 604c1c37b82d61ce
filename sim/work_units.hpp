#pragma once
// Work units of an experiment: (design point x replication), each with a stable id, so that a
// unit's result never depends on which thread, process or shard computed it, and outputs can be
// written one unit at a time, in id order.
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "sim/run_loop.hpp"

namespace essaim {

struct WorkUnit {
    std::uint64_t id;           // point * replications + replication
    std::uint64_t point;        // design point (0 for a single scenario)
    std::uint64_t replication;  // replication number within the point
};

inline std::vector<WorkUnit> work_units(std::uint64_t points, std::uint64_t replications) {
    std::vector<WorkUnit> units;
    units.reserve(points * replications);
    for (std::uint64_t p = 0; p < points; ++p)
        for (std::uint64_t r = 0; r < replications; ++r)
            units.push_back({p * replications + r, p, r});
    return units;
}

// Computes every unit on up to `threads` threads and hands each result to `consume` on one
// thread at a time, in the order of `units`, whatever order they finished in. At most a few
// results per thread wait in memory.
template <class Result>
void run_in_order(const std::vector<WorkUnit>& units, int threads,
                  const std::function<Result(const WorkUnit&)>& compute,
                  const std::function<void(const WorkUnit&, Result&&)>& consume) {
    struct Item {
        std::size_t index;
        Result result;
    };
    std::size_t next = 0;
    threads = effective_threads(threads);
    tbb::task_arena arena(threads);
    arena.execute([&] {
        tbb::parallel_pipeline(
            static_cast<std::size_t>(2 * threads),
            tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order,
                                                [&](tbb::flow_control& control) -> std::size_t {
                                                    if (next == units.size()) {
                                                        control.stop();
                                                        return 0;
                                                    }
                                                    return next++;
                                                }) &
                tbb::make_filter<std::size_t, Item>(tbb::filter_mode::parallel,
                                                    [&](std::size_t index) {
                                                        return Item{index, compute(units[index])};
                                                    }) &
                tbb::make_filter<Item, void>(tbb::filter_mode::serial_in_order, [&](Item item) {
                    consume(units[item.index], std::move(item.result));
                }));
    });
}

}  // namespace essaim
