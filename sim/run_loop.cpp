#include "sim/run_loop.hpp"

#include <tbb/blocked_range.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>

namespace essaim {

int effective_threads(int requested) {
    return std::clamp(requested, 1, std::max(1, tbb::info::default_concurrency()));
}

void for_each_unit(std::size_t n_units, int threads,
                   const std::function<void(std::size_t)>& advance) {
    threads = effective_threads(threads);
    if (threads <= 1 || n_units <= 1) {
        for (std::size_t u = 0; u < n_units; ++u) advance(u);
        return;
    }
    tbb::task_arena arena(threads);
    arena.execute([&] {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n_units, 1),
                          [&](const tbb::blocked_range<std::size_t>& range) {
                              for (std::size_t u = range.begin(); u != range.end(); ++u) advance(u);
                          });
    });
}

}  // namespace essaim
