// `essaim ensemble`, `essaim compare` and `essaim sweep`: many replications, honest uncertainty,
// and differences between scenarios measured with common random numbers.
#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "analysis/design.hpp"
#include "apps/cli_common.hpp"
#include "apps/models.hpp"
#include "apps/table.hpp"
#include "apps/unit_stores.hpp"
#include "experiment/distributed.hpp"
#include "experiment/ensemble.hpp"
#include "experiment/sweep.hpp"
#include "models/dest1/dest1_model.hpp"
#include "models/dest1/rollout.hpp"
#include "models/dest1/scenario_toml.hpp"
#include "sim/hdf5_reader.hpp"

namespace essaim::cli {
namespace po = boost::program_options;
namespace distributed = experiment::distributed;

namespace {

void add_ensemble_options(po::options_description& options) {
    options.add_options()("replications,r", po::value<std::uint64_t>()->default_value(20),
                          "replications (0, 1, ..., R-1)")(
        "seed", po::value<std::uint64_t>(), "random seed (default: the scenario's seed)")(
        "threads", po::value<int>()->default_value(1),
        "worker threads (results do not depend on it)")(
        "set", po::value<std::vector<std::string>>()->composing(),
        "override a scenario key, e.g. --set parcours.caseload=25 (repeatable)")(
        "json", "print one JSON object on stdout")("quiet,q",
                                                   "no progress or diagnostics on stderr");
    add_max_memory_option(options);
    options.add_options()("engine", po::value<std::string>(),
                          "how the model draws its events: for dest1 `event` (default, exact "
                          "event clocks) or `daily` (one draw per agent and day, the engine of "
                          "essaim 0.1); both give the same process in distribution");
}

// --engine, checked against what the model offers ("" when not given: the model's default).
struct CommonOptions {
    std::uint64_t replications;
    int threads;
    bool quiet, json;
};

CommonOptions common_options(const po::variables_map& vm) {
    CommonOptions c{vm["replications"].as<std::uint64_t>(), vm["threads"].as<int>(),
                    vm.count("quiet") > 0, vm.count("json") > 0};
    if (c.replications < 1) throw UsageError("--replications must be at least 1");
    if (c.threads < 1) throw UsageError("--threads must be at least 1");
    return c;
}

// "[lo, hi]" and "mean ± half": built with a stream, which also avoids a false -Wrestrict of
// GCC 12 on chains of std::string operator+.
std::string interval(double low, double high, int precision) {
    std::ostringstream out;
    out << '[' << cell(low, precision) << ", " << cell(high, precision) << ']';
    return out.str();
}

std::string plus_minus(double mean, double half, int precision) {
    std::ostringstream out;
    out << cell(mean, precision) << " ± " << cell(half, precision);
    return out.str();
}

int precision_of(const VariableInfo& kpi) {
    return kpi.unit == "ratio" ? 3 : (kpi.unit == "days" ? 1 : (kpi.unit.empty() ? 4 : 0));
}

void print_kpi_table(std::ostream& out, const std::vector<VariableInfo>& kpis,
                     const std::vector<analysis::Summary>& row) {
    Table table({{"KPI (total)", Table::Align::left},
                 {"mean"},
                 {"95% CI of the mean"},
                 {"5% .. 95% of runs"},
                 {"reps for 1%"}});
    for (std::size_t k = 0; k < kpis.size(); ++k) {
        const analysis::Summary& s = row[k];
        const int p = precision_of(kpis[k]);
        table.add_row({kpis[k].name, cell(s.mean, p), interval(s.ci95_low, s.ci95_high, p),
                       interval(s.q05, s.q95, p), cell(s.replications_for_1pct, 0)});
    }
    table.print(out);
}

// The Kaplan-Meier medians count every entrant (those without the event yet are censored), unlike
// the KPI median_days_to_first_job, which counts only entrants who found a job: the two differ,
// and the text says which is which.
void print_survival_medians(std::ostream& out, const experiment::EnsembleResult& result) {
    if (result.survival.empty()) return;
    for (const auto& s : result.survival) {
        if (s.group != "all") continue;
        const bool job = s.curve == "time_to_first_job";
        out << "\nKaplan-Meier median " << (job ? "time to first job" : "time to dropout")
            << " (all " << cell(s.km.n, 0) << " entrants, "
            << (job ? "those still searching" : "those still in the parcours") << " censored): ";
        if (std::isnan(s.km.median))
            out << "not reached (fewer than half had the event)";
        else
            out << cell(s.km.median, 0) << " days [95% CI " << cell(s.km.median_lower, 0) << ", "
                << cell(s.km.median_upper, 0) << "]";
    }
    out << "\n(The KPI median_days_to_first_job counts only entrants who found a job, so it is "
           "shorter than the Kaplan-Meier median.)\n";
}

// Which candidate territories open when, and why: planned before the replications, the same in
// every one of them.
void print_rollout(std::ostream& out, const dest1::Scenario& scenario,
                   const std::vector<dest1::RolloutDecision>& rollout, double max_run_rate) {
    if (std::none_of(scenario.territories.begin(), scenario.territories.end(),
                     [](const dest1::Territory& t) { return t.candidate; }))
        return;
    out << "\nRoll-out, the same in every replication (highest yearly run-rate of coaches and "
           "hubs: "
        << cell(max_run_rate, 0) << " EUR):\n";
    Table table({{"territory", Table::Align::left},
                 {"opens", Table::Align::left},
                 {"why", Table::Align::left}});
    for (const auto& d : rollout)
        if (scenario.territories[d.territory].candidate)
            table.add_row({scenario.territories[d.territory].name,
                           d.open ? to_iso(*d.open) : "not opened", d.reason});
    table.print(out);
}

nlohmann::ordered_json rollout_json(const dest1::Scenario& scenario,
                                    const std::vector<dest1::RolloutDecision>& rollout) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& d : rollout)
        list.push_back({{"territory", scenario.territories[d.territory].name},
                        {"open", d.open ? nlohmann::ordered_json(to_iso(*d.open))
                                        : nlohmann::ordered_json(nullptr)},
                        {"wave", d.wave},
                        {"reason", d.reason}});
    return list;
}

