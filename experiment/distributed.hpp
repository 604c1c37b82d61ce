#pragma once
// Running the units of one command over MPI ranks (`mpirun -np N essaim ensemble ...`): rank 0
// hands out blocks of unit ids on request, computes blocks itself too, and puts every result into
// the unit store; the other ranks compute the blocks they are given (with TBB threads inside) and
// send the results back. Results never depend on the number of ranks: the store is keyed by unit
// id and the reduction reads it in id order, on rank 0.
//
// Built with MPI when CMake finds it (ESSAIM_WITH_MPI); without mpirun the binary runs as a
// single process and never initialises MPI.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "experiment/unit_store.hpp"

namespace essaim {
class Progress;
}

namespace essaim::experiment::distributed {

// Whether this process was started by mpirun (or srun) among several ranks: read from the
// launcher's environment, before MPI is initialised.
bool launched();
// Whether this binary can run under MPI.
bool available();

// MPI_Init on construction (when launched()), MPI_Finalize on destruction. One per process.
class Session {
public:
    Session(int* argc, char*** argv);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
};

int rank();  // 0 without MPI
int size();  // 1 without MPI

// Computes every unit of `missing` (known on rank 0 only; ignored elsewhere) over all ranks.
// On rank 0 the results go into `store`; `progress` (rank 0) advances once per stored unit.
// Returns on every rank once all units are stored. A failing unit aborts the whole job
// (MPI_Abort) after rank 0 has committed what it holds.
void compute(UnitStore* store, const std::vector<std::uint64_t>& missing, int threads,
             const std::function<std::vector<std::uint8_t>(std::uint64_t)>& unit,
             Progress* progress);

// Rank 0's `bytes` on every rank (nothing to do without MPI): the results a sequential algorithm
// (a calibration's generations) needs on every rank to decide its next units identically.
void broadcast(std::vector<std::uint8_t>& bytes);

}  // namespace essaim::experiment::distributed
