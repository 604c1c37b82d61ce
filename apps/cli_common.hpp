#pragma once
// What the `essaim` commands share: option parsing with positional arguments, scenario overrides,
// output paths, manifests and JSON numbers.
#include <boost/program_options.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "analysis/summary.hpp"
#include "apps/cli.hpp"
#include "models/dest1/output_hdf5.hpp"
#include "models/dest1/outputs.hpp"

namespace essaim::experiment {
class Model;
}

namespace essaim::cli {

// Parses `args` against `options`; `positionals` name the positional arguments in order, the
// first `required` of them required (default: all). Returns false when --help was asked (and
// printed with `usage`).
bool parse(const std::vector<std::string>& args,
           const boost::program_options::options_description& options, const char* usage,
           boost::program_options::variables_map& vm,
           const std::vector<std::string>& positionals = {"scenario"},
           std::size_t required = static_cast<std::size_t>(-1));

std::vector<std::string> overrides_of(const boost::program_options::variables_map& vm);

// --output/-o if given, else results/<default_name> (created; the name made safe by
// output::safe_file_name), checked by check_output_path() before any work is done.
std::string output_path(const boost::program_options::variables_map& vm,
                        const std::string& default_name);

std::string now_utc_iso();
// When a command started, for its manifest's started_at and wall_seconds (the seconds until its
// file is written).
struct CommandClock {
    std::string started_at = now_utc_iso();
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
};
// `word` as one POSIX shell word (single-quoted unless it is made of safe characters only), so
// that a stored command line can be pasted back into a shell.
std::string shell_quote(const std::string& word);
dest1::RunManifest make_manifest(const std::string& command, const std::vector<std::string>& args,
                                 std::uint64_t seed, int threads, const std::string& started_at);
// The manifest of an experiment command's file: make_manifest with the model's engine, the start
// and the seconds until now.
dest1::RunManifest experiment_manifest(const std::string& command,
                                       const std::vector<std::string>& args, std::uint64_t seed,
                                       int threads, const std::string& engine,
                                       const CommandClock& clock);

// A number for a text table: fixed precision, "-" for NaN, never "-0".
std::string cell(double value, int precision);
// Pads or cuts a UTF-8 name to `width` characters (territory names carry accents).
std::string fit(const std::string& text, std::size_t width);

// A number, or null for NaN (a ratio with a zero denominator).
nlohmann::ordered_json number(double value);
nlohmann::ordered_json kpi_json(const dest1::KpiValues& values);
// {"mean", "sd", "se", "ci95": [lo, hi], "q05", ..., "q95", "replications_for_1pct", "n"}
nlohmann::ordered_json summary_json(const analysis::Summary& summary);

// Memory a command may use (--max-memory GIB), shared by the commands that run scenarios.
// The option, with its default explained in the help:
void add_max_memory_option(boost::program_options::options_description& options);
// The limit in bytes: --max-memory GIB when given (a number > 0, else UsageError), otherwise
// 80 % of the machine's physical memory (or of the cgroup's limit when that is lower).
std::uint64_t memory_limit_bytes(const boost::program_options::variables_map& vm);
// Throws UsageError "<what> needs about X GiB (estimate), more than the Y GiB allowed
// (--max-memory)" when `estimate` exceeds `limit` (both in bytes).
void check_memory(std::uint64_t estimate, std::uint64_t limit, const std::string& what);
// Bytes as GiB with three significant digits, e.g. "0.0712", "1.5", "3.73e+06".
std::string gib_text(std::uint64_t bytes);

// --engine checked against the model's engines ("" when not given); UsageError naming them.
std::string engine_of(const boost::program_options::variables_map& vm,
                      const experiment::Model& model);

// ---- Output files (docs/RELIABILITY.md)

// The files a command reads that an output must not overwrite: the positional "scenario",
// --design, --space and --targets, when present.
std::vector<std::string> input_paths(const boost::program_options::variables_map& vm);
// Refuses (UsageError, "<option>: ...") an output path that is empty, not a regular file, one of
// `inputs` or in a missing directory; IoError if its directory is not writable. Then registers
// it, so that an interrupted command says that it is unchanged (sim/interrupt.hpp).
void check_output_path(const std::string& path, const std::vector<std::string>& inputs,
                       const std::string& option = "--output");
// "wrote PATH" or, if a file was there before, "replaced PATH" on stderr, unless quiet.
void report_written(const std::string& path, bool existed_before, bool quiet);

}  // namespace essaim::cli