nlohmann::ordered_json summaries_json(const std::vector<VariableInfo>& kpis,
                                      const std::vector<analysis::Summary>& row) {
    nlohmann::ordered_json o;
    for (std::size_t k = 0; k < kpis.size(); ++k) o[kpis[k].name] = summary_json(row[k]);
    return o;
}

// Per-replication KPIs of one side of a comparison: (replication, territory name) -> values.
struct KpiSamples {
    std::uint64_t replications = 0;
    std::uint64_t seed = 0;
    std::vector<std::string> territories;  // with "total"
    std::vector<VariableInfo> kpis;
    std::vector<double> values;  // (replication, territory, kpi)
    double at(std::uint64_t r, std::size_t t, std::size_t k) const {
        return values[(r * territories.size() + t) * kpis.size() + k];
    }
};

KpiSamples samples_of(const experiment::EnsembleResult& e, const experiment::Ensemble& ensemble) {
    KpiSamples out{e.replications, ensemble.options().seed, ensemble.scenario().units(),
                   ensemble.model().kpis(), e.replication_kpis};
    out.territories.push_back("total");
    return out;
}

KpiSamples samples_of_file(const std::string& path) {
    const hdf5::Reader file(path);
    if (!file.has_attr("/", "schema") || file.attr_string("/", "schema") != "essaim-ensemble")
        throw UsageError(path +
                         ": not an essaim ensemble file (schema \"essaim-ensemble\" expected)");
    const double version = file.has_attr("/", "schema_version")
                               ? file.attr_double("/", "schema_version")
                               : std::nan("");
    if (version != experiment::kOutputSchemaVersion)
        throw UsageError(path + ": schema essaim-ensemble version " +
                         (std::isnan(version) ? std::string("missing")
                                              : std::to_string(static_cast<long long>(version))) +
                         " is not supported (this essaim reads version " +
                         std::to_string(experiment::kOutputSchemaVersion) + ")");
    const hdf5::Array kpis = file.read_array("/replications/kpis");
    KpiSamples out;
    out.territories = file.attr_strings("/replications/kpis", "territories");
    const auto names = file.attr_strings("/replications/kpis", "kpis");
    const auto units = file.attr_strings("/replications/kpis", "units");
    if (kpis.shape.size() != 3 || kpis.shape[1] != out.territories.size() ||
        kpis.shape[2] != names.size() || units.size() != names.size())
        throw UsageError(path + ": /replications/kpis does not have the shape its attributes say");
    for (std::size_t k = 0; k < names.size(); ++k) out.kpis.push_back({names[k], units[k], "", ""});
    out.replications = kpis.shape[0];
    out.seed = static_cast<std::uint64_t>(file.attr_double("/manifest", "seed"));
    out.values = kpis.values;
    return out;
}

