#pragma once
// What the `essaim` commands share: option parsing with positional arguments, scenario overrides,
// output paths, manifests and JSON numbers.
#include <boost/program_options.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/summary.hpp"
#include "apps/cli.hpp"
#include "models/dest1/output_hdf5.hpp"
#include "models/dest1/outputs.hpp"

namespace essaim::cli {

// Parses `args` against `options`; `positionals` name the positional arguments in order (all
// required). Returns false when --help was asked (and printed with `usage`).
bool parse(const std::vector<std::string>& args,
           const boost::program_options::options_description& options, const char* usage,
           boost::program_options::variables_map& vm,
           const std::vector<std::string>& positionals = {"scenario"});

std::vector<std::string> overrides_of(const boost::program_options::variables_map& vm);

// --output/-o if given (its directory must exist), else results/<default_name> (created).
std::string output_path(const boost::program_options::variables_map& vm,
                        const std::string& default_name);

std::string now_utc_iso();
dest1::RunManifest make_manifest(const std::string& command, const std::vector<std::string>& args,
                                 std::uint64_t seed, int threads, const std::string& started_at);

// A number for a text table: fixed precision, "-" for NaN, never "-0".
std::string cell(double value, int precision);
// Pads or cuts a UTF-8 name to `width` characters (territory names carry accents).
std::string fit(const std::string& text, std::size_t width);

// A number, or null for NaN (a ratio with a zero denominator).
nlohmann::ordered_json number(double value);
nlohmann::ordered_json kpi_json(const dest1::KpiValues& values);
// {"mean", "sd", "se", "ci95": [lo, hi], "q05", ..., "q95", "replications_for_1pct", "n"}
nlohmann::ordered_json summary_json(const analysis::Summary& summary);

}  // namespace essaim::cli
