// `essaim run` and `essaim validate`.
#include <oneapi/tbb/version.h>

#include <boost/program_options.hpp>
#include <boost/version.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "apps/cli.hpp"
#include "apps/cli_common.hpp"
#include "essaim_commit.hpp"
#include "models/dest1/output_hdf5.hpp"
#include "models/dest1/run.hpp"
#include "models/dest1/scenario_toml.hpp"

namespace essaim::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

std::string version_string() {
    std::ostringstream out;
    out << "essaim " << ESSAIM_VERSION << " (commit " << ESSAIM_GIT_COMMIT << ")\n"
        << "boost " << BOOST_VERSION / 100000 << '.' << BOOST_VERSION / 100 % 1000 << '.'
        << BOOST_VERSION % 100 << ", oneTBB " << TBB_VERSION_MAJOR << '.' << TBB_VERSION_MINOR
        << ", Random123 Philox4x64-10, compiler "
#if defined(__clang__)
        << __VERSION__;
#else
        << "GCC " << __VERSION__;
#endif
    return out.str();
}

namespace {

bool has_candidates(const dest1::Scenario& scenario) {
    for (const auto& t : scenario.territories)
        if (t.candidate) return true;
    return false;
}

// Which candidate territories opened when, and why (essaimage runs only).
void print_rollout(std::ostream& out, const dest1::Scenario& scenario,
                   const dest1::RunResult& result) {
    out << "\nRoll-out (highest yearly run-rate of coaches and hubs: "
        << cell(result.rollout_max_run_rate, 0) << " EUR):\n";
    for (const auto& d : result.rollout) {
        if (!scenario.territories[d.territory].candidate) continue;
        out << "  " << fit(scenario.territories[d.territory].name, 21) << ' '
            << (d.open ? to_iso(*d.open) : "not opened") << "  " << d.reason << '\n';
    }
}

void print_summary(std::ostream& out, const dest1::Scenario& scenario,
                   const dest1::RunResult& result, std::uint64_t seed, std::uint64_t replication) {
    using namespace dest1;
    out << "Scenario " << scenario.name << ": " << to_iso(scenario.start) << " .. "
        << to_iso(scenario.end) << ", seed " << seed << ", replication " << replication << "\n\n";
    out << std::left << std::setw(22) << "territory" << std::right << std::setw(9) << "entries"
        << std::setw(8) << "jobs" << std::setw(10) << "positive" << std::setw(10) << "pos.rate"
        << std::setw(11) << "days->job" << std::setw(8) << "util." << std::setw(14)
        << "EUR/pos.exit" << '\n';
    auto row = [&](const std::string& name, const KpiValues& k) {
        out << fit(name, 21) << ' ' << std::setw(9) << cell(k[kKpiEntries], 0) << std::setw(8)
            << cell(k[kKpiJobStarts], 0) << std::setw(10) << cell(k[kKpiExitsPositive], 0)
            << std::setw(10) << cell(k[kKpiPositiveExitRate], 3) << std::setw(11)
            << cell(k[kKpiMeanDaysToFirstJob], 1) << std::setw(8)
            << cell(k[kKpiCapacityUtilisation], 3) << std::setw(14)
            << cell(k[kKpiCostPerPositiveExit], 0) << '\n';
    };
    for (std::size_t t = 0; t < scenario.territories.size(); ++t)
        row(scenario.territories[t].name, result.territory_kpis[t]);
    out << std::string(92, '-') << '\n';
    row("total", result.total_kpis);
    const KpiValues& k = result.total_kpis;
    out << "\nidentified " << cell(k[kKpiIdentified], 0) << ", gave up " << cell(k[kKpiGaveUp], 0)
        << ", dropouts " << cell(k[kKpiDropouts], 0) << ", neutral exits "
        << cell(k[kKpiExitsNeutral], 0) << "; median days to first job "
        << cell(k[kKpiMedianDaysToFirstJob], 1) << ", job within 90 days "
        << cell(k[kKpiShareJobWithin90d], 3) << "; employed 6 / 12 months after exit "
        << cell(k[kKpiEmployed6mAfterExit], 3) << " / " << cell(k[kKpiEmployed12mAfterExit], 3)
        << "; mean wait " << cell(k[kKpiMeanWaitingDays], 1) << " days; total cost "
        << cell(k[kKpiTotalCost], 0) << " EUR, " << cell(k[kKpiCostPerEntry], 0)
        << " EUR per entry\n";
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim run SCENARIO [-o FILE] [--seed N] [--replication N] [--threads N]\n"
        "                  [--set key.path=value]... [--agents] [--json] [--quiet]\n\n"
        "Runs one replication of SCENARIO, prints a per-territory summary (or, with --json, one\n"
        "JSON object of run KPIs) and writes the HDF5 file (schema: docs/OUTPUT.md).";
    po::options_description options("Options");
    options.add_options()("help,h", "this help")(
        "output,o", po::value<std::string>(),
        "HDF5 file to write (default results/<scenario name>.h5)")(
        "no-output", "do not write an HDF5 file")("seed", po::value<std::uint64_t>(),
                                                  "random seed (default: the scenario's seed)")(
        "replication", po::value<std::uint64_t>()->default_value(0), "replication number")(
        "threads", po::value<int>()->default_value(1), "threads (results do not depend on it)")(
        "set", po::value<std::vector<std::string>>()->composing(),
        "override a scenario key, e.g. --set parcours.caseload=25 (repeatable)")(
        "agents", "also write the per-agent table")(
        "json", "print one JSON object of KPIs on stdout instead of the summary")(
        "quiet,q", "no progress or diagnostics on stderr");
    po::variables_map vm;
    if (!parse(args, options, usage, vm)) return kOk;

    const auto started = std::chrono::steady_clock::now();
    const std::string started_at = now_utc_iso();
    const dest1::Scenario scenario =
        dest1::load_scenario(vm["scenario"].as<std::string>(), overrides_of(vm));

    dest1::RunOptions run_options;
    run_options.seed = vm.count("seed") ? vm["seed"].as<std::uint64_t>() : scenario.seed;
    run_options.replication = vm["replication"].as<std::uint64_t>();
    run_options.threads = vm["threads"].as<int>();
    run_options.record_agents = vm.count("agents") > 0;
    run_options.progress = vm.count("quiet") == 0;
    if (run_options.threads < 1) throw UsageError("--threads must be at least 1");
    const bool quiet = vm.count("quiet") > 0;

    const std::string output =
        vm.count("no-output") ? std::string() : output_path(vm, scenario.name + ".h5");

    const dest1::RunResult result = dest1::run(scenario, run_options);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    if (!output.empty()) {
        dest1::RunManifest manifest =
            make_manifest("run", args, run_options.seed, run_options.threads, started_at);
        manifest.replication = run_options.replication;
        manifest.wall_seconds = wall;
        dest1::write_run_hdf5(output, scenario, result, manifest);
    }

    if (vm.count("json")) {
        nlohmann::ordered_json json;
        json["scenario"] = scenario.name;
        json["seed"] = run_options.seed;
        json["replication"] = run_options.replication;
        json["output"] =
            output.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(output);
        json["total"] = kpi_json(result.total_kpis);
        nlohmann::ordered_json territories = nlohmann::ordered_json::object();
        for (std::size_t t = 0; t < scenario.territories.size(); ++t)
            territories[scenario.territories[t].name] = kpi_json(result.territory_kpis[t]);
        json["territories"] = territories;
        if (has_candidates(scenario)) {
            nlohmann::ordered_json rollout = nlohmann::ordered_json::array();
            for (const auto& d : result.rollout)
                rollout.push_back({{"territory", scenario.territories[d.territory].name},
                                   {"open", d.open ? nlohmann::ordered_json(to_iso(*d.open))
                                                   : nlohmann::ordered_json(nullptr)},
                                   {"wave", d.wave},
                                   {"reason", d.reason}});
            json["rollout"] = rollout;
            json["rollout_max_run_rate"] = result.rollout_max_run_rate;
        }
        std::cout << json.dump() << '\n';
    } else {
        print_summary(std::cout, scenario, result, run_options.seed, run_options.replication);
        if (has_candidates(scenario)) print_rollout(std::cout, scenario, result);
    }
    if (!quiet && !output.empty()) std::cerr << "wrote " << output << '\n';
    return kOk;
}

int validate_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim validate SCENARIO [--set key.path=value]... [--json]\n\n"
        "Checks SCENARIO (after `extends` and overrides) against the schema of docs/SCENARIOS.md.\n"
        "Exit code 0 when valid, 2 with a message naming file, line:column and key otherwise.";
    po::options_description options("Options");
    options.add_options()("help,h", "this help")(
        "set", po::value<std::vector<std::string>>()->composing(), "override a scenario key")(
        "json", "print one JSON object on stdout");
    po::variables_map vm;
    if (!parse(args, options, usage, vm)) return kOk;
    const std::string path = vm["scenario"].as<std::string>();
    const std::vector<std::string> overrides = overrides_of(vm);
    if (vm.count("json")) {
        nlohmann::ordered_json json;
        json["file"] = path;
        try {
            const dest1::Scenario scenario = dest1::load_scenario(path, overrides);
            json["valid"] = true;
            json["name"] = scenario.name;
            json["territories"] = scenario.territories.size();
            std::cout << json.dump() << '\n';
            return kOk;
        } catch (const dest1::ScenarioError& e) {
            json["valid"] = false;
            json["error"] = {{"file", e.file()},
                             {"line", e.line()},
                             {"column", e.column()},
                             {"key", e.key()},
                             {"message", e.message()}};
            std::cout << json.dump() << '\n';
            std::cerr << "essaim: " << e.what() << '\n';
            return kBadInput;
        }
    }
    const dest1::Scenario scenario = dest1::load_scenario(path, overrides);
    std::cout << path << ": valid (" << scenario.name << ", " << scenario.territories.size()
              << " territories, " << to_iso(scenario.start) << " .. " << to_iso(scenario.end)
              << ")\n";
    return kOk;
}

}  // namespace essaim::cli