nlohmann::ordered_json paired_json(const analysis::PairedDifference& d) {
    nlohmann::ordered_json o;
    o["base_mean"] = number(d.base_mean);
    o["variant_mean"] = number(d.variant_mean);
    o["diff"] = number(d.diff);
    o["diff_ci95"] = {number(d.diff_ci95_low), number(d.diff_ci95_high)};
    o["variance_reduction"] = number(d.variance_reduction);
    o["n"] = d.n;
    // Detectable when the 95% interval excludes 0; null when there is no interval (n < 2).
    const bool has_interval = !std::isnan(d.diff_ci95_low) && !std::isnan(d.diff_ci95_high);
    o["detectable"] = has_interval
                          ? nlohmann::ordered_json(d.diff_ci95_low > 0 || d.diff_ci95_high < 0)
                          : nlohmann::ordered_json(nullptr);
    return o;
}

// Territories present on both sides (by name, in the base's order) and those on one side only.
struct TerritoryMatch {
    std::vector<std::pair<std::size_t, std::size_t>> pairs;  // (base row, variant row)
    std::vector<std::string> compared, only_in_base, only_in_variant;
};

TerritoryMatch match_territories(const KpiSamples& base, const KpiSamples& variant) {
    TerritoryMatch m;
    const std::size_t nb = base.territories.size() - 1, nv = variant.territories.size() - 1;
    for (std::size_t tb = 0; tb < nb; ++tb) {
        const auto begin = variant.territories.begin();
        const auto it =
            std::find(begin, begin + static_cast<std::ptrdiff_t>(nv), base.territories[tb]);
        if (it == begin + static_cast<std::ptrdiff_t>(nv)) {
            m.only_in_base.push_back(base.territories[tb]);
            continue;
        }
        m.pairs.emplace_back(tb, static_cast<std::size_t>(it - begin));
        m.compared.push_back(base.territories[tb]);
    }
    for (std::size_t tv = 0; tv < nv; ++tv)
        if (std::find(m.compared.begin(), m.compared.end(), variant.territories[tv]) ==
            m.compared.end())
            m.only_in_variant.push_back(variant.territories[tv]);
    return m;
}

nlohmann::ordered_json kpi_differences(const KpiSamples& base, const KpiSamples& variant,
                                       std::size_t tb, std::size_t tv) {
    const std::uint64_t n = base.replications;
    nlohmann::ordered_json row;
    std::vector<double> x(n), y(n);
    for (std::size_t k = 0; k < base.kpis.size(); ++k) {
        for (std::uint64_t r = 0; r < n; ++r) {
            x[r] = base.at(r, tb, k);
            y[r] = variant.at(r, tv, k);
        }
        row[base.kpis[k].name] = paired_json(analysis::paired_difference(x, y));
    }
    return row;
}

nlohmann::ordered_json comparison_json(const KpiSamples& base, const KpiSamples& variant,
                                       const TerritoryMatch& match) {
    nlohmann::ordered_json json;
    json["replications"] = base.replications;
    json["seed"] = base.seed;
    json["kpis"] =
        kpi_differences(base, variant, base.territories.size() - 1, variant.territories.size() - 1);
    nlohmann::ordered_json territories = nlohmann::ordered_json::object();
    for (const auto& [tb, tv] : match.pairs)
        territories[base.territories[tb]] = kpi_differences(base, variant, tb, tv);
    json["territories"] = territories;
    json["territories_compared"] = match.compared;
    json["only_in_base"] = match.only_in_base;
    json["only_in_variant"] = match.only_in_variant;
    return json;
}

double json_value(const nlohmann::ordered_json& v) {
    return v.is_null() ? std::nan("") : v.get<double>();
}

// Decimals that show a difference and its interval with at least two significant digits of the
// interval's half-width (a difference of 0.004 must not print as "0 [0, 0]"), and never fewer
// than the KPI's own precision.
int difference_precision(double low, double high, int kpi_precision) {
    const double half = (high - low) / 2;
    if (!(half > 0) || !std::isfinite(half)) return kpi_precision;
    const int digits = static_cast<int>(std::ceil(-std::log10(half))) + 1;
    return std::clamp(digits, kpi_precision, 8);
}

std::string list_or_none(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out.empty() ? "none" : out;
}

