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
#include "sim/output_file.hpp"
#include "sim/toml_document.hpp"
#include "apps/cli_common.hpp"
#include "apps/table.hpp"
#include "essaim_commit.hpp"
#include "models/dest1/memory_estimate.hpp"
#include "models/dest1/output_hdf5.hpp"
#include "models/dest1/rollout.hpp"
#include "models/dest1/run.hpp"
#include "models/dest1/scenario_toml.hpp"
#include "models/dest1/spending.hpp"

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
        << cell(result.rollout_max_run_rate, 0) << " EUR";
    if (scenario.rollout.budget_per_year > 0)
        out << ", budget " << cell(scenario.rollout.budget_per_year, 0) << " EUR a year";
    out << "):\n";
    if (const auto nothing = dest1::budget_opens_nothing(scenario))
        out << "Nothing could open: " << *nothing << ".\n";
    Table table({{"territory", Table::Align::left},
                 {"opens", Table::Align::left},
                 {"wave", Table::Align::right},
                 {"why", Table::Align::left}});
    for (const auto& d : result.rollout) {
        if (!scenario.territories[d.territory].candidate) continue;
        table.add_row({scenario.territories[d.territory].name,
                       d.open ? to_iso(*d.open) : "not opened",
                       d.wave >= 0 ? std::to_string(d.wave) : "-", d.reason});
    }
    table.print(out);
}

void print_kpi_table(std::ostream& out, const dest1::Scenario& scenario,
                     const dest1::RunResult& result) {
    using namespace dest1;
    Table table({{"territory", Table::Align::left},
                 {"entries"},
                 {"jobs"},
                 {"positive"},
                 {"pos.rate"},
                 {"days->job"},
                 {"util."},
                 {"EUR/pos.exit"}});
    auto row = [&](const std::string& name, const KpiValues& k) {
        table.add_row({name, cell(k[kKpiEntries], 0), cell(k[kKpiJobStarts], 0),
                       cell(k[kKpiExitsPositive], 0), cell(k[kKpiPositiveExitRate], 3),
                       cell(k[kKpiMeanDaysToFirstJob], 1), cell(k[kKpiCapacityUtilisation], 3),
                       cell(k[kKpiCostPerPositiveExit], 0)});
    };
    for (std::size_t t = 0; t < scenario.territories.size(); ++t)
        row(scenario.territories[t].name, result.territory_kpis[t]);
    table.add_rule();
    row("total", result.total_kpis);
    table.print(out);
}

// Spending per calendar year; with a budget, each year's share of it and whether coaches and hubs
// went over.
void print_spending(std::ostream& out, const dest1::Scenario& scenario,
                    const std::vector<dest1::YearSpending>& years) {
    const double budget = scenario.rollout.budget_per_year;
    out << "\nSpending by calendar year (EUR)";
    if (budget > 0)
        out << "; budget: rollout.budget_per_year " << cell(budget, 0)
            << " x days / 365, for coaches and hubs (solutions are not budgeted)";
    out << ":\n";
    std::vector<Table::Column> columns{
        {"year", Table::Align::left}, {"days"}, {"coaches"}, {"hubs"}, {"solutions"}, {"total"}};
    if (budget > 0) {
        columns.push_back({"coaches+hubs"});
        columns.push_back({"budget"});
        columns.push_back({"over budget", Table::Align::left});
    }
    Table table(columns);
    int over = 0;
    for (const auto& y : years) {
        std::vector<std::string> cells{std::to_string(y.year), std::to_string(y.days),
                                       cell(y.coaches, 0),     cell(y.hubs, 0),
                                       cell(y.solutions, 0),   cell(y.total(), 0)};
        if (budget > 0) {
            cells.push_back(cell(y.coaches + y.hubs, 0));
            cells.push_back(cell(y.budget, 0));
            cells.push_back(y.over_budget ? "yes" : "no");
        }
        over += y.over_budget;
        table.add_row(cells);
    }
    table.print(out);
    if (over > 0)
        out << "Over budget in " << over << " of " << years.size()
            << " years: coaches and hubs cost more than the year's share of " << cell(budget, 0)
            << " EUR.\n";
}

void print_summary(std::ostream& out, const dest1::Scenario& scenario,
                   const dest1::RunResult& result, std::uint64_t seed, std::uint64_t replication) {
    using namespace dest1;
    out << "Scenario " << scenario.name << ": " << to_iso(scenario.start) << " .. "
        << to_iso(scenario.end) << ", seed " << seed << ", replication " << replication << "\n\n";
    print_kpi_table(out, scenario, result);
    const KpiValues& k = result.total_kpis;
    out << "\nidentified " << cell(k[kKpiIdentified], 0) << ", gave up " << cell(k[kKpiGaveUp], 0)
        << ", dropouts " << cell(k[kKpiDropouts], 0) << ", neutral exits "
        << cell(k[kKpiExitsNeutral], 0) << "; median days to first job "
        << cell(k[kKpiMedianDaysToFirstJob], 1) << ", job within 90 days "
        << cell(k[kKpiShareJobWithin90d], 3) << "; entrants with a job "
        << cell(k[kKpiEntrantsWithJob], 0) << " (" << cell(k[kKpiShareEntrantsWithJob], 3)
        << "); employed 6 / 12 months after exit "
        << cell(k[kKpiEmployed6mAfterExit], 3) << " / " << cell(k[kKpiEmployed12mAfterExit], 3)
        << "; mean wait " << cell(k[kKpiMeanWaitingDays], 1) << " days; total cost "
        << cell(k[kKpiTotalCost], 0) << " EUR, " << cell(k[kKpiCostPerEntry], 0)
        << " EUR per entry\n";
}

