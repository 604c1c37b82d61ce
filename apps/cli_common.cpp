#include "apps/cli_common.hpp"

#include <cmath>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "essaim_commit.hpp"

namespace essaim::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

bool parse(const std::vector<std::string>& args, const po::options_description& options,
           const char* usage, po::variables_map& vm, const std::vector<std::string>& positionals) {
    po::positional_options_description positional;
    po::options_description all;
    all.add(options);
    for (const auto& name : positionals) {
        positional.add(name.c_str(), 1);
        all.add_options()(name.c_str(), po::value<std::string>(), name.c_str());
    }
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
        std::cout << usage << '\n' << options;
        return false;
    }
    for (const auto& name : positionals) {
        if (!vm.count(name)) {
            std::string upper = name;
            for (char& c : upper)
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            throw UsageError("missing " + upper);
        }
    }
    return true;
}

std::vector<std::string> overrides_of(const po::variables_map& vm) {
    return vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
}

std::string output_path(const po::variables_map& vm, const std::string& default_name) {
    if (vm.count("output")) {
        const std::string output = vm["output"].as<std::string>();
        const fs::path parent = fs::path(output).parent_path();
        if (!parent.empty() && !fs::is_directory(parent))
            throw UsageError("--output: directory '" + parent.string() + "' does not exist");
        return output;
    }
    fs::create_directories("results");
    return "results/" + default_name;
}

std::string now_utc_iso() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

dest1::RunManifest make_manifest(const std::string& command, const std::vector<std::string>& args,
                                 std::uint64_t seed, int threads, const std::string& started_at) {
    dest1::RunManifest manifest;
    manifest.essaim_version = ESSAIM_VERSION;
    manifest.git_commit = ESSAIM_GIT_COMMIT;
    manifest.command_line = "essaim " + command;
    for (const auto& a : args) manifest.command_line += " " + a;
    manifest.seed = seed;
    manifest.threads = threads;
    manifest.started_at = started_at;
    return manifest;
}

// Pads or cuts a UTF-8 name to `width` characters (territory names carry accents).
std::string fit(const std::string& text, std::size_t width) {
    std::string out;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool starts_char = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
        if (starts_char && chars == width) break;
        chars += starts_char;
        out += text[i];
    }
    return out + std::string(width - chars, ' ');
}

std::string cell(double value, int precision) {
    if (std::isnan(value)) return "-";
    if (std::abs(value) < 0.5 * std::pow(10.0, -precision)) value = 0;  // no "-0".
    std::ostringstream out;
    out << std::fixed << std::setprecision(precision) << value;
    return out.str();
}

nlohmann::ordered_json number(double value) {
    return std::isnan(value) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(value);
}

nlohmann::ordered_json kpi_json(const dest1::KpiValues& values) {
    nlohmann::ordered_json object;
    const auto& names = dest1::kpi_variables();
    for (int k = 0; k < dest1::kKpiCount; ++k) object[names[k].name] = number(values[k]);
    return object;
}

nlohmann::ordered_json summary_json(const analysis::Summary& s) {
    nlohmann::ordered_json o;
    o["mean"] = number(s.mean);
    o["sd"] = number(s.sd);
    o["se"] = number(s.se);
    o["ci95"] = {number(s.ci95_low), number(s.ci95_high)};
    o["q05"] = number(s.q05);
    o["q25"] = number(s.q25);
    o["q50"] = number(s.q50);
    o["q75"] = number(s.q75);
    o["q95"] = number(s.q95);
    o["replications_for_1pct"] = number(s.replications_for_1pct);
    o["n"] = s.n;
    return o;
}

}  // namespace essaim::cli