void print_comparison(std::ostream& out, const nlohmann::ordered_json& json,
                      const TerritoryMatch& match, const std::vector<VariableInfo>& kpis) {
    out << "Variant - base, paired over " << json["replications"].get<std::uint64_t>()
        << " replications (seed " << json["seed"].get<std::uint64_t>() << ")\n";
    if (!match.only_in_base.empty() || !match.only_in_variant.empty())
        out << "Territories compared one by one: " << list_or_none(match.compared)
            << "; only in the base: " << list_or_none(match.only_in_base)
            << "; only in the variant: " << list_or_none(match.only_in_variant)
            << " (totals cover each side's own territories)\n";
    out << '\n';
    Table table({{"KPI (total)", Table::Align::left},
                 {"base"},
                 {"variant"},
                 {"difference"},
                 {"95% CI of the difference"},
                 {"var. red."},
                 {"", Table::Align::left}});
    for (const VariableInfo& kpi : kpis) {
        const auto& row = json["kpis"][kpi.name];
        const double low = json_value(row["diff_ci95"][0]), high = json_value(row["diff_ci95"][1]);
        const int p = difference_precision(low, high, precision_of(kpi));
        const double reduction = json_value(row["variance_reduction"]);
        std::string verdict;
        if (row["detectable"].is_boolean() && !row["detectable"].get<bool>())
            verdict = json_value(row["diff"]) == 0 && low == 0 && high == 0
                          ? "identical in every replication"
                          : "no detectable difference";
        table.add_row({kpi.name, cell(json_value(row["base_mean"]), p),
                       cell(json_value(row["variant_mean"]), p), cell(json_value(row["diff"]), p),
                       interval(low, high, p), std::isinf(reduction) ? "-" : cell(reduction, 1),
                       verdict});
    }
    table.print(out);
    out << "\n(\"no detectable difference\": the 95% interval of the difference contains 0; more "
           "replications may resolve it.)\n";
}

// Computes an experiment's units: on a worker rank, whatever rank 0 hands out; else the units
// of `plan`'s store (and shard) that it lacks. Returns the store when the command goes on to the
// reduction, nothing when it is done (a worker rank; a shard, whose partial file is the store).
template <class Experiment>
std::optional<experiment::UnitStore> compute_units(const Experiment& e, const StorePlan& plan,
                                                   const CommonOptions& common) {
    if (distributed::rank() != 0) {
        e.compute(nullptr);
        return std::nullopt;
    }
    experiment::UnitStore store = open_store(plan, e.store_meta(plan.shard, plan.shards));
    e.compute(store, plan.shard, plan.shards);
    if (!plan.sharded()) return store;
    report_shard(store, plan, common.json, common.quiet);
    return std::nullopt;
}

// The model and scenario of an experiment command: --model NAME (with or without a file), else
// the file's scenario.model.
std::pair<const experiment::Model*, std::shared_ptr<const experiment::ModelScenario>> load_for(
    const po::variables_map& vm, const std::string& path,
    const std::vector<std::string>& overrides) {
    const std::string name =
        vm.count("model") ? vm["model"].as<std::string>() : scenario_model(path);
    const experiment::Model& model = model_named(name);
    return {&model, path.empty() ? model.load_defaults(overrides) : model.load(path, overrides)};
}

// The roll-out planned for a Dest1 design point (none for other models).
std::vector<dest1::RolloutDecision> rollout_of(const experiment::ModelScenario& scenario,
                                               double* max_run_rate) {
    const auto* dest1_scenario = dynamic_cast<const dest1::Dest1Scenario*>(&scenario);
    if (dest1_scenario == nullptr) return {};
    *max_run_rate = dest1_scenario->plan().max_run_rate;
    return dest1_scenario->plan().decisions;
}

void print_ensemble(std::ostream& out, const experiment::Ensemble& ensemble,
                    const experiment::EnsembleResult& result) {
    const auto& scenario = ensemble.scenario();
    out << "Ensemble " << scenario.name() << ": " << result.replications << " replications, seed "
        << ensemble.options().seed << " (" << cell(result.wall_seconds, 2) << " s)\n\n";
    print_kpi_table(out, ensemble.model().kpis(), result.kpi_summary.back());
    print_survival_medians(out, result);
    if (const auto* d = dynamic_cast<const dest1::Dest1Scenario*>(&scenario)) {
        double max_run_rate = 0;
        const auto rollout = rollout_of(scenario, &max_run_rate);
        print_rollout(out, d->value(), rollout, max_run_rate);
    }
}

