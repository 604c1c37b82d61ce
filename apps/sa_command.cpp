// `essaim sa` (sensitivity analysis) and `essaim design` (the design points as CSV), for any
// model: docs/SENSITIVITY.md.
#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <sstream>

#include "apps/cli.hpp"
#include "apps/cli_common.hpp"
#include "apps/models.hpp"
#include "apps/table.hpp"
#include "apps/space_setup.hpp"
#include "apps/unit_stores.hpp"
#include "experiment/distributed.hpp"
#include "experiment/sensitivity_analysis.hpp"
#include "sim/output_file.hpp"

namespace essaim::cli {
namespace po = boost::program_options;

namespace {

void add_design_options(po::options_description& options) {
    options.add_options()("method", po::value<std::string>(), "sobol, morris or lhs")(
        "space", po::value<std::string>(), "parameter space file (docs/SENSITIVITY.md)")(
        "params", po::value<std::string>(),
        "NAME,NAME,...: registry parameters, uniform on their allowed ranges")(
        "n,n", po::value<std::uint64_t>(),
        "sobol: base rows (512); morris: trajectories (20); lhs: points (200)")(
        "seed", po::value<std::uint64_t>(), "seed of the design and the runs")(
        "levels", po::value<std::uint64_t>()->default_value(4), "morris: grid levels (even)")(
        "second-order", "sobol: also the second-order indices")(
        "maximin", po::value<std::uint64_t>()->default_value(1),
        "lhs: keep the best of this many hypercubes (maximin distance)")(
        "model", po::value<std::string>(), "the model (default: the scenario's scenario.model)")(
        "g-a", po::value<std::string>(), "sobol-g: the coefficients a, e.g. 78,12,0.5")(
        "set", po::value<std::vector<std::string>>()->composing(),
        "override a key of the base scenario (repeatable)")("quiet,q",
                                                            "no progress or diagnostics on stderr");
}

experiment::SaMethod method_of(const po::variables_map& vm) {
    if (!vm.count("method")) throw UsageError("missing --method sobol|morris|lhs");
    const std::string m = vm["method"].as<std::string>();
    for (auto method :
         {experiment::SaMethod::sobol, experiment::SaMethod::morris, experiment::SaMethod::lhs})
        if (m == experiment::method_name(method)) return method;
    throw UsageError("--method: expected sobol, morris or lhs, got '" + m + "'");
}

experiment::SaOptions sa_options(const po::variables_map& vm, const Setup& s) {
    experiment::SaOptions o;
    o.method = method_of(vm);
    o.n = vm.count("n") ? vm["n"].as<std::uint64_t>() : 0;
    o.seed = vm.count("seed") ? vm["seed"].as<std::uint64_t>() : s.base->seed();
    o.levels = vm["levels"].as<std::uint64_t>();
    o.second_order = vm.count("second-order") > 0;
    o.maximin = std::max<std::uint64_t>(1, vm["maximin"].as<std::uint64_t>());
    o.quiet = vm.count("quiet") > 0;
    if (o.method == experiment::SaMethod::sobol && o.n != 0 && (o.n & (o.n - 1)) != 0)
        std::cerr << "essaim: -n " << o.n
                  << " is not a power of two: Sobol' points balance best at powers of two\n";
    if (o.levels < 2 || o.levels % 2 != 0)
        throw UsageError("--levels: expected an even number >= 2");
    return o;
}

nlohmann::ordered_json interval_json(const analysis::Interval& i) {
    return {number(i.low), number(i.high)};
}

nlohmann::ordered_json indices_json(const experiment::SensitivityAnalysis& sa,
                                    const experiment::SaResult& result) {
    nlohmann::ordered_json kpis = nlohmann::ordered_json::object();
    for (const auto& idx : result.indices) {
        nlohmann::ordered_json parameters = nlohmann::ordered_json::object();
        for (std::size_t i = 0; i < sa.space().size(); ++i) {
            nlohmann::ordered_json p;
            switch (sa.options().method) {
                case experiment::SaMethod::sobol:
                    p["S1"] = number(idx.sobol.first[i]);
                    p["S1_ci95"] = interval_json(idx.sobol.first_ci95[i]);
                    p["ST"] = number(idx.sobol.total[i]);
                    p["ST_ci95"] = interval_json(idx.sobol.total_ci95[i]);
                    break;
                case experiment::SaMethod::morris:
                    p["mu"] = number(idx.morris.mu[i]);
                    p["mu_star"] = number(idx.morris.mu_star[i]);
                    p["sigma"] = number(idx.morris.sigma[i]);
                    break;
                case experiment::SaMethod::lhs:
                    p["prcc"] = number(idx.prcc.prcc[i]);
                    p["prcc_ci95"] = interval_json(idx.prcc.ci95[i]);
                    break;
            }
            parameters[sa.space()[i].name] = p;
        }
        kpis[idx.kpi] = parameters;
    }
    return {{"method", experiment::method_name(sa.options().method)}, {"kpis", kpis}};
}

std::string fixed(double value, int digits) {
    if (std::isnan(value)) return "-";
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(digits);
    out << value;
    return out.str();
}

std::string bounds(const analysis::Interval& i, int digits) {
    std::ostringstream out;  // not operator+: GCC 12 warns falsely (-Wrestrict)
    out << '[' << fixed(i.low, digits) << ", " << fixed(i.high, digits) << ']';
    return out.str();
}

// One table per KPI, parameters ranked by their importance (ST, mu*, |PRCC|).
void print_ranking(std::ostream& out, const experiment::SensitivityAnalysis& sa,
                   const experiment::SaResult& result) {
    const auto method = sa.options().method;
    for (const auto& idx : result.indices) {
        const std::size_t d = sa.space().size();
        std::vector<std::size_t> order(d);
        std::iota(order.begin(), order.end(), 0);
        auto importance = [&](std::size_t i) {
            const double v = method == experiment::SaMethod::sobol    ? idx.sobol.total[i]
                             : method == experiment::SaMethod::morris ? idx.morris.mu_star[i]
                                                                      : std::abs(idx.prcc.prcc[i]);
            return std::isnan(v) ? -1.0 : v;
        };
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return importance(a) > importance(b);
        });
        out << '\n' << idx.kpi;
        if (!std::isnan(idx.noise_share))
            out << " (replication noise: " << fixed(100 * idx.noise_share, 1)
                << " % of a single run's variance)";
        out << '\n';
        std::vector<Table::Column> columns{{"rank"}, {"parameter", Table::Align::left}};
        if (method == experiment::SaMethod::sobol)
            for (const char* c : {"S1", "95% CI", "ST", "95% CI"}) columns.push_back({c});
        else if (method == experiment::SaMethod::morris)
            for (const char* c : {"mu*", "mu", "sigma"}) columns.push_back({c});
        else
            for (const char* c : {"PRCC", "95% CI"}) columns.push_back({c});
        Table table(columns);
        for (std::size_t rank = 0; rank < d; ++rank) {
            const std::size_t i = order[rank];
            std::vector<std::string> cells{std::to_string(rank + 1), sa.space()[i].name};
            if (method == experiment::SaMethod::sobol) {
                cells.insert(cells.end(),
                             {fixed(idx.sobol.first[i], 3), bounds(idx.sobol.first_ci95[i], 3),
                              fixed(idx.sobol.total[i], 3), bounds(idx.sobol.total_ci95[i], 3)});
            } else if (method == experiment::SaMethod::morris) {
                cells.insert(cells.end(),
                             {cell(idx.morris.mu_star[i], 4), cell(idx.morris.mu[i], 4),
                              cell(idx.morris.sigma[i], 4)});
            } else {
                cells.insert(cells.end(),
                             {fixed(idx.prcc.prcc[i], 3), bounds(idx.prcc.ci95[i], 3)});
            }
            table.add_row(cells);
        }
        table.print(out);
    }
}

}  // namespace

