#include "experiment/distributed.hpp"

#include <cstdlib>
#include <stdexcept>

#include "experiment/executor.hpp"

#if ESSAIM_WITH_MPI
#include <mpi.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <iostream>
#include <mutex>
#include <thread>

#include "sim/progress.hpp"
#include "sim/run_loop.hpp"
#endif

namespace essaim::experiment::distributed {

bool launched() {
    for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_NTASKS"}) {
        const char* value = std::getenv(variable);
        // SLURM_NTASKS alone also marks a batch script's own shell: only with a rank variable.
        if (value != nullptr && std::atoi(value) > 1 &&
            (std::string(variable) != "SLURM_NTASKS" || std::getenv("PMI_RANK") != nullptr))
            return true;
    }
    return false;
}

#if !ESSAIM_WITH_MPI

bool available() { return false; }
Session::Session(int*, char***) {
    if (launched())
        throw std::runtime_error(
            "started by mpirun among several ranks, but this essaim was built without MPI "
            "(install Debian's libopenmpi-dev and rebuild)");
}
Session::~Session() = default;
int rank() { return 0; }
int size() { return 1; }
void compute(UnitStore* store, const std::vector<std::uint64_t>& missing, int threads,
             const std::function<std::vector<std::uint8_t>(std::uint64_t)>& unit,
             Progress* progress) {
    compute_into(*store, missing, threads, unit, progress);
}
void broadcast(std::vector<std::uint8_t>&) {}

#else