nlohmann::ordered_json ensemble_json(const experiment::Ensemble& ensemble,
                                     const experiment::EnsembleResult& result,
                                     const std::string& output) {
    const auto& kpis = ensemble.model().kpis();
    nlohmann::ordered_json json;
    json["scenario"] = ensemble.scenario().name();
    json["model"] = ensemble.model().name();
    json["seed"] = ensemble.options().seed;
    json["replications"] = result.replications;
    json["output"] =
        output.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(output);
    json["kpis"] = summaries_json(kpis, result.kpi_summary.back());
    nlohmann::ordered_json territories = nlohmann::ordered_json::object();
    const auto units = ensemble.scenario().units();
    for (std::size_t t = 0; t < units.size(); ++t)
        territories[units[t]] = summaries_json(kpis, result.kpi_summary[t]);
    json["territories"] = territories;
    if (const auto* d = dynamic_cast<const dest1::Dest1Scenario*>(&ensemble.scenario())) {
        double max_run_rate = 0;
        json["rollout"] = rollout_json(d->value(), rollout_of(ensemble.scenario(), &max_run_rate));
    }
    return json;
}

}  // namespace

int ensemble_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim ensemble SCENARIO -r R [--seed N] [--threads N] [--set key.path=value]...\n"
        "                       [-o FILE] [--summary-only] [--resume] [--shard k/K] [--json]\n"
        "       essaim ensemble --model NAME -r R [--set key=value]... (a model with defaults)\n\n"
        "Runs replications 0..R-1 of SCENARIO in parallel and writes their KPIs, daily series and\n"
        "survival curves with statistics across replications (docs/ENSEMBLES.md, docs/OUTPUT.md).\n"
        "Finished replications are kept in a unit store until the file is written: an interrupted\n"
        "run continues with --resume (docs/HPC.md).";
    po::options_description options("Options");
    options.add_options()("help,h", "this help")(
        "output,o", po::value<std::string>(), "ensemble file (default results/<name>-ensemble.h5)")(
        "summary-only", "store statistics only, not every replication's daily series")(
        "series-memory-gib", po::value<double>(),
        "memory for per-cell quantiles of the daily series (default: half the machine's); above "
        "it, per-territory cells keep mean, sd and CI only")("no-output", "write no file")(
        "model", po::value<std::string>(), "the model (default: the scenario's scenario.model)");
    add_ensemble_options(options);
    add_store_options(options);
    po::variables_map vm;
    if (!parse(args, options, usage, vm, {"scenario"}, 0)) return kOk;
    if (!vm.count("scenario") && !vm.count("model"))
        throw UsageError("missing SCENARIO (or --model NAME for a model with defaults)");
    const CommonOptions common = common_options(vm);
    const CommandClock clock;
    const auto [model, scenario] = load_for(
        vm, vm.count("scenario") ? vm["scenario"].as<std::string>() : "", overrides_of(vm));
    experiment::EnsembleOptions eo;
    eo.seed = vm.count("seed") ? vm["seed"].as<std::uint64_t>() : scenario->seed();
    eo.replications = common.replications;
    eo.threads = common.threads;
    eo.summary_only = vm.count("summary-only") > 0;
    if (vm.count("series-memory-gib")) {
        const double gib = vm["series-memory-gib"].as<double>();
        if (!(gib > 0)) throw UsageError("--series-memory-gib must be > 0");
        eo.series_memory_limit = gib * 1073741824.0;
    }
    eo.quiet = common.quiet;
    eo.engine = engine_of(vm, *model);
    const experiment::Ensemble ensemble(*model, scenario, eo);
    const std::string output =
        vm.count("no-output") ? "" : output_path(vm, scenario->name() + "-ensemble.h5");
    const bool replacing = !output.empty() && std::filesystem::exists(output);
    const StorePlan plan = store_plan(vm, output);
    check_memory(ensemble.estimate_bytes(), memory_limit_bytes(vm), "this ensemble");
    std::optional<experiment::UnitStore> store = compute_units(ensemble, plan, common);
    if (!store) return kOk;
    const experiment::Manifest manifest =
        experiment_manifest("ensemble", args, eo.seed, eo.threads, eo.engine, clock);
    experiment::EnsembleResult result;
    try {
        result =
            ensemble.reduce([&](std::uint64_t id) { return store->get(id); }, output, manifest);
    } catch (const experiment::EnsembleTooLarge& e) {
        throw UsageError(e.what());
    }
    if (!output.empty()) remove_store(plan.path);
    if (common.json)
        std::cout << ensemble_json(ensemble, result, output).dump() << '\n';
    else
        print_ensemble(std::cout, ensemble, result);
    if (!output.empty()) report_written(output, replacing, common.quiet);
    return kOk;
}

