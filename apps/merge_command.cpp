// `essaim merge PART... -o FILE`: the result file of an experiment computed in shards
// (`--shard k/K` in job arrays), equal to the file one process gives.
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "apps/cli.hpp"
#include "apps/cli_common.hpp"
#include "apps/models.hpp"
#include "apps/unit_stores.hpp"
#include "experiment/ensemble.hpp"
#include "experiment/executor.hpp"
#include "experiment/sensitivity_analysis.hpp"
#include "experiment/sweep.hpp"

namespace essaim::cli {
namespace po = boost::program_options;

namespace {

struct Part {
    std::string path;
    experiment::UnitStore store;
    std::uint64_t shard = 0, shards = 0;
};

std::uint64_t meta_number(const Part& part, const char* key) {
    const auto it = part.store.meta().find(key);
    if (it == part.store.meta().end())
        throw UsageError(part.path + ": not a partial file of `--shard` (no " + key + ")");
    return std::stoull(it->second);
}

// Every part of the same experiment, each shard k of K exactly once, each complete.
std::vector<Part> open_parts(const std::vector<std::string>& paths) {
    std::vector<Part> parts;
    for (const auto& path : paths) {
        try {
            Part part{path, experiment::UnitStore::open(path)};
            part.shard = meta_number(part, "shard");
            part.shards = meta_number(part, "shards");
            parts.push_back(std::move(part));
        } catch (const experiment::StoreError& e) {
            throw UsageError(e.what());
        }
    }
    const Part& first = parts.front();
    std::map<std::uint64_t, std::string> by_shard;
    for (const Part& part : parts) {
        if (part.store.meta().at("fingerprint") != first.store.meta().at("fingerprint"))
            throw UsageError(part.path + " is a part of another experiment than " + first.path +
                             " (a different scenario, seed, design or version)");
        if (part.shards != first.shards)
            throw UsageError(part.path + " is shard " + std::to_string(part.shard) + "/" +
                             std::to_string(part.shards) + ", but " + first.path + " is one of " +
                             std::to_string(first.shards));
        const auto [it, inserted] = by_shard.emplace(part.shard, part.path);
        if (!inserted)
            throw UsageError(part.path + " and " + it->second + " are both shard " +
                             std::to_string(part.shard) + "/" + std::to_string(part.shards));
    }
    std::string missing;
    for (std::uint64_t k = 1; k <= first.shards; ++k)
        if (!by_shard.count(k))
            missing += (missing.empty() ? "" : ", ") + std::to_string(k) + "/" +
                       std::to_string(first.shards);
    if (!missing.empty()) throw UsageError("missing part(s): shard " + missing);
    return parts;
}

void check_complete(const std::vector<Part>& parts, std::uint64_t units) {
    for (const Part& part : parts) {
        const auto missing =
            experiment::missing_units(units, part.store.ids(), part.shard, part.shards);
        if (!missing.empty())
            throw UsageError(part.path + " (shard " + std::to_string(part.shard) + "/" +
                             std::to_string(part.shards) + ") lacks " +
                             std::to_string(missing.size()) +
                             " of its units: finish it with the same command and --resume");
    }
}

}  // namespace

int merge_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim merge PART... -o FILE [--threads N] [--json] [--quiet]\n\n"
        "Writes the result file of an ensemble or sweep computed in shards (`--shard k/K -o PART`\n"
        "of each job of an array): the same file one process gives. Every shard must be there\n"
        "once, complete, and of the same experiment (docs/HPC.md).";
    po::options_description options("Options");
    options.add_options()("help,h", "this help")("output,o", po::value<std::string>(),
                                                 "the result file to write")(
        "threads", po::value<int>()->default_value(1), "threads for the statistics")(
        "json", "print one JSON object on stdout")("quiet,q", "nothing on stderr")(
        "part", po::value<std::vector<std::string>>(), "partial files");
    po::positional_options_description positional;
    positional.add("part", -1);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
        std::cout << usage << '\n' << options;
        return kOk;
    }
    if (!vm.count("part")) throw UsageError("missing PART...: the partial files to merge");
    if (!vm.count("output")) throw UsageError("missing -o FILE");
    const std::string output = vm["output"].as<std::string>();
    check_output_path(output, vm["part"].as<std::vector<std::string>>());
    const bool replacing = std::filesystem::exists(output);
    const bool quiet = vm.count("quiet") > 0;
    std::vector<Part> parts = open_parts(vm["part"].as<std::vector<std::string>>());
    const auto& meta = parts.front().store.meta();
    const auto find = [](const std::string& name) { return models().find(name); };
    // Shard k holds the units whose id is k - 1 modulo K.
    std::vector<const Part*> holder(parts.size());
    for (const Part& part : parts) holder[part.shard - 1] = &part;
    auto from_parts = [&](std::uint64_t id) { return holder[id % holder.size()]->store.get(id); };
    const int threads = vm["threads"].as<int>();
    nlohmann::ordered_json json{
        {"kind", meta.at("kind")}, {"parts", parts.size()}, {"output", output}};
    // Seed and engine are the experiment's (every kind's store records them).
    experiment::Manifest manifest =
        make_manifest("merge", args, meta.count("seed") ? std::stoull(meta.at("seed")) : 0, threads,
                      now_utc_iso());
    manifest.engine = meta.count("engine") ? meta.at("engine") : "";
    try {
        if (meta.count("sa_method")) {
            experiment::SensitivityAnalysis sa = experiment::analysis_of_store(meta, find);
            check_complete(parts, sa.sweep().units());
            sa.write(output, sa.analyse(from_parts), manifest);
            json["kind"] = "sa";
            json["rows"] = sa.design().rows();
        } else if (meta.at("kind") == "ensemble") {
            experiment::Ensemble ensemble = experiment::ensemble_of_store(meta, find);
            check_complete(parts, ensemble.units());
            const auto result = ensemble.reduce(from_parts, output, manifest);
            json["replications"] = result.replications;
        } else {
            experiment::Sweep sweep = experiment::sweep_of_store(meta, find);
            check_complete(parts, sweep.units());
            const auto result = sweep.reduce(from_parts, output, manifest);
            json["points"] = result.points;
            json["replications"] = result.replications;
        }
    } catch (const experiment::StoreError& e) {
        throw UsageError(e.what());
    }
    if (vm.count("json"))
        std::cout << json.dump() << '\n';
    else
        std::cout << "merged " << parts.size() << " parts ("
                  << (meta.count("sa_method") ? "sensitivity analysis" : meta.at("kind"))
                  << ") into " << output << '\n';
    report_written(output, replacing, quiet);
    return kOk;
}

}  // namespace essaim::cli
