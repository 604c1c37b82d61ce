#include "apps/cli_common.hpp"

#include "experiment/model.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include "essaim_commit.hpp"
#include "sim/interrupt.hpp"
#include "sim/output_file.hpp"

namespace essaim::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

// Boost reads an unsigned option through lexical_cast, which wraps "-1" to 2^64 - 1: a seed,
// count or index given as a negative number is refused here, for every command at once.
void reject_negative_counts(const po::parsed_options& parsed, const po::options_description& all) {
    for (const po::option& option : parsed.options) {
        const po::option_description* description = all.find_nothrow(option.string_key, false);
        if (description == nullptr) continue;
        const auto* semantic = description->semantic().get();
        const bool is_unsigned =
            dynamic_cast<const po::typed_value<std::uint64_t>*>(semantic) != nullptr ||
            dynamic_cast<const po::typed_value<unsigned>*>(semantic) != nullptr;
        if (!is_unsigned) continue;
        for (const std::string& value : option.value) {
            const auto first = value.find_first_not_of(" \t");
            if (first != std::string::npos && value[first] == '-') {
                std::ostringstream message;  // not operator+: GCC 12 warns falsely (-Wrestrict)
                message << "--" << option.string_key << ": expected a non-negative integer, got '"
                        << value << "'";
                throw UsageError(message.str());
            }
        }
    }
}

}  // namespace

bool parse(const std::vector<std::string>& args, const po::options_description& options,
           const char* usage, po::variables_map& vm, const std::vector<std::string>& positionals,
           std::size_t required) {
    po::positional_options_description positional;
    po::options_description all;
    all.add(options);
    for (const auto& name : positionals) {
        positional.add(name.c_str(), 1);
        all.add_options()(name.c_str(), po::value<std::string>(), name.c_str());
    }
    const po::parsed_options parsed =
        po::command_line_parser(args).options(all).positional(positional).run();
    reject_negative_counts(parsed, all);
    po::store(parsed, vm);
    po::notify(vm);
    if (vm.count("help")) {
        std::cout << usage << '\n' << options;
        return false;
    }
    for (std::size_t i = 0; i < positionals.size() && i < required; ++i) {
        const std::string& name = positionals[i];
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
    const bool given = vm.count("output") > 0;
    std::string path;
    if (given) {
        path = vm["output"].as<std::string>();
    } else {
        std::error_code ignored;  // a "results" that is not a directory is reported below
        fs::create_directories("results", ignored);
        path = "results/" + output::safe_file_name(default_name);
    }
    try {
        check_output_path(path, input_paths(vm), given ? "--output" : "default output file");
    } catch (const UsageError& e) {
        // The commands that take -o here can also write nothing, which may be what was meant.
        if (path.empty() || output::exists(path))
            throw UsageError(std::string(e.what()) + " (--no-output writes no file)");
        throw;
    }
    return path;
}

std::string shell_quote(const std::string& word) {
    const bool plain = !word.empty() && word.find_first_not_of(
                                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789_@%+=:,./-") == std::string::npos;
    if (plain) return word;
    // Inside single quotes nothing is special but the quote itself, written as '\''.
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
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
    for (const auto& a : args) manifest.command_line.append(" ").append(shell_quote(a));
    manifest.seed = seed;
    manifest.threads = threads;
    manifest.started_at = started_at;
    return manifest;
}

dest1::RunManifest experiment_manifest(const std::string& command,
                                       const std::vector<std::string>& args, std::uint64_t seed,
                                       int threads, const std::string& engine,
                                       const CommandClock& clock) {
    dest1::RunManifest manifest = make_manifest(command, args, seed, threads, clock.started_at);
    manifest.engine = engine;
    manifest.wall_seconds = clock.seconds();
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

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kDefaultMemoryShare = 0.8;

// A container may be given less than the machine has: its cgroup limit, when one is set.
std::optional<std::uint64_t> cgroup_limit_bytes() {
    for (const char* path :
         {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
        std::ifstream file(path);
        std::uint64_t limit = 0;
        if (file >> limit && limit > 0) return limit;  // "max" (no limit) does not read
    }
    return std::nullopt;
}

std::uint64_t physical_memory_bytes() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    std::uint64_t bytes = std::uint64_t{8} << 30;  // unknown: 8 GiB
    if (pages > 0 && page > 0)
        bytes = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
    if (const auto limit = cgroup_limit_bytes()) bytes = std::min(bytes, *limit);
    return bytes;
}

std::uint64_t default_memory_limit() {
    return static_cast<std::uint64_t>(kDefaultMemoryShare *
                                      static_cast<double>(physical_memory_bytes()));
}

}  // namespace

std::string gib_text(std::uint64_t bytes) {
    std::ostringstream out;
    out << std::setprecision(3) << static_cast<double>(bytes) / kGiB;
    return out.str();
}

void add_max_memory_option(po::options_description& options) {
    const std::string help =
        "refuse to start when the run's memory estimate exceeds this many GiB (default: 80 % of "
        "the physical memory, " +
        gib_text(default_memory_limit()) + " GiB here)";
    options.add_options()("max-memory", po::value<double>()->value_name("GIB"), help.c_str());
}

std::uint64_t memory_limit_bytes(const po::variables_map& vm) {
    if (!vm.count("max-memory")) return default_memory_limit();
    const double value = vm["max-memory"].as<double>();
    if (!(value > 0) || !std::isfinite(value) || value * kGiB >= 1.8e19) {
        std::ostringstream shown;
        shown << value;
        throw UsageError("--max-memory: expected a number of GiB > 0, got " + shown.str());
    }
    return static_cast<std::uint64_t>(value * kGiB);
}

void check_memory(std::uint64_t estimate, std::uint64_t limit, const std::string& what) {
    if (estimate <= limit) return;
    throw UsageError(what + " needs about " + gib_text(estimate) +
                     " GiB (estimate), more than the " + gib_text(limit) +
                     " GiB allowed (--max-memory)");
}

// ---- Output files (docs/RELIABILITY.md)

std::vector<std::string> input_paths(const po::variables_map& vm) {
    std::vector<std::string> inputs;
    for (const char* name : {"scenario", "design", "space", "targets"})
        if (vm.count(name) && vm[name].value().type() == typeid(std::string))
            inputs.push_back(vm[name].as<std::string>());
    return inputs;
}

void check_output_path(const std::string& path, const std::vector<std::string>& inputs,
                       const std::string& option) {
    try {
        output::check_path(path, inputs);
    } catch (const output::PathError& e) {
        throw UsageError(option + ": " + e.what());
    }
    interrupt::add_output(path, output::exists(path));
}

void report_written(const std::string& path, bool existed_before, bool quiet) {
    if (!quiet) std::cerr << (existed_before ? "replaced " : "wrote ") << path << '\n';
}

std::string engine_of(const boost::program_options::variables_map& vm,
                      const experiment::Model& model) {
    if (!vm.count("engine")) return "";
    const std::string engine = vm["engine"].as<std::string>();
    const auto engines = model.engines();
    if (std::find(engines.begin(), engines.end(), engine) != engines.end()) return engine;
    std::string known;
    for (const auto& e : engines) known += (known.empty() ? "" : ", ") + e;
    throw UsageError("--engine: the " + model.name() + " model has " +
                     (known.empty() ? std::string("one engine only") : "the engines " + known) +
                     ", not '" + engine + "'");
}

}  // namespace essaim::cli
