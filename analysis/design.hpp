#pragma once
// Experimental designs over scenario keys: each design point is a list of `key.path=value`
// overrides, applied to a base scenario and validated like `--set`.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace essaim::analysis {

using Setting = std::pair<std::string, std::string>;  // key path, value as TOML text
using DesignPoint = std::vector<Setting>;

struct DesignError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The largest design file read, as for scenario files.
inline constexpr std::uintmax_t kMaxDesignBytes = 64u << 20;

// "parcours.caseload=20,25,30" -> key and its levels. Throws DesignError for a malformed grid,
// an empty value included (`k=20,`, `k=,20`, `k=20,,30`).
std::pair<std::string, std::vector<std::string>> parse_grid(const std::string& text);

// Every combination of the grids' levels; the last grid varies fastest. Throws DesignError when
// two grids name the same key (each point would silently keep only the last one's value).
std::vector<DesignPoint> full_factorial(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& grids);

// A CSV file: a header of distinct key paths, then one design point per row (RFC 4180 quoting, so
// values with commas, e.g. TOML arrays, can be given in double quotes). A UTF-8 byte-order mark
// at the start is skipped. Only a regular file of at most kMaxDesignBytes is read. Errors name
// the file and, for its content, the line.
std::vector<DesignPoint> read_design_csv(const std::string& path);

}  // namespace essaim::analysis