int compare_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim compare BASE.toml VARIANT.toml -r R [--seed N] [--threads N] [--json] "
        "[--quiet]\n"
        "       essaim compare BASE.toml BASE.toml --set-b key.path=value -r R ...\n"
        "       essaim compare BASE.h5 VARIANT.h5 [--json]\n\n"
        "Paired difference VARIANT - BASE of every KPI, replication by replication: replication r "
        "of\n"
        "both uses the same random numbers for the same person-slot and purpose (common random\n"
        "numbers). Reports the difference with its 95% CI and the variance reduction against\n"
        "independent runs. With two ensemble files, both must come from the same seed.";
    po::options_description options("Options");
    options.add_options()("help,h", "this help")(
        "set-b", po::value<std::vector<std::string>>()->composing(),
        "override a key of the variant only (after --set, which applies to both); repeatable")(
        "model", po::value<std::string>(), "the model (default: the scenarios' scenario.model)");
    add_ensemble_options(options);
    po::variables_map vm;
    if (!parse(args, options, usage, vm, {"base", "variant"})) return kOk;
    const CommonOptions common = common_options(vm);
    const std::string base_path = vm["base"].as<std::string>(),
                      variant_path = vm["variant"].as<std::string>();
    auto is_h5 = [](const std::string& p) {
        return p.size() > 3 && p.substr(p.size() - 3) == ".h5";
    };
    KpiSamples base, variant;
    if (is_h5(base_path) != is_h5(variant_path))
        throw UsageError("compare two scenario files or two ensemble files, not one of each");
    if (is_h5(base_path)) {
        try {
            base = samples_of_file(base_path);
            variant = samples_of_file(variant_path);
        } catch (const hdf5::ReadError& e) {
            throw UsageError(e.what());
        }
        auto names = [](const KpiSamples& k) {
            std::vector<std::string> out;
            for (const auto& v : k.kpis) out.push_back(v.name);
            return out;
        };
        if (names(base) != names(variant))
            throw UsageError(base_path + " and " + variant_path +
                             " do not hold the same KPIs (files of different models or versions)");
        if (base.seed != variant.seed)
            throw UsageError("the two ensembles used different seeds (" +
                             std::to_string(base.seed) + " and " + std::to_string(variant.seed) +
                             "): their replications are not paired");
    } else {
        const auto overrides = overrides_of(vm);
        auto overrides_b = overrides;  // --set-b: the variant only, after --set
        if (vm.count("set-b"))
            for (const auto& o : vm["set-b"].as<std::vector<std::string>>())
                overrides_b.push_back(o);
        const auto [model_a, a] = load_for(vm, base_path, overrides);
        const auto [model_b, b] = load_for(vm, variant_path, overrides_b);
        if (model_a != model_b)
            throw UsageError("the two scenarios are of different models (" + model_a->name() +
                             " and " + model_b->name() + ")");
        experiment::EnsembleOptions eo;
        eo.seed = vm.count("seed") ? vm["seed"].as<std::uint64_t>() : a->seed();
        eo.replications = common.replications;
        eo.threads = common.threads;
        eo.quiet = common.quiet;
        eo.kpis_only = true;  // a comparison needs the replications' KPIs only
        eo.engine = engine_of(vm, *model_a);
        const auto manifest = make_manifest("compare", args, eo.seed, eo.threads, now_utc_iso());
        const experiment::Ensemble ensemble_a(*model_a, a, eo), ensemble_b(*model_b, b, eo);
        // The two ensembles run one after the other.
        check_memory(std::max(ensemble_a.estimate_bytes(), ensemble_b.estimate_bytes()),
                     memory_limit_bytes(vm), "this comparison");
        auto kpis_of = [&](const experiment::Ensemble& ensemble) {
            if (distributed::rank() != 0) {
                ensemble.compute(nullptr);
                return KpiSamples{};
            }
            experiment::UnitStore store =
                experiment::UnitStore::create(":memory:", ensemble.store_meta());
            ensemble.compute(store);
            return samples_of(
                ensemble.reduce([&](std::uint64_t id) { return store.get(id); }, "", manifest),
                ensemble);
        };
        base = kpis_of(ensemble_a);
        variant = kpis_of(ensemble_b);
        if (distributed::rank() != 0) return kOk;
    }
    if (base.replications != variant.replications)
        throw UsageError(base_path + " has " + std::to_string(base.replications) +
                         " replications and " + variant_path + " has " +
                         std::to_string(variant.replications) +
                         ": paired differences need the same replications 0..R-1 on both sides");
    const TerritoryMatch match = match_territories(base, variant);
    const nlohmann::ordered_json json = comparison_json(base, variant, match);
    if (common.json) {
        std::cout << json.dump() << '\n';
        return kOk;
    }
    print_comparison(std::cout, json, match, base.kpis);
    return kOk;
}