namespace {

bool g_active = false;
enum Tag : int { kRequest = 1, kWork = 2, kResult = 3 };

// A block of ids small enough to balance the ranks, large enough to keep messages rare.
std::size_t block_size(std::size_t remaining, int ranks) {
    return std::clamp<std::size_t>(remaining / (4 * static_cast<std::size_t>(ranks)), 1, 64);
}

// The ids not yet handed out, shared by rank 0's coordinator and its own computing thread.
class Dispenser {
public:
    explicit Dispenser(std::vector<std::uint64_t> ids) : ids_(std::move(ids)) {}
    std::vector<std::uint64_t> take(int ranks) {
        std::lock_guard lock(mutex_);
        const std::size_t n = std::min(block_size(ids_.size() - next_, ranks), ids_.size() - next_);
        std::vector<std::uint64_t> block(ids_.begin() + static_cast<std::ptrdiff_t>(next_),
                                         ids_.begin() + static_cast<std::ptrdiff_t>(next_ + n));
        next_ += n;
        return block;
    }

private:
    std::mutex mutex_;
    std::vector<std::uint64_t> ids_;
    std::size_t next_ = 0;
};

struct Result {
    std::uint64_t id;
    std::vector<std::uint8_t> bytes;
};

// A block computed with TBB inside; each result handed to `done` on the calling thread.
void compute_block(const std::vector<std::uint64_t>& block, int threads,
                   const std::function<std::vector<std::uint8_t>(std::uint64_t)>& unit,
                   const std::function<void(Result&&)>& done) {
    std::vector<std::vector<std::uint8_t> > results(block.size());
    tbb::task_arena arena(effective_threads(threads));
    arena.execute([&] {
        tbb::parallel_for(std::size_t(0), block.size(),
                          [&](std::size_t i) { results[i] = unit(block[i]); });
    });
    for (std::size_t i = 0; i < block.size(); ++i) done({block[i], std::move(results[i])});
}

// A barrier that sleeps while it waits: Open MPI's own barrier (and MPI_Finalize's) spin, and a
// rank spinning while rank 0 stores the last units or reduces them takes a core from it.
void polite_barrier() {
    MPI_Request request;
    MPI_Ibarrier(MPI_COMM_WORLD, &request);
    for (int done = 0;;) {
        MPI_Test(&request, &done, MPI_STATUS_IGNORE);
        if (done) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

[[noreturn]] void abort_job(const std::string& message) {
    std::cerr << "essaim (rank " << rank() << "): " << message << '\n';
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::abort();
}

void work(int threads, const std::function<std::vector<std::uint8_t>(std::uint64_t)>& unit) {
    for (;;) {
        MPI_Send(nullptr, 0, MPI_BYTE, 0, kRequest, MPI_COMM_WORLD);
        MPI_Status status;
        MPI_Probe(0, kWork, MPI_COMM_WORLD, &status);
        int count = 0;
        MPI_Get_count(&status, MPI_UINT64_T, &count);
        std::vector<std::uint64_t> block(static_cast<std::size_t>(count));
        MPI_Recv(block.data(), count, MPI_UINT64_T, 0, kWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (block.empty()) return;
        try {
            compute_block(block, threads, unit, [](Result&& r) {
                std::vector<std::uint8_t> message(sizeof r.id + r.bytes.size());
                std::memcpy(message.data(), &r.id, sizeof r.id);
                std::copy(r.bytes.begin(), r.bytes.end(), message.begin() + sizeof r.id);
                MPI_Send(message.data(), static_cast<int>(message.size()), MPI_BYTE, 0, kResult,
                         MPI_COMM_WORLD);
            });
        } catch (const std::exception& e) {
            abort_job(e.what());
        }
    }
}

void coordinate(UnitStore& store, const std::vector<std::uint64_t>& missing, int threads,
                const std::function<std::vector<std::uint8_t>(std::uint64_t)>& unit,
                Progress* progress) {
    const int ranks = size();
    Dispenser dispenser(missing);
    std::mutex mutex;
    std::deque<Result> local_results;
    std::atomic<bool> local_done{false};
    std::string local_error;
    // Rank 0 computes too, on its own thread; only this (main) thread calls MPI.
    std::thread local([&] {
        try {
            for (auto block = dispenser.take(ranks); !block.empty(); block = dispenser.take(ranks))
                compute_block(block, threads, unit, [&](Result&& r) {
                    std::lock_guard lock(mutex);
                    local_results.push_back(std::move(r));
                });
        } catch (const std::exception& e) {
            std::lock_guard lock(mutex);
            local_error = e.what();
        }
        local_done = true;
    });
    auto store_result = [&](Result&& r) {
        store.put(r.id, r.bytes);
        if (progress) progress->advance();
    };
    int working = ranks - 1;
    std::vector<std::uint8_t> buffer;
    while (working > 0 || !local_done || !local_results.empty()) {
        bool idle = true;
        int flag = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
        if (flag) {
            idle = false;
            if (status.MPI_TAG == kRequest) {
                MPI_Recv(nullptr, 0, MPI_BYTE, status.MPI_SOURCE, kRequest, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
                const auto block = dispenser.take(ranks);
                if (block.empty()) --working;  // an empty block tells the rank to stop
                MPI_Send(block.data(), static_cast<int>(block.size()), MPI_UINT64_T,
                         status.MPI_SOURCE, kWork, MPI_COMM_WORLD);
            } else {
                int count = 0;
                MPI_Get_count(&status, MPI_BYTE, &count);
                buffer.resize(static_cast<std::size_t>(count));
                MPI_Recv(buffer.data(), count, MPI_BYTE, status.MPI_SOURCE, kResult, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
                Result r;
                std::memcpy(&r.id, buffer.data(), sizeof r.id);
                r.bytes.assign(buffer.begin() + sizeof r.id, buffer.end());
                store_result(std::move(r));
            }
        }
        std::deque<Result> ready;
        {
            std::lock_guard lock(mutex);
            ready.swap(local_results);
            if (!local_error.empty()) {
                store.commit();
                abort_job(local_error);
            }
        }
        for (auto& r : ready) store_result(std::move(r));
        if (!ready.empty()) idle = false;
        if (idle) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    local.join();
    store.commit();
}

}  // namespace

bool available() { return true; }

Session::Session(int* argc, char*** argv) {
    if (!launched()) return;
    int provided = 0;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    g_active = true;
}

Session::~Session() {
    if (g_active) {
        polite_barrier();  // the other ranks wait here while rank 0 reduces and writes
        MPI_Finalize();
    }
    g_active = false;
}

int rank() {
    int r = 0;
    if (g_active) MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int size() {
    int n = 1;
    if (g_active) MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}

void compute(UnitStore* store, const std::vector<std::uint64_t>& missing, int threads,
             const std::function<std::vector<std::uint8_t>(std::uint64_t)>& unit,
             Progress* progress) {
    if (size() == 1) {
        compute_into(*store, missing, threads, unit, progress);
        return;
    }
    if (rank() == 0)
        coordinate(*store, missing, threads, unit, progress);
    else
        work(threads, unit);
    polite_barrier();
}

void broadcast(std::vector<std::uint8_t>& bytes) {
    if (size() == 1) return;
    std::uint64_t n = bytes.size();
    MPI_Bcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    bytes.resize(n);
    // In pieces below INT_MAX bytes: MPI counts are ints.
    constexpr std::uint64_t kPiece = 1u << 30;
    for (std::uint64_t at = 0; at < n; at += kPiece)
        MPI_Bcast(bytes.data() + at, static_cast<int>(std::min(kPiece, n - at)), MPI_BYTE, 0,
                  MPI_COMM_WORLD);
}

#endif

}  // namespace essaim::experiment::distributed
