// `essaim ensemble`, `essaim compare` and `essaim sweep`: many replications, honest uncertainty,
// and differences between scenarios measured with common random numbers.
#include <boost/program_options.hpp>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "analysis/design.hpp"
#include "apps/cli_common.hpp"
#include "models/dest1/ensemble.hpp"
#include "models/dest1/scenario_toml.hpp"
#include "models/dest1/sweep.hpp"
#include "sim/hdf5_reader.hpp"

namespace essaim::cli {
namespace po = boost::program_options;

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
}

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

int precision_of(int kpi) {
    const std::string& unit = dest1::kpi_variables()[kpi].unit;
    return unit == "ratio" ? 3 : (unit == "days" ? 1 : 0);
}

void print_kpi_table(std::ostream& out,
                     const std::array<analysis::Summary, dest1::kKpiCount>& row) {
    out << std::left << std::setw(26) << "KPI (total)" << std::right << std::setw(13) << "mean"
        << std::setw(25) << "95% CI of the mean" << std::setw(25) << "5% .. 95% of runs"
        << std::setw(13) << "reps for 1%" << '\n';
    for (int k = 0; k < dest1::kKpiCount; ++k) {
        const analysis::Summary& s = row[k];
        const int p = precision_of(k);
        out << std::left << std::setw(26) << dest1::kpi_variables()[k].name << std::right
            << std::setw(13) << cell(s.mean, p) << std::setw(25)
            << interval(s.ci95_low, s.ci95_high, p) << std::setw(25) << interval(s.q05, s.q95, p)
            << std::setw(11) << cell(s.replications_for_1pct, 0) << '\n';
    }
}

nlohmann::ordered_json summaries_json(const std::array<analysis::Summary, dest1::kKpiCount>& row) {
    nlohmann::ordered_json o;
    for (int k = 0; k < dest1::kKpiCount; ++k)
        o[dest1::kpi_variables()[k].name] = summary_json(row[k]);
    return o;
}

// Per-replication KPIs of one side of a comparison: (replication, territory name) -> values.
struct KpiSamples {
    std::uint64_t replications = 0;
    std::uint64_t seed = 0;
    std::vector<std::string> territories;  // with "total"
    std::vector<double> values;            // (replication, territory, kpi)
    double at(std::uint64_t r, std::size_t t, int k) const {
        return values[(r * territories.size() + t) * dest1::kKpiCount + k];
    }
};

KpiSamples samples_of(const dest1::EnsembleResult& e, const dest1::Scenario& s,
                      std::uint64_t seed) {
    KpiSamples out{e.replications, seed, {}, e.replication_kpis};
    for (const auto& t : s.territories) out.territories.push_back(t.name);
    out.territories.push_back("total");
    return out;
}

KpiSamples samples_of_file(const std::string& path) {
    const hdf5::Reader file(path);
    if (!file.has_attr("/", "schema") || file.attr_string("/", "schema") != "essaim-ensemble")
        throw UsageError(path +
                         ": not an essaim ensemble file (schema \"essaim-ensemble\" expected)");
    const hdf5::Array kpis = file.read_array("/replications/kpis");
    KpiSamples out;
    out.territories = file.attr_strings("/replications/kpis", "territories");
    const auto names = file.attr_strings("/replications/kpis", "kpis");
    if (kpis.shape.size() != 3 || kpis.shape[1] != out.territories.size() ||
        kpis.shape[2] != static_cast<std::size_t>(dest1::kKpiCount))
        throw UsageError(path +
                         ": /replications/kpis does not have the shape of this essaim version");
    for (int k = 0; k < dest1::kKpiCount; ++k)
        if (names[k] != dest1::kpi_variables()[k].name)
            throw UsageError(path + ": KPI '" + names[k] + "' where '" +
                             dest1::kpi_variables()[k].name + "' was expected");
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
    return o;
}

}  // namespace