// Labels of the design points for a table: each key shortened to its shortest trailing segments
// that no other key of the design shares ("territory.Lille.caseload" and
// "territory.Roubaix.caseload" keep "Lille.caseload" and "Roubaix.caseload").
std::vector<std::string> point_labels(const std::vector<experiment::SweepPoint>& points) {
    std::vector<std::vector<std::string>> keys;  // segments of each key
    for (const auto& [key, value] : points.front().settings) {
        std::vector<std::string> segments;
        std::istringstream in(key);
        for (std::string segment; std::getline(in, segment, '.');) segments.push_back(segment);
        keys.push_back(std::move(segments));
    }
    auto tail = [](const std::vector<std::string>& segments, std::size_t n) {
        std::string out;
        for (std::size_t i = segments.size() - std::min(n, segments.size()); i < segments.size();
             ++i)
            out += (out.empty() ? "" : ".") + segments[i];
        return out;
    };
    std::vector<std::string> shown;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        std::size_t n = 1;
        auto clashes = [&] {
            for (std::size_t j = 0; j < keys.size(); ++j)
                if (j != i && tail(keys[j], n) == tail(keys[i], n)) return true;
            return false;
        };
        while (n < keys[i].size() && clashes()) ++n;
        shown.push_back(tail(keys[i], n));
    }
    std::vector<std::string> labels;
    for (const auto& point : points) {
        std::string label;
        for (std::size_t i = 0; i < point.settings.size(); ++i)
            label += (i ? " " : "") + shown[i] + "=" + point.settings[i].second;
        labels.push_back(std::move(label));
    }
    return labels;
}

