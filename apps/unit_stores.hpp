#pragma once
// Where an experiment command keeps its unit results (docs/HPC.md): a store beside the output
// (`OUTPUT.units`), removed once the output is written; --resume continues a store left by an
// interrupted run; --shard k/K computes one shard into a partial file for `essaim merge`.
#include <boost/program_options.hpp>
#include <cstdint>
#include <map>
#include <string>

#include "experiment/unit_store.hpp"

namespace essaim::cli {

struct StorePlan {
    std::string path;  // ":memory:" when there is nothing to keep
    bool resume = false;
    std::uint64_t shard = 1, shards = 1;
    bool partial = false;  // --shard given (even 1/1): write the partial file, not the result
    bool sharded() const { return partial; }
};

// --store, --resume and --shard, for the commands that compute units.
void add_store_options(boost::program_options::options_description& options);

// The store of a command writing `output` ("" with --no-output): --store PATH if given, else
// OUTPUT.units, else in memory; with --shard the partial file is `output` itself.
StorePlan store_plan(const boost::program_options::variables_map& vm, const std::string& output);

// Opens the store of `plan` for an experiment whose store meta is `meta`: created when absent;
// with --resume an existing one is continued if it belongs to the same experiment (same
// fingerprint and shard), refused (UsageError naming what differs) otherwise; without --resume an
// existing one is refused, saying how to continue it.
experiment::UnitStore open_store(const StorePlan& plan,
                                 const std::map<std::string, std::string>& meta);

// After a shard: what its partial file holds (one JSON object with `json`), and, on stderr unless
// quiet, how to finish.
void report_shard(const experiment::UnitStore& store, const StorePlan& plan, bool json, bool quiet);

// Removes a store file and SQLite's companions (-wal, -shm) once its units are in the output.
void remove_store(const std::string& path);

}  // namespace essaim::cli