nlohmann::ordered_json spending_json(const std::vector<dest1::YearSpending>& years) {
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (const auto& y : years)
        array.push_back({{"year", y.year},
                         {"days", y.days},
                         {"coaches", y.coaches},
                         {"hubs", y.hubs},
                         {"solutions", y.solutions},
                         {"total", y.total()},
                         {"budget", y.budget > 0 ? nlohmann::ordered_json(y.budget)
                                                 : nlohmann::ordered_json(nullptr)},
                         {"over_budget", y.over_budget}});
    return array;
}

nlohmann::ordered_json rollout_json(const dest1::Scenario& scenario,
                                    const dest1::RunResult& result) {
    nlohmann::ordered_json rollout = nlohmann::ordered_json::array();
    for (const auto& d : result.rollout)
        rollout.push_back({{"territory", scenario.territories[d.territory].name},
                           {"open", d.open ? nlohmann::ordered_json(to_iso(*d.open))
                                           : nlohmann::ordered_json(nullptr)},
                           {"wave", d.wave},
                           {"reason", d.reason}});
    return rollout;
}

// A budget only candidates can use: without any, it changes nothing but the spending flags.
void warn_about_budget(const dest1::Scenario& scenario) {
    if (scenario.rollout.budget_per_year > 0 && !has_candidates(scenario))
        std::cerr << "essaim run: warning: rollout.budget_per_year ("
                  << cell(scenario.rollout.budget_per_year, 0)
                  << " EUR) has no effect on openings: the scenario has no candidate territory "
                     "(candidate = true); it only flags the years that spend more\n";
}

}  // namespace

int run_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim run SCENARIO [-o FILE] [--seed N] [--replication N] [--threads N]\n"
        "                  [--set key.path=value]... [--agents] [--json] [--quiet]\n"
        "                  [--max-memory GIB]\n\n"
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
        "quiet,q", "no progress or diagnostics on stderr")(
        "engine", po::value<std::string>()->default_value("event"),
        "event (exact event clocks, the default) or daily (one draw per agent and day, the "
        "engine of essaim 0.1); the same process in distribution");
    add_max_memory_option(options);
    po::variables_map vm;
    if (!parse(args, options, usage, vm)) return kOk;
    const std::string engine = vm["engine"].as<std::string>();
    if (engine != "event" && engine != "daily")
        throw UsageError("--engine: expected event or daily, got '" + engine + "'");
    const std::uint64_t memory_limit = memory_limit_bytes(vm);

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
    run_options.engine = engine == "daily" ? dest1::Engine::daily : dest1::Engine::event;
    if (run_options.threads < 1) throw UsageError("--threads must be at least 1");
    const bool quiet = vm.count("quiet") > 0;

    const std::string output =
        vm.count("no-output") ? std::string() : output_path(vm, scenario.name + ".h5");
    const bool replacing = !output.empty() && output::exists(output);
    check_memory(dest1::estimate_run_bytes(scenario, run_options.record_agents), memory_limit,
                 "run");
    if (!quiet) warn_about_budget(scenario);

    const dest1::RunResult result = dest1::run(scenario, run_options);
    const std::vector<dest1::YearSpending> spending =
        dest1::spending_by_year(scenario, result.series, result.rollout);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    if (!output.empty()) {
        dest1::RunManifest manifest =
            make_manifest("run", args, run_options.seed, run_options.threads, started_at);
        manifest.replication = run_options.replication;
        manifest.wall_seconds = wall;
        manifest.engine = engine;
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
            json["rollout"] = rollout_json(scenario, result);
            json["rollout_max_run_rate"] = result.rollout_max_run_rate;
            const auto nothing = dest1::budget_opens_nothing(scenario);
            json["rollout_budget_opens_nothing"] =
                nothing ? nlohmann::ordered_json(*nothing) : nlohmann::ordered_json(nullptr);
        }
        json["budget_per_year"] = scenario.rollout.budget_per_year;
        json["spending"] = spending_json(spending);
        std::cout << json.dump() << '\n';
    } else {
        print_summary(std::cout, scenario, result, run_options.seed, run_options.replication);
        if (has_candidates(scenario)) print_rollout(std::cout, scenario, result);
        print_spending(std::cout, scenario, spending);
    }
    if (!output.empty()) report_written(output, replacing, quiet);
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
        "json", "print one JSON object on stdout")("quiet,q", "nothing on stderr but the error");
    po::variables_map vm;
    if (!parse(args, options, usage, vm)) return kOk;
    const std::string path = vm["scenario"].as<std::string>();
    const std::vector<std::string> overrides = overrides_of(vm);
    if (vm.count("json")) {
        nlohmann::ordered_json json;
        json["file"] = printable(path);  // a path need not be UTF-8; JSON must be
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