int sweep_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim sweep SCENARIO --grid key.path=v1,v2,... [--grid ...]... -r R [--seed N]\n"
        "                    [--threads N] [--set key.path=value]... [-o FILE] [--json] [--quiet]\n"
        "       essaim sweep SCENARIO --design POINTS.csv -r R ...\n\n"
        "Runs R replications at every point of a full factorial design (--grid, any number of "
        "keys)\n"
        "or of an explicit list (--design: a CSV header of key paths, one point per row), and "
        "stores\n"
        "one ensemble summary per point and a tidy table point x territory x KPI x statistic.";
    po::options_description options("Options");
    options.add_options()("help,h", "this help")("grid",
                                                 po::value<std::vector<std::string>>()->composing(),
                                                 "key.path=v1,v2,... (repeatable)")(
        "design", po::value<std::string>(), "CSV file of design points")(
        "output,o", po::value<std::string>(), "sweep file (default results/<name>-sweep.h5)")(
        "no-output", "write no file")("model", po::value<std::string>(),
                                      "the model (default: the scenario's scenario.model)");
    add_ensemble_options(options);
    add_store_options(options);
    po::variables_map vm;
    if (!parse(args, options, usage, vm, {"scenario"}, 0)) return kOk;
    const CommandClock clock;
    if (!vm.count("scenario") && !vm.count("model"))
        throw UsageError("missing SCENARIO (or --model NAME for a model with defaults)");
    const CommonOptions common = common_options(vm);
    const bool has_grid = vm.count("grid") > 0, has_design = vm.count("design") > 0;
    if (has_grid == has_design)
        throw UsageError(has_grid ? "give either --grid (one or more) or --design, not both"
                                  : "missing design: give --grid key.path=v1,v2,... (one or more) "
                                    "or --design POINTS.csv");
    std::vector<analysis::DesignPoint> design;
    try {
        if (has_grid) {
            std::vector<std::pair<std::string, std::vector<std::string>>> grids;
            for (const auto& g : vm["grid"].as<std::vector<std::string>>())
                grids.push_back(analysis::parse_grid(g));
            design = analysis::full_factorial(grids);
        } else {
            design = analysis::read_design_csv(vm["design"].as<std::string>());
        }
    } catch (const analysis::DesignError& e) {
        throw UsageError(e.what());
    }
    const std::string scenario_path = vm.count("scenario") ? vm["scenario"].as<std::string>() : "";
    const experiment::Model* model = nullptr;
    std::vector<experiment::SweepPoint> points;
    for (const auto& point : design) {
        std::vector<std::string> overrides = overrides_of(vm);
        for (const auto& [key, value] : point) overrides.push_back(key + "=" + value);
        auto [point_model, scenario] = load_for(vm, scenario_path, overrides);
        model = point_model;
        points.push_back({point, std::move(scenario)});
    }
    experiment::SweepOptions so;
    so.base_text = load_for(vm, scenario_path, overrides_of(vm)).second->source_text();
    so.base_path = scenario_path;
    so.seed = vm.count("seed") ? vm["seed"].as<std::uint64_t>() : points.front().scenario->seed();
    so.replications = common.replications;
    so.threads = common.threads;
    so.quiet = common.quiet;
    so.engine = engine_of(vm, *model);
    const std::string name = points.front().scenario->name();
    const experiment::Sweep sweep = [&] {
        try {
            return experiment::Sweep(*model, points, so);
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
    }();
    const std::string output = vm.count("no-output") ? "" : output_path(vm, name + "-sweep.h5");
    const bool replacing = !output.empty() && std::filesystem::exists(output);
    const StorePlan plan = store_plan(vm, output);
    check_memory(sweep.estimate_bytes(), memory_limit_bytes(vm), "this sweep");
    std::optional<experiment::UnitStore> store = compute_units(sweep, plan, common);
    if (!store) return kOk;
    const experiment::Manifest manifest =
        experiment_manifest("sweep", args, so.seed, so.threads, so.engine, clock);
    const experiment::SweepResult result =
        sweep.reduce([&](std::uint64_t id) { return store->get(id); }, output, manifest);
    if (!output.empty()) remove_store(plan.path);
    const std::size_t rows = result.rows.size();
    const auto& kpis = model->kpis();
    if (common.json) {
        nlohmann::ordered_json json;
        json["replications"] = result.replications;
        json["seed"] = so.seed;
        json["output"] =
            output.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(output);
        nlohmann::ordered_json list = nlohmann::ordered_json::array();
        for (std::size_t p = 0; p < points.size(); ++p) {
            nlohmann::ordered_json entry, values;
            for (const auto& [key, value] : points[p].settings) values[key] = value;
            entry["point"] = p;
            entry["values"] = values;
            entry["kpis"] = summaries_json(kpis, result.kpi_summary[p * rows + rows - 1]);
            if (const auto* d =
                    dynamic_cast<const dest1::Dest1Scenario*>(points[p].scenario.get())) {
                double max_run_rate = 0;
                entry["rollout"] = rollout_json(d->value(), rollout_of(*d, &max_run_rate));
            }
            list.push_back(entry);
        }
        json["points"] = list;
        std::cout << json.dump() << '\n';
    } else {
        std::cout << "Sweep " << name << ": " << points.size() << " points x "
                  << result.replications << " replications (" << cell(result.wall_seconds, 2)
                  << " s)\n\n";
        // Dest1's headline KPIs; every KPI of a model with few.
        std::vector<std::size_t> shown;
        for (const char* headline : {"entries", "positive_exit_rate", "mean_days_to_first_job",
                                     "capacity_utilisation", "cost_per_positive_exit"})
            for (std::size_t k = 0; k < kpis.size(); ++k)
                if (kpis[k].name == headline) shown.push_back(k);
        if (shown.empty())
            for (std::size_t k = 0; k < kpis.size() && k < 6; ++k) shown.push_back(k);
        std::vector<Table::Column> columns{{"point", Table::Align::left}};
        for (std::size_t k : shown) columns.push_back({kpis[k].name});
        Table table(columns);
        const std::vector<std::string> labels = point_labels(points);
        for (std::size_t p = 0; p < points.size(); ++p) {
            std::vector<std::string> cells{labels[p]};
            for (std::size_t k : shown) {
                const auto& s = result.kpi_summary[p * rows + rows - 1][k];
                cells.push_back(
                    plus_minus(s.mean, (s.ci95_high - s.ci95_low) / 2, precision_of(kpis[k])));
            }
            table.add_row(cells);
        }
        table.print(std::cout);
    }
    if (!output.empty()) report_written(output, replacing, common.quiet);
    return kOk;
}

}  // namespace essaim::cli