int sa_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim sa SCENARIO --method morris|sobol|lhs [--space FILE | --params NAME,...]\n"
        "                 [-n N] [-r R] [--kpi NAME]... [-o FILE.h5] [--json]\n"
        "       essaim sa --model ishigami|sobol-g --method ... [--g-a 78,12,0.5]\n\n"
        "Sensitivity analysis: a design over the parameter space (Sobol' matrices, Morris\n"
        "trajectories or a Latin hypercube) run with R replications per row (common random\n"
        "numbers), then Sobol' first-order and total indices with bootstrap intervals, Morris mu,\n"
        "mu* and sigma, or partial rank correlations, per KPI (docs/SENSITIVITY.md).";
    po::options_description options("Options");
    options.add_options()("help,h", "this help")("replications,r",
                                                 po::value<std::uint64_t>()->default_value(1),
                                                 "replications of every design row")(
        "kpi", po::value<std::vector<std::string>>(),
        "a KPI to analyse (repeatable; default: Dest1's "
        "entries, positive exit rate, days to first job, "
        "cost per positive exit, or every KPI of a small "
        "model)")("bootstrap", po::value<std::uint64_t>()->default_value(1000),
                  "sobol: bootstrap resamples for the intervals")(
        "threads", po::value<int>()->default_value(1), "worker threads")(
        "output,o", po::value<std::string>(), "sa file (default results/<name>-sa-<method>.h5)")(
        "no-output", "write no file")("json", "print one JSON object on stdout")(
        "engine", po::value<std::string>(), "the model's engine (dest1: event or daily)");
    add_design_options(options);
    add_store_options(options);
    add_max_memory_option(options);
    po::variables_map vm;
    if (!parse(args, options, usage, vm, {"scenario"}, 0)) return kOk;
    const CommandClock clock;
    const Setup s = setup_of(vm);
    experiment::SaOptions o = sa_options(vm, s);
    o.replications = vm["replications"].as<std::uint64_t>();
    if (o.replications < 1) throw UsageError("--replications must be at least 1");
    o.threads = vm["threads"].as<int>();
    if (o.threads < 1) throw UsageError("--threads must be at least 1");
    o.bootstrap = vm["bootstrap"].as<std::uint64_t>();
    if (vm.count("kpi")) o.kpis = vm["kpi"].as<std::vector<std::string>>();
    o.engine = engine_of(vm, *s.model);
    std::optional<experiment::SensitivityAnalysis> sa;
    try {
        sa.emplace(*s.model, s.base->source_text(), s.path, s.space, o);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    const std::string output =
        vm.count("no-output")
            ? ""
            : output_path(vm, s.base->name() + "-sa-" + experiment::method_name(o.method) + ".h5");
    const bool replacing = !output.empty() && output::exists(output);
    const StorePlan plan = store_plan(vm, output);
    check_memory(sa->sweep().estimate_bytes(), memory_limit_bytes(vm), "this analysis");
    if (experiment::distributed::rank() != 0) {
        sa->sweep().compute(nullptr);
        return kOk;
    }
    experiment::UnitStore store = open_store(plan, sa->store_meta(plan.shard, plan.shards));
    sa->sweep().compute(store, plan.shard, plan.shards);
    if (plan.sharded()) {
        report_shard(store, plan, vm.count("json") > 0, o.quiet);
        return kOk;
    }
    const experiment::SaResult result =
        sa->analyse([&](std::uint64_t id) { return store.get(id); });
    if (!output.empty()) {
        const experiment::Manifest manifest =
            experiment_manifest("sa", args, o.seed, o.threads, o.engine, clock);
        sa->write(output, result, manifest);
        remove_store(plan.path);
    }
    if (vm.count("json")) {
        std::cout << indices_json(*sa, result).dump() << '\n';
    } else {
        std::cout << "Sensitivity analysis (" << experiment::method_name(o.method) << ") of "
                  << s.model->name() << " " << s.base->name() << ": " << sa->design().rows()
                  << " design rows x " << o.replications << " replications, " << sa->space().size()
                  << " parameters\n";
        print_ranking(std::cout, *sa, result);
    }
    if (!output.empty()) report_written(output, replacing, o.quiet);
    return kOk;
}

