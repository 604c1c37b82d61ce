// `essaim calibrate`: ABC-SMC calibration of any model against observed figures
// (docs/CALIBRATION.md).
#include <boost/program_options.hpp>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "apps/cli.hpp"
#include "apps/cli_common.hpp"
#include "apps/space_setup.hpp"
#include "apps/table.hpp"
#include "apps/unit_stores.hpp"
#include "experiment/calibration.hpp"
#include "experiment/distributed.hpp"
#include "sim/output_file.hpp"

namespace essaim::cli {
namespace po = boost::program_options;

namespace {

void add_options(po::options_description& options) {
    options.add_options()("help,h", "this help")(
        "targets", po::value<std::string>(), "targets file (docs/CALIBRATION.md)")(
        "space", po::value<std::string>(), "parameter space file: the priors")(
        "params", po::value<std::string>(),
        "NAME,NAME,...: registry parameters, uniform priors on their allowed ranges")(
        "particles", po::value<std::uint64_t>()->default_value(500), "particles per generation")(
        "replications,r", po::value<std::uint64_t>()->default_value(1),
        "runs per particle (a particle's weight: the share within the tolerance)")(
        "seed", po::value<std::uint64_t>(), "seed (default: the scenario's)")(
        "final-tolerance", po::value<double>(),
        "stop once the tolerance reaches this distance (0: exact matching, for discrete KPIs)")(
        "quantile", po::value<double>()->default_value(0.5),
        "next tolerance: this quantile of the last generation's distances")(
        "min-acceptance", po::value<double>()->default_value(0.01),
        "stop when a generation would accept fewer proposals than this share")(
        "max-simulations", po::value<std::uint64_t>()->default_value(0),
        "stop before the generations' runs (proposals x R up to each generation's N-th "
        "acceptance) exceed this (0: no limit)")(
        "max-generations", po::value<std::uint64_t>()->default_value(30), "at most this many generations")(
        "predictive", po::value<std::uint64_t>()->default_value(0),
        "posterior predictive runs (0: as many as particles)")(
        "threads", po::value<int>()->default_value(1), "worker threads")(
        "output,o", po::value<std::string>(), "calibration file (default results/<name>-calibration.h5)")(
        "no-output", "write no file")("json", "print one JSON object on stdout")(
        "engine", po::value<std::string>(), "the model's engine (dest1: event or daily)")(
        "model", po::value<std::string>(), "the model (default: the scenario's scenario.model)")(
        "set", po::value<std::vector<std::string>>()->composing(),
        "override a key of the base scenario (repeatable)")("quiet,q",
                                                            "no progress or diagnostics on stderr");
}

experiment::CalibrationOptions options_of(const po::variables_map& vm, const Setup& s) {
    experiment::CalibrationOptions o;
    o.particles = vm["particles"].as<std::uint64_t>();
    o.replications = vm["replications"].as<std::uint64_t>();
    o.seed = vm.count("seed") ? vm["seed"].as<std::uint64_t>() : s.base->seed();
    if (vm.count("final-tolerance")) {
        o.final_tolerance = vm["final-tolerance"].as<double>();
        if (!(o.final_tolerance >= 0) || !std::isfinite(o.final_tolerance))
            throw UsageError("--final-tolerance: expected a distance >= 0");
    }
    o.quantile = vm["quantile"].as<double>();
    o.min_acceptance = vm["min-acceptance"].as<double>();
    o.max_simulations = vm["max-simulations"].as<std::uint64_t>();
    o.max_generations = vm["max-generations"].as<std::uint64_t>();
    o.predictive = vm["predictive"].as<std::uint64_t>();
    o.threads = vm["threads"].as<int>();
    o.quiet = vm.count("quiet") > 0;
    if (o.particles < 2) throw UsageError("--particles must be at least 2");
    if (o.replications < 1) throw UsageError("--replications must be at least 1");
    if (o.threads < 1) throw UsageError("--threads must be at least 1");
    if (!(o.quantile > 0 && o.quantile < 1)) throw UsageError("--quantile: expected a share in (0, 1)");
    if (!(o.min_acceptance > 0 && o.min_acceptance <= 1))
        throw UsageError("--min-acceptance: expected a share in (0, 1]");
    if (o.max_generations < 1 || o.max_generations >= experiment::kPredictiveGeneration)
        throw UsageError("--max-generations: expected 1 to " +
                         std::to_string(experiment::kPredictiveGeneration - 1));
    if (o.max_simulations > 0 && o.max_simulations < o.particles * o.replications)
        throw UsageError("--max-simulations: the first generation alone needs particles x "
                         "replications = " + std::to_string(o.particles * o.replications) + " runs");
    o.engine = engine_of(vm, *s.model);
    return o;
}

nlohmann::ordered_json result_json(const experiment::Calibration& c,
                                   const experiment::CalibrationResult& result) {
    nlohmann::ordered_json parameters = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < c.space().size(); ++i) {
        const auto& p = result.posterior[i];
        parameters[c.space()[i].name] = {{"mean", number(p.mean)}, {"sd", number(p.sd)},
                                         {"q05", number(p.q05)},   {"q50", number(p.q50)},
                                         {"q95", number(p.q95)}};
    }
    const auto& last = result.generations.back();
    return {{"parameters", parameters},
            {"accepted", last.population.size()},
            {"tolerance", number(last.tolerance)}};
}

std::string significant(double value) {
    if (std::isnan(value)) return "-";
    if (std::isinf(value)) return "inf";
    std::ostringstream out;
    out.precision(4);
    out << value;
    return out.str();
}

void print_generations(std::ostream& out, const experiment::Calibration& c,
                       const experiment::CalibrationResult& result) {
    Table table({{"generation"}, {"tolerance"}, {"proposals"}, {"simulations"}, {"acceptance"},
                 {"ESS"}});
    for (std::size_t g = 0; g < result.generations.size(); ++g) {
        const auto& gen = result.generations[g];
        table.add_row({std::to_string(g), significant(gen.tolerance), std::to_string(gen.proposals),
                       std::to_string(gen.simulations(c.options().replications)),
                       cell(gen.acceptance_rate(), 3), cell(gen.effective_sample_size, 0)});
    }
    table.print(out);
    out << "stopped: " << result.stopped << "; " << result.simulations << " runs, "
        << cell(result.wall_seconds, 1) << " s\n";
}

void print_posterior(std::ostream& out, const experiment::Calibration& c,
                     const experiment::CalibrationResult& result) {
    out << "\nPosterior (generation " << result.generations.size() - 1 << ", tolerance "
        << significant(result.generations.back().tolerance) << ")\n";
    Table table({{"parameter", Table::Align::left}, {"mean"}, {"sd"}, {"q05"}, {"q50"}, {"q95"}});
    for (std::size_t i = 0; i < c.space().size(); ++i) {
        const auto& p = result.posterior[i];
        table.add_row({c.space()[i].name, significant(p.mean), significant(p.sd),
                       significant(p.q05), significant(p.q50), significant(p.q95)});
    }
    table.print(out);
}

void print_predictive(std::ostream& out, const experiment::Calibration& c,
                      const experiment::CalibrationResult& result) {
    out << "\nPosterior predictive check (" << result.predictive.front().draws.size()
        << " runs drawn from the posterior)\n";
    Table table({{"target", Table::Align::left}, {"observed"}, {"q05"}, {"q50"}, {"q95"},
                 {"P(sim<=obs)"}, {"within 90%", Table::Align::left}});
    for (std::size_t t = 0; t < c.targets().size(); ++t) {
        const auto& p = result.predictive[t];
        const double v = c.targets()[t].value;
        const bool within = v >= p.summary.q05 && v <= p.summary.q95;
        table.add_row({c.targets()[t].name, significant(v), significant(p.summary.q05),
                       significant(p.summary.q50), significant(p.summary.q95),
                       cell(p.share_below, 3), within ? "yes" : "no"});
    }
    table.print(out);
}

}  // namespace

