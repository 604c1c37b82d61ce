// `essaim generate national`: writes a synthetic national scenario (docs/ESSAIMAGE.md).
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "apps/cli_common.hpp"
#include "models/dest1/generate.hpp"
#include "models/dest1/scenario_toml.hpp"
#include "sim/output_file.hpp"

namespace essaim::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

int generate_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim generate national --territories N [--seed S] -o FILE.toml [--start DATE]\n"
        "                                [--years Y] [--policy dates|need|proximity] [--budget "
        "EUR]\n"
        "                                [--eligible-total N] [--json]\n\n"
        "Writes a complete synthetic national scenario (no `extends`): N territories with varied "
        "pools\n"
        "and inflows, coach recruitment ramps, opening waves (or candidates for a roll-out policy) "
        "and\n"
        "a proximity graph from their coordinates. The same options always give the same file.";
    po::options_description options("Options");
    options.add_options()("help,h", "this help")(
        "territories", po::value<int>()->default_value(1000), "number of territories (1..20000)")(
        "seed", po::value<std::uint64_t>()->default_value(1),
        "seed of the generator and of the scenario")("output,o", po::value<std::string>(),
                                                     "scenario file to write")(
        "start", po::value<std::string>()->default_value("2024-01-01"), "first day")(
        "years", po::value<int>()->default_value(6), "length of the run in years")(
        "policy", po::value<std::string>()->default_value("dates"),
        "dates: quarterly waves in random order; need or proximity: candidates for that roll-out "
        "policy")("budget", po::value<double>()->default_value(0),
                  "yearly budget for coaches and hubs (need, proximity)")(
        "eligible-total", po::value<double>()->value_name("N"),
        "eligible people in all territories together (default 1700000: France's \"halo around "
        "unemployment\" at the end of 2019)")("json", "print one JSON object on stdout")(
        "quiet,q", "nothing on stderr");
    po::variables_map vm;
    if (!parse(args, options, usage, vm, {"kind"})) return kOk;
    if (vm["kind"].as<std::string>() != "national")
        throw UsageError("unknown kind '" + vm["kind"].as<std::string>() +
                         "' (expected: national)");
    if (!vm.count("output")) throw UsageError("missing -o FILE.toml");
    dest1::NationalOptions o;
    o.territories = vm["territories"].as<int>();
    o.seed = vm["seed"].as<std::uint64_t>();
    o.years = vm["years"].as<int>();
    o.budget_per_year = vm["budget"].as<double>();
    const auto start = parse_iso_date(vm["start"].as<std::string>());
    if (!start)
        throw UsageError("--start: expected a date YYYY-MM-DD, got '" +
                         vm["start"].as<std::string>() + "'");
    o.start = *start;
    const std::string policy = vm["policy"].as<std::string>();
    const auto code = dest1::code_of(policy, dest1::kRolloutPolicyNames);
    if (!code)
        throw UsageError("--policy: expected dates, need or proximity, got '" + policy + "'");
    o.policy = static_cast<dest1::RolloutPolicy>(*code);
    if (o.territories < 1 || o.territories > 20000)
        throw UsageError("--territories must be in 1..20000");
    if (o.years < 1 || o.years > 50) throw UsageError("--years must be in 1..50");
    if (!(o.budget_per_year >= 0)) throw UsageError("--budget must be >= 0");
    if (vm.count("eligible-total")) {
        const double total = vm["eligible-total"].as<double>();
        if (!(total >= o.territories && total <= dest1::kMaxEligibleTotal) ||
            total != std::floor(total)) {
            std::ostringstream shown;
            shown << std::setprecision(15) << total;
            throw UsageError(
                "--eligible-total: expected a whole number of people from --territories (" +
                std::to_string(o.territories) + ") to 1000000000, got " + shown.str());
        }
        o.eligible_total = static_cast<std::int64_t>(total);
    }

    const std::string output = vm["output"].as<std::string>();
    check_output_path(output, {});
    const std::string text = dest1::generate_national(o);
    // The generator's output must be a valid scenario; a failure here is a bug (exit code 1).
    try {
        dest1::parse_scenario(text, output);
    } catch (const dest1::ScenarioError& e) {
        throw std::runtime_error(std::string("generated scenario is invalid: ") + e.what());
    }
    const bool replaced = output::exists(output);
    output::write_atomically(output, text);
    if (replaced && !vm.count("quiet")) std::cerr << "replaced " << output << '\n';
    if (vm.count("json")) {
        nlohmann::ordered_json json;
        json["file"] = output;
        json["territories"] = o.territories;
        json["seed"] = o.seed;
        json["policy"] = policy;
        json["bytes"] = text.size();
        std::cout << json.dump() << '\n';
    } else {
        std::cout << "wrote " << output << " (" << o.territories << " territories, policy "
                  << policy << ")\n";
    }
    return kOk;
}

}  // namespace essaim::cli