int design_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim design SCENARIO --method morris|sobol|lhs [--space FILE | --params ...]\n"
        "                     [-n N] [--seed S] --csv FILE\n\n"
        "Writes the design points of an analysis as CSV: a header of key paths, one row of values\n"
        "per point, readable by `essaim sweep --design FILE` and by other tools.";
    po::options_description options("Options");
    options.add_options()("help,h", "this help")("csv", po::value<std::string>(), "the CSV file")(
        "unit", "also write the points on the unit hypercube (columns u_NAME)");
    add_design_options(options);
    po::variables_map vm;
    if (!parse(args, options, usage, vm, {"scenario"}, 0)) return kOk;
    if (!vm.count("csv")) throw UsageError("missing --csv FILE");
    const Setup s = setup_of(vm);
    const experiment::SaOptions o = sa_options(vm, s);
    const std::string path = vm["csv"].as<std::string>();
    check_output_path(path, input_paths(vm), "--csv");
    const bool replacing = output::exists(path);
    const analysis::UnitDesign design =
        experiment::unit_design(o.method, o.n, s.space.size(), o, nullptr);
    std::ostringstream csv;
    auto quoted = [](const std::string& v) {
        if (v.find_first_of(",\"\n") == std::string::npos) return v;
        std::string out = "\"";
        for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
        return out + "\"";
    };
    for (std::size_t i = 0; i < s.space.size(); ++i)
        csv << (i ? "," : "") << quoted(s.space[i].key + (s.space[i].scale ? "*" : ""));
    if (vm.count("unit"))
        for (const auto& p : s.space) csv << ",u_" << p.name;
    csv << '\n';
    for (std::size_t row = 0; row < design.rows(); ++row) {
        for (std::size_t i = 0; i < s.space.size(); ++i)
            csv << (i ? "," : "") << quoted(s.space[i].value_at(design.at(row, i)));
        if (vm.count("unit"))
            for (std::size_t i = 0; i < s.space.size(); ++i) {
                char buffer[32];
                std::snprintf(buffer, sizeof buffer, "%.17g", design.at(row, i));
                csv << ',' << buffer;
            }
        csv << '\n';
    }
    output::write_atomically(path, csv.str());
    std::cout << "wrote " << design.rows() << " points of " << s.space.size() << " parameters ("
              << experiment::method_name(o.method) << ") to " << path << '\n';
    if (replacing && !vm.count("quiet")) std::cerr << "replaced " << path << '\n';
    return kOk;
}

}  // namespace essaim::cli