int ensemble_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim ensemble SCENARIO -r R [--seed N] [--threads N] [--set key.path=value]...\n"
        "                       [-o FILE] [--summary-only] [--json] [--quiet]\n\n"
        "Runs replications 0..R-1 of SCENARIO in parallel and writes their KPIs, daily series and\n"
        "survival curves with statistics across replications (docs/ENSEMBLES.md, docs/OUTPUT.md).";
    po::options_description options("Options");
    options.add_options()("help,h", "this help")(
        "output,o", po::value<std::string>(), "ensemble file (default results/<name>-ensemble.h5)")(
        "summary-only", "store statistics only, not every replication's daily series")(
        "series-memory-gib", po::value<double>(),
        "memory for per-cell quantiles of the daily series (default: half the machine's); above "
        "it, per-territory cells keep mean, sd and CI only")("no-output", "write no file");
    add_ensemble_options(options);
    po::variables_map vm;
    if (!parse(args, options, usage, vm)) return kOk;
    const CommonOptions common = common_options(vm);
    const std::string started_at = now_utc_iso();
    const dest1::Scenario scenario =
        dest1::load_scenario(vm["scenario"].as<std::string>(), overrides_of(vm));
    dest1::EnsembleOptions eo;
    eo.seed = vm.count("seed") ? vm["seed"].as<std::uint64_t>() : scenario.seed;
    eo.replications = common.replications;
    eo.threads = common.threads;
    eo.summary_only = vm.count("summary-only") > 0;
    if (vm.count("series-memory-gib")) {
        const double gib = vm["series-memory-gib"].as<double>();
        if (!(gib > 0)) throw UsageError("--series-memory-gib must be > 0");
        eo.series_memory_limit = gib * 1073741824.0;
    }
    eo.quiet = common.quiet;
    const std::string output =
        vm.count("no-output") ? "" : output_path(vm, scenario.name + "-ensemble.h5");
    const dest1::RunManifest manifest =
        make_manifest("ensemble", args, eo.seed, eo.threads, started_at);
    dest1::EnsembleResult result;
    try {
        result = dest1::run_ensemble(scenario, eo, output, manifest);
    } catch (const dest1::EnsembleTooLarge& e) {
        throw UsageError(e.what());
    }

    if (common.json) {
        nlohmann::ordered_json json;
        json["scenario"] = scenario.name;
        json["seed"] = eo.seed;
        json["replications"] = result.replications;
        json["output"] =
            output.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(output);
        json["kpis"] = summaries_json(result.kpi_summary.back());
        nlohmann::ordered_json territories = nlohmann::ordered_json::object();
        for (std::size_t t = 0; t < scenario.territories.size(); ++t)
            territories[scenario.territories[t].name] = summaries_json(result.kpi_summary[t]);
        json["territories"] = territories;
        std::cout << json.dump() << '\n';
    } else {
        std::cout << "Ensemble " << scenario.name << ": " << result.replications
                  << " replications, seed " << eo.seed << " (" << cell(result.wall_seconds, 2)
                  << " s)\n\n";
        print_kpi_table(std::cout, result.kpi_summary.back());
        for (const auto& s : result.survival)
            if (s.group == "all")
                std::cout << "\nmedian " << s.curve << ": " << cell(s.km.median, 0)
                          << " days [95% CI " << cell(s.km.median_lower, 0) << ", "
                          << cell(s.km.median_upper, 0) << "] over " << cell(s.km.n, 0)
                          << " entrants";
        std::cout << '\n';
    }
    if (!common.quiet && !output.empty()) std::cerr << "wrote " << output << '\n';
    return kOk;
}