int calibrate_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim calibrate SCENARIO --space SPACE.toml --targets TARGETS.toml [-o FILE.h5]\n"
        "                        [--particles N] [-r R] [--final-tolerance EPS] [--json]\n"
        "       essaim calibrate --model binomial --targets TARGETS.toml [--params p]\n\n"
        "Calibration by ABC-SMC (population Monte Carlo, adaptive tolerance and kernel): the\n"
        "posterior of the space's parameters given the targets' observed values, with a\n"
        "posterior predictive check of every target (docs/CALIBRATION.md).";
    po::options_description options("Options");
    add_options(options);
    add_store_options(options);
    po::variables_map vm;
    if (!parse(args, options, usage, vm, {"scenario"}, 0)) return kOk;
    const CommandClock clock;
    if (!vm.count("targets")) throw UsageError("missing --targets FILE");
    if (vm.count("shard"))
        throw UsageError("--shard: a calibration's generations depend on each other, so it cannot "
                         "be split into independent shards; run it on several machines with "
                         "mpirun (docs/HPC.md), or resume it with --resume");
    const Setup s = setup_of(vm);
    const experiment::CalibrationOptions o = options_of(vm, s);
    auto targets = experiment::read_targets_file(vm["targets"].as<std::string>());
    std::optional<experiment::Calibration> calibration;
    try {
        calibration.emplace(*s.model, s.base->source_text(), s.path, s.space, std::move(targets), o);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    const std::string output =
        vm.count("no-output") ? "" : output_path(vm, s.base->name() + "-calibration.h5");
    const bool replacing = !output.empty() && output::exists(output);
    if (experiment::distributed::rank() != 0) {
        calibration->run(nullptr);
        return kOk;
    }
    const StorePlan plan = store_plan(vm, output);
    std::optional<experiment::UnitStore> store = open_store(plan, calibration->store_meta());
    const experiment::CalibrationResult result = [&] {
        try {
            return calibration->run(&*store);
        } catch (const experiment::UndefinedTargets&) {
            // Targets that no run can compute: the runs are of no use to corrected targets (a
            // different experiment), so the store goes too. Any other error keeps it for --resume.
            store.reset();
            remove_store(plan.path);
            throw;
        }
    }();
    if (!output.empty()) {
        const experiment::Manifest manifest =
            experiment_manifest("calibrate", args, o.seed, o.threads, o.engine, clock);
        calibration->write(output, result, manifest);
        remove_store(plan.path);
    }
    if (vm.count("json")) {
        std::cout << result_json(*calibration, result).dump() << '\n';
    } else {
        std::cout << "Calibration (ABC-SMC) of " << s.model->name()
                  << (s.base->name() != s.model->name() ? " " + s.base->name() : "") << ": "
                  << o.particles << " particles x " << o.replications << " replication"
                  << (o.replications > 1 ? "s" : "") << ", " << calibration->space().size()
                  << " parameters, " << calibration->targets().size() << " targets\n";
        print_generations(std::cout, *calibration, result);
        print_posterior(std::cout, *calibration, result);
        print_predictive(std::cout, *calibration, result);
    }
    if (!output.empty()) report_written(output, replacing, o.quiet);
    return kOk;
}

}  // namespace essaim::cli
