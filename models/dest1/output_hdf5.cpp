#include "models/dest1/output_hdf5.hpp"

#include <oneapi/tbb/version.h>

#include <boost/version.hpp>
// Only the version macros: the full toml++ header would add seconds to every build of this file.
#if __has_include(<toml++/impl/version.h>)
#include <toml++/impl/version.h>
#else
#include <toml++/toml.h>
#endif

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "models/dest1/spending.hpp"
#include "sim/calendar.hpp"
#include "sim/hdf5_file.hpp"
#include "sim/sha256.hpp"
#include "sim/variable_attributes.hpp"

#define ESSAIM_STRINGIFY_(x) #x
#define ESSAIM_STRINGIFY(x) ESSAIM_STRINGIFY_(x)

namespace essaim::dest1 {
namespace {

template <std::size_t N>
std::vector<std::string> names_of(const std::array<const char*, N>& names) {
    return {names.begin(), names.end()};
}

}  // namespace

hdf5::Group write_manifest(const hdf5::Group& root, const Scenario& scenario,
                           const RunManifest& manifest, const Calendar& calendar,
                           bool record_agents) {
    hdf5::Group group = root.create_group("manifest");
    group.set_attr_string("essaim_version", manifest.essaim_version);
    group.set_attr_string("git_commit", manifest.git_commit);
    group.set_attr_int("schema_version", kOutputSchemaVersion);
    group.set_attr_string("command_line", manifest.command_line);
    group.set_attr_string("model", scenario.model);
    group.set_attr_string("scenario_name", scenario.name);
    group.set_attr_string("scenario_path", scenario.source_path);
    group.set_attr_string("scenario_text", scenario.source_text);
    group.set_attr_string("scenario_sha256", sha256_hex(scenario.source_text));
    group.set_attr_uint("seed", manifest.seed);
    group.set_attr_string("engine", manifest.engine.empty() ? "event" : manifest.engine);
    group.set_attr_uint("replication", manifest.replication);
    group.set_attr_int("threads", manifest.threads);
    group.set_attr_int("record_agents", record_agents ? 1 : 0);
    group.set_attr_string("started_at", manifest.started_at);
    group.set_attr_double("wall_seconds", manifest.wall_seconds);
    group.set_attr_string("start_date", to_iso(scenario.start));
    group.set_attr_string("end_date", to_iso(scenario.end));
    group.set_attr_int("n_days", calendar.n_days());

    group.set_attr_string("hdf5", hdf5::library_version());
    group.set_attr_string("boost", std::to_string(BOOST_VERSION / 100000) + "." +
                                       std::to_string(BOOST_VERSION / 100 % 1000) + "." +
                                       std::to_string(BOOST_VERSION % 100));
    group.set_attr_string(
        "tbb", ESSAIM_STRINGIFY(TBB_VERSION_MAJOR) "." ESSAIM_STRINGIFY(TBB_VERSION_MINOR));
    group.set_attr_string("tomlplusplus", ESSAIM_STRINGIFY(TOML_LIB_MAJOR) "." ESSAIM_STRINGIFY(
                                              TOML_LIB_MINOR) "." ESSAIM_STRINGIFY(TOML_LIB_PATCH));
    group.set_attr_string("random123", "philox4x64-10");
#if defined(__clang__)
    group.set_attr_string("compiler", __VERSION__);  // already "Clang x.y.z ..."
#elif defined(__GNUC__)
    group.set_attr_string("compiler", "GCC " __VERSION__);
#elif defined(__VERSION__)
    group.set_attr_string("compiler", __VERSION__);
#endif
    return group;
}

hdf5::Group write_territories(const hdf5::Group& root, const Scenario& scenario,
                              const std::vector<RolloutDecision>* rollout) {
    hdf5::Group group = root.create_group("territories");
    const auto& territories = scenario.territories;
    const long start = days_from_civil(scenario.start);
    std::vector<std::string> names, open_dates, neighbours;
    std::vector<std::int32_t> open_days;
    std::vector<std::int64_t> pools;
    std::vector<double> inflows, caseloads;
    for (const auto& territory : territories) {
        names.push_back(territory.name);
        // The actual opening, where a roll-out decided it ("" and -1: never within the run).
        std::optional<Date> open = territory.open;
        if (rollout) open = (*rollout)[open_dates.size()].open;
        open_dates.push_back(open ? to_iso(*open) : "");
        open_days.push_back(open ? static_cast<std::int32_t>(days_from_civil(*open) - start) : -1);
        pools.push_back(territory.pool);
        inflows.push_back(territory.inflow_per_day);
        caseloads.push_back(territory.caseload.value_or(scenario.parameters.caseload));
        std::string joined;
        for (int neighbour : territory.neighbours) {
            if (!joined.empty()) joined += ",";
            joined += territories.at(static_cast<std::size_t>(neighbour)).name;
        }
        neighbours.push_back(std::move(joined));
    }
    group.write_strings("name", names).set_attr_string("dimensions", "territory");
    group.write_strings("open_date", open_dates).set_attr_string("dimensions", "territory");
    group.write_dataset("open_day", std::span<const std::int32_t>(open_days))
        .set_attr_string("dimensions", "territory");
    group.write_dataset("initial_pool", std::span<const std::int64_t>(pools))
        .set_attr_string("dimensions", "territory");
    group.write_dataset("inflow_per_day", std::span<const double>(inflows))
        .set_attr_string("dimensions", "territory");
    group.write_dataset("caseload", std::span<const double>(caseloads))
        .set_attr_string("dimensions", "territory");
    group.write_strings("neighbours", neighbours).set_attr_string("dimensions", "territory");
    return group;
}

namespace {

void write_series(const hdf5::Group& root, const Scenario& scenario, const DailySeries& series,
                  const Calendar& calendar, const std::vector<std::string>& territory_names) {
    const hdf5::Group group = root.create_group("series");
    const auto n_days = static_cast<std::size_t>(series.n_days());
    const auto daily = group.write_array("daily", series.values(),
                                         {n_days, static_cast<std::size_t>(series.n_units()),
                                          static_cast<std::size_t>(series.n_variables())});
    describe_variables(daily, "variables", series.variables());
    daily.set_attr_strings("territories", territory_names);
    daily.set_attr_string("start_date", to_iso(scenario.start));
    daily.set_attr_string("dimensions", "day,territory,variable");

    std::vector<std::string> dates;
    dates.reserve(n_days);
    for (int day = 0; day < series.n_days(); ++day) dates.push_back(to_iso(calendar.date_of(day)));
    group.write_strings("dates", dates).set_attr_string("dimensions", "day");
}

void write_kpis(const hdf5::Group& root, const RunResult& result,
                const std::vector<std::string>& territory_names) {
    const hdf5::Group group = root.create_group("kpis");
    const auto& kpis = kpi_variables();
    std::vector<double> values;
    values.reserve(result.territory_kpis.size() * kKpiCount);
    for (const auto& row : result.territory_kpis)
        values.insert(values.end(), row.begin(), row.end());
    const auto by_territory = group.write_array(
        "territories", values, {result.territory_kpis.size(), static_cast<std::size_t>(kKpiCount)});
    describe_variables(by_territory, "kpis", kpis);
    by_territory.set_attr_strings("territories", territory_names);
    by_territory.set_attr_string("dimensions", "territory,kpi");

    const auto total = group.write_dataset("total", std::span<const double>(result.total_kpis));
    describe_variables(total, "kpis", kpis);
    total.set_attr_string("dimensions", "kpi");
}

void write_agents(const hdf5::Group& root, const Scenario& scenario, const AgentTable& agents) {
    const hdf5::Group group = root.create_group("agents");
    group.set_attr_strings("state_codes", names_of(kStateNames));
    group.set_attr_strings("barrier_bits", names_of(kBarrierNames));
    group.set_attr_strings("duration_codes", names_of(kDurationNames));
    group.set_attr_strings("diploma_codes", names_of(kDiplomaNames));
    std::vector<std::string> sectors;
    for (const auto& sector : scenario.sectors) sectors.push_back(sector.name);
    group.set_attr_strings("sector_codes", sectors);
    auto column = [&](std::string_view name, const auto& values) {
        if (values.size() != agents.size())
            throw std::runtime_error("agent column '" + std::string(name) +
                                     "' does not have one value per agent");
        using Element = typename std::decay_t<decltype(values)>::value_type;
        group.write_dataset(name, std::span<const Element>(values))
            .set_attr_string("dimensions", "agent");
    };
    column("territory", agents.territory);
    column("local_id", agents.local_id);
    column("duration", agents.duration);
    column("diploma", agents.diploma);
    column("barriers_at_identification", agents.barriers_at_identification);
    column("barriers_at_end", agents.barriers_at_end);
    column("identified_day", agents.identified_day);
    column("entry_day", agents.entry_day);
    column("first_job_day", agents.first_job_day);
    column("exit_day", agents.exit_day);
    column("end_day", agents.end_day);
    column("outcome", agents.outcome);
    column("final_state", agents.final_state);
    column("state_6m", agents.state_6m);
    column("state_12m", agents.state_12m);
    column("first_job_sector", agents.first_job_sector);
    column("employability", agents.employability);
}

}  // namespace

void write_rollout(const hdf5::Group& root, const Scenario& scenario,
                   const std::vector<RolloutDecision>& decisions, double max_run_rate) {
    const hdf5::Group group = root.create_group("rollout");
    group.set_attr_string("policy", kRolloutPolicyNames[static_cast<int>(scenario.rollout.policy)]);
    group.set_attr_double("budget_per_year", scenario.rollout.budget_per_year);
    group.set_attr_double("max_run_rate", max_run_rate);
    std::vector<std::string> names, dates, reasons;
    std::vector<std::int32_t> waves;
    std::vector<std::int8_t> candidates;
    for (const auto& d : decisions) {
        names.push_back(scenario.territories[d.territory].name);
        dates.push_back(d.open ? to_iso(*d.open) : "");
        reasons.push_back(d.reason);
        waves.push_back(d.wave);
        candidates.push_back(scenario.territories[d.territory].candidate ? 1 : 0);
    }
    group.write_strings("territory", names).set_attr_string("dimensions", "territory");
    group.write_strings("open_date", dates).set_attr_string("dimensions", "territory");
    group.write_dataset("wave", std::span<const std::int32_t>(waves))
        .set_attr_string("dimensions", "territory");
    group.write_dataset("candidate", std::span<const std::int8_t>(candidates))
        .set_attr_string("dimensions", "territory");
    group.write_strings("reason", reasons).set_attr_string("dimensions", "territory");
}

namespace {

// /spending: one row per calendar year of the run (docs/OUTPUT.md).
void write_spending(const hdf5::Group& root, const Scenario& scenario,
                    const std::vector<YearSpending>& years) {
    const hdf5::Group group = root.create_group("spending");
    group.set_attr_double("budget_per_year", scenario.rollout.budget_per_year);
    group.set_attr_string("unit", "EUR");
    std::vector<std::int32_t> year, days;
    std::vector<double> coaches, hubs, solutions, total, budget;
    std::vector<std::int8_t> over_budget;
    for (const auto& y : years) {
        year.push_back(y.year);
        days.push_back(y.days);
        coaches.push_back(y.coaches);
        hubs.push_back(y.hubs);
        solutions.push_back(y.solutions);
        total.push_back(y.total());
        budget.push_back(y.budget);
        over_budget.push_back(y.over_budget ? 1 : 0);
    }
    auto column = [&](std::string_view name, const auto& values) {
        using Element = typename std::decay_t<decltype(values)>::value_type;
        group.write_dataset(name, std::span<const Element>(values))
            .set_attr_string("dimensions", "year");
    };
    column("year", year);
    column("days", days);
    column("coaches", coaches);
    column("hubs", hubs);
    column("solutions", solutions);
    column("total", total);
    column("budget", budget);
    column("over_budget", over_budget);
}

// A writer bug, not a user error; caught here because HDF5 would otherwise read out of bounds.
void check_shapes(const std::string& path, const Scenario& scenario, const RunResult& result,
                  const Calendar& calendar) {
    const auto n_territories = scenario.territories.size();
    auto fail = [&](const std::string& what) {
        throw std::runtime_error("HDF5 file '" + path + "': " + what);
    };
    if (result.series.n_days() != calendar.n_days())
        fail("the daily series does not cover the scenario's days");
    if (static_cast<std::size_t>(result.series.n_units()) != n_territories)
        fail("the daily series does not have one unit per territory");
    if (result.territory_kpis.size() != n_territories)
        fail("the KPIs do not have one row per territory");
    if (kpi_variables().size() != static_cast<std::size_t>(kKpiCount))
        fail("kpi_variables() does not describe every KPI");
}

}  // namespace

void write_run_hdf5(const std::string& path, const Scenario& scenario, const RunResult& result,
                    const RunManifest& manifest) {
    const Calendar calendar(scenario.start, scenario.end);
    check_shapes(path, scenario, result, calendar);
    std::vector<std::string> territory_names;
    for (const auto& territory : scenario.territories) territory_names.push_back(territory.name);

    hdf5::write_file_atomically(path, [&](hdf5::File& file) {
        file.set_attr_string("schema", "essaim-run");
        file.set_attr_int("schema_version", kOutputSchemaVersion);
        write_manifest(file, scenario, manifest, calendar, result.agents.has_value());
        write_territories(file, scenario, &result.rollout);
        write_series(file, scenario, result.series, calendar, territory_names);
        write_kpis(file, result, territory_names);
        if (result.agents) write_agents(file, scenario, *result.agents);
        write_rollout(file, scenario, result.rollout, result.rollout_max_run_rate);
        write_spending(file, scenario, spending_by_year(scenario, result.series, result.rollout));
    });
}

}  // namespace essaim::dest1