int compare_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim compare BASE.toml VARIANT.toml -r R [--seed N] [--threads N] [--json] "
        "[--quiet]\n"
        "       essaim compare BASE.h5 VARIANT.h5 [--json]\n\n"
        "Paired difference VARIANT - BASE of every KPI, replication by replication: replication r "
        "of\n"
        "both uses the same random numbers for the same person-slot and purpose (common random\n"
        "numbers). Reports the difference with its 95% CI and the variance reduction against\n"
        "independent runs. With two ensemble files, both must come from the same seed.";
    po::options_description options("Options");
    options.add_options()("help,h", "this help");
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
        if (base.seed != variant.seed)
            throw UsageError("the two ensembles used different seeds (" +
                             std::to_string(base.seed) + " and " + std::to_string(variant.seed) +
                             "): their replications are not paired");
    } else {
        const auto overrides = overrides_of(vm);
        const dest1::Scenario a = dest1::load_scenario(base_path, overrides);
        const dest1::Scenario b = dest1::load_scenario(variant_path, overrides);
        dest1::EnsembleOptions eo;
        eo.seed = vm.count("seed") ? vm["seed"].as<std::uint64_t>() : a.seed;
        eo.replications = common.replications;
        eo.threads = common.threads;
        eo.quiet = common.quiet;
        eo.kpis_only = true;  // a comparison needs the replications' KPIs only
        const auto manifest = make_manifest("compare", args, eo.seed, eo.threads, now_utc_iso());
        try {
            base = samples_of(dest1::run_ensemble(a, eo, "", manifest), a, eo.seed);
            variant = samples_of(dest1::run_ensemble(b, eo, "", manifest), b, eo.seed);
        } catch (const dest1::EnsembleTooLarge& e) {
            throw UsageError(e.what());
        }
    }
    const std::uint64_t n = std::min(base.replications, variant.replications);
    auto compare_row = [&](std::size_t tb, std::size_t tv) {
        nlohmann::ordered_json row;
        std::vector<double> x(n), y(n);
        for (int k = 0; k < dest1::kKpiCount; ++k) {
            for (std::uint64_t r = 0; r < n; ++r) {
                x[r] = base.at(r, tb, k);
                y[r] = variant.at(r, tv, k);
            }
            row[dest1::kpi_variables()[k].name] = paired_json(analysis::paired_difference(x, y));
        }
        return row;
    };
    nlohmann::ordered_json json;
    json["replications"] = n;
    json["seed"] = base.seed;
    json["kpis"] = compare_row(base.territories.size() - 1, variant.territories.size() - 1);
    nlohmann::ordered_json territories = nlohmann::ordered_json::object();
    for (std::size_t tb = 0; tb + 1 < base.territories.size(); ++tb)
        for (std::size_t tv = 0; tv + 1 < variant.territories.size(); ++tv)
            if (base.territories[tb] == variant.territories[tv])
                territories[base.territories[tb]] = compare_row(tb, tv);
    json["territories"] = territories;
    if (common.json) {
        std::cout << json.dump() << '\n';
        return kOk;
    }
    std::cout << "Variant - base, paired over " << n << " replications (seed " << base.seed
              << ")\n\n"
              << std::left << std::setw(26) << "KPI (total)" << std::right << std::setw(14)
              << "base" << std::setw(14) << "variant" << std::setw(14) << "difference"
              << std::setw(28) << "95% CI of the difference" << std::setw(12) << "var. red.\n";
    for (int k = 0; k < dest1::kKpiCount; ++k) {
        const auto& row = json["kpis"][dest1::kpi_variables()[k].name];
        auto value = [&](const nlohmann::ordered_json& v) {
            return v.is_null() ? std::nan("") : v.get<double>();
        };
        const int p = precision_of(k);
        std::cout << std::left << std::setw(26) << dest1::kpi_variables()[k].name << std::right
                  << std::setw(14) << cell(value(row["base_mean"]), p) << std::setw(14)
                  << cell(value(row["variant_mean"]), p) << std::setw(14)
                  << cell(value(row["diff"]), p) << std::setw(28)
                  << interval(value(row["diff_ci95"][0]), value(row["diff_ci95"][1]), p)
                  << std::setw(11) << cell(value(row["variance_reduction"]), 1) << '\n';
    }
    return kOk;
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
        "no-output", "write no file");
    add_ensemble_options(options);
    po::variables_map vm;
    if (!parse(args, options, usage, vm)) return kOk;
    const CommonOptions common = common_options(vm);
    const bool has_grid = vm.count("grid") > 0, has_design = vm.count("design") > 0;
    if (has_grid == has_design)
        throw UsageError("give either --grid (one or more) or --design, not both");
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
    const std::string scenario_path = vm["scenario"].as<std::string>();
    std::vector<dest1::SweepPoint> points;
    for (const auto& point : design) {
        std::vector<std::string> overrides = overrides_of(vm);
        for (const auto& [key, value] : point) overrides.push_back(key + "=" + value);
        points.push_back({point, dest1::load_scenario(scenario_path, overrides)});
    }
    dest1::SweepOptions so;
    so.seed = vm.count("seed") ? vm["seed"].as<std::uint64_t>() : points.front().scenario.seed;
    so.replications = common.replications;
    so.threads = common.threads;
    so.quiet = common.quiet;
    const std::string output =
        vm.count("no-output") ? "" : output_path(vm, points.front().scenario.name + "-sweep.h5");
    dest1::SweepResult result;
    try {
        result = dest1::run_sweep(points, so, output,
                                  make_manifest("sweep", args, so.seed, so.threads, now_utc_iso()));
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    const std::size_t rows = result.territories.size();
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
            entry["kpis"] = summaries_json(result.kpi_summary[p * rows + rows - 1]);
            list.push_back(entry);
        }
        json["points"] = list;
        std::cout << json.dump() << '\n';
    } else {
        std::cout << "Sweep " << points.front().scenario.name << ": " << points.size()
                  << " points x " << result.replications << " replications ("
                  << cell(result.wall_seconds, 2) << " s)\n\n";
        const std::vector<int> shown{dest1::kKpiEntries, dest1::kKpiPositiveExitRate,
                                     dest1::kKpiMeanDaysToFirstJob, dest1::kKpiCapacityUtilisation,
                                     dest1::kKpiCostPerPositiveExit};
        // The last segment of each key is enough to tell points apart in a table.
        std::vector<std::string> labels;
        std::size_t width = 5;
        for (const auto& point : points) {
            std::string label;
            for (const auto& [key, value] : point.settings) {
                if (!label.empty()) label += ' ';
                label.append(key, key.rfind('.') + 1).append("=").append(value);
            }
            width = std::max(width, label.size());
            labels.push_back(std::move(label));
        }
        std::cout << fit("point", width + 2);
        for (int k : shown)
            std::cout << std::right << std::setw(24) << dest1::kpi_variables()[k].name;
        std::cout << "\n";
        for (std::size_t p = 0; p < points.size(); ++p) {
            std::cout << fit(labels[p], width + 2);
            for (int k : shown) {
                const auto& s = result.kpi_summary[p * rows + rows - 1][k];
                const int prec = precision_of(k);
                std::cout << std::right << std::setw(24)
                          << plus_minus(s.mean, (s.ci95_high - s.ci95_low) / 2, prec);
            }
            std::cout << '\n';
        }
    }
    if (!common.quiet && !output.empty()) std::cerr << "wrote " << output << '\n';
    return kOk;
}

}  // namespace essaim::cli
