#include "apps/unit_stores.hpp"

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/cli.hpp"
#include "sim/interrupt.hpp"

namespace essaim::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

void add_store_options(po::options_description& options) {
    options.add_options()(
        "store", po::value<std::string>(),
        "unit store: every finished unit is kept there until the output is written (default: "
        "OUTPUT.units; in memory with --no-output)")(
        "resume",
        "continue the store of an interrupted run of the same command: only the "
        "missing units are computed")(
        "shard", po::value<std::string>(),
        "k/K: compute shard k of K (the units whose id is k-1 modulo K) into the partial file "
        "-o, for `essaim merge`");
}

namespace {

std::pair<std::uint64_t, std::uint64_t> parse_shard(const std::string& text) {
    const auto slash = text.find('/');
    try {
        if (slash != std::string::npos &&
            text.find_first_not_of("0123456789/") == std::string::npos) {
            const std::uint64_t k = std::stoull(text.substr(0, slash)),
                                n = std::stoull(text.substr(slash + 1));
            if (k >= 1 && k <= n && n <= 1000000) return {k, n};
        }
    } catch (const std::exception&) {
    }
    throw UsageError("--shard: expected k/K with 1 <= k <= K (e.g. 2/8), got '" + text + "'");
}

}  // namespace

StorePlan store_plan(const po::variables_map& vm, const std::string& output) {
    StorePlan plan;
    plan.resume = vm.count("resume") > 0;
    if (vm.count("shard")) {
        std::tie(plan.shard, plan.shards) = parse_shard(vm["shard"].as<std::string>());
        plan.partial = true;
        if (output.empty()) throw UsageError("--shard needs -o PART: the partial file to write");
        if (vm.count("store"))
            throw UsageError("--shard writes its units to -o; --store is not used");
        plan.path = output;
        return plan;
    }
    if (vm.count("store"))
        plan.path = vm["store"].as<std::string>();
    else
        plan.path = output.empty() ? ":memory:" : output + ".units";
    if (plan.resume && plan.path == ":memory:")
        throw UsageError("--resume needs a store on disk: give -o FILE or --store PATH");
    return plan;
}

experiment::UnitStore open_store(const StorePlan& plan,
                                 const std::map<std::string, std::string>& meta) {
    if (plan.path == ":memory:") return experiment::UnitStore::create(plan.path, meta);
    interrupt::add_store(plan.path);
    const bool exists = fs::exists(fs::symlink_status(plan.path));
    if (exists && !plan.resume)
        throw UsageError("unit store '" + plan.path +
                         "' exists, left by an interrupted run: add --resume to continue it, or "
                         "remove it to start again");
    if (!exists) {
        if (plan.resume)
            std::cerr << "essaim: no unit store at '" << plan.path
                      << "': nothing to resume, every unit is computed\n";
        return experiment::UnitStore::create(plan.path, meta);
    }
    experiment::UnitStore store = [&] {
        try {
            return experiment::UnitStore::open(plan.path);
        } catch (const experiment::StoreError& e) {
            throw UsageError(std::string(e.what()) + ": it cannot be resumed");
        }
    }();
    auto differs = [&](const char* key) {
        const auto a = store.meta().find(key), b = meta.find(key);
        return (a == store.meta().end()) != (b == meta.end()) ||
               (a != store.meta().end() && a->second != b->second);
    };
    if (differs("fingerprint")) {
        std::string what;
        for (const char* key :
             {"kind", "model", "scenario_text", "seed", "replications", "points", "essaim_version"})
            if (differs(key)) what += std::string(what.empty() ? "" : ", ") + key;
        throw UsageError("unit store '" + plan.path + "' belongs to another experiment (" +
                         (what.empty() ? std::string("what it records") : what) +
                         " differ): it cannot be resumed by this command");
    }
    if (differs("shard") || differs("shards"))
        throw UsageError("unit store '" + plan.path + "' holds shard " + store.meta().at("shard") +
                         "/" + store.meta().at("shards") + ", not " + std::to_string(plan.shard) +
                         "/" + std::to_string(plan.shards));
    return store;
}

void remove_store(const std::string& path) {
    if (path == ":memory:") return;
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix, ignored);
}

// After a shard: what is in its partial file, and how to finish.
void report_shard(const experiment::UnitStore& store, const StorePlan& plan, bool json,
                  bool quiet) {
    if (json) {
        std::cout << nlohmann::ordered_json{{"shard", plan.shard},
                                            {"shards", plan.shards},
                                            {"units", store.size()},
                                            {"output", plan.path}}
                         .dump()
                  << '\n';
        return;
    }
    std::cout << "shard " << plan.shard << "/" << plan.shards << ": " << store.size()
              << " units in " << plan.path << '\n';
    if (!quiet)
        std::cerr << "merge the " << plan.shards
                  << " partial files with `essaim merge PART... -o FILE`\n";
}

}  // namespace essaim::cli
