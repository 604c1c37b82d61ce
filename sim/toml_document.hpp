#pragma once
// Generic TOML documents for configuration files: `extends` chains, `--set key.path=value`
// overrides, "did you mean" hints and re-serialisation. No knowledge of any model: a model walks
// the resulting TomlNode tree and validates it against its own schema.
//
// toml++ stays inside toml_document.cpp. Its node copies drop their source regions, and merging
// several files needs every value to remember the file it came from, so the document is converted
// once into this small tree, which carries its own positions.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/calendar.hpp"

namespace essaim {

// Where a value was written. line == 0 when there is no line (e.g. a value from `--set`, whose
// file reads "--set").
struct SourcePosition {
    std::string file;
    int line = 0;
    int column = 0;
};

// what() reads "FILE:LINE:COLUMN: KEY: message"; ":LINE:COLUMN" is left out when line == 0 and
// "KEY: " when the key is empty (e.g. a TOML syntax error). File, key and message are kept
// printable(), whatever bytes the input held.
class TomlError : public std::runtime_error {
public:
    TomlError(SourcePosition where, std::string key, std::string message);
    const SourcePosition& where() const { return where_; }
    const std::string& key() const { return key_; }
    const std::string& message() const { return message_; }

private:
    SourcePosition where_;
    std::string key_, message_;
};

// "FILE:LINE:COLUMN: KEY: message" with the same omissions as TomlError.
std::string format_located_message(const SourcePosition& where, std::string_view key,
                                   std::string_view message);

inline constexpr std::string_view kOverrideSource = "--set";

// Limits on what a document may be, far above any real scenario; each keeps a hostile file from
// exhausting memory or the stack (docs/SCENARIOS.md, "Limits").
inline constexpr std::uintmax_t kMaxFileBytes = 64u << 20;  // a file (and text) read as TOML
inline constexpr std::size_t kMaxExtendsDepth = 64;         // `extends` links followed in a chain
// Levels of nesting below the root: each table (and each dotted-key segment, which names one),
// array and array item counts one, so `[a.b]` then `c = [1]` puts the 1 at level 4.
inline constexpr std::size_t kMaxNestingDepth = 64;

// `text` where every byte that is not part of valid UTF-8, and NUL, reads `\xNN`: safe to print
// and to put in JSON. Valid UTF-8 without NUL comes back unchanged, so escaping twice changes
// nothing.
std::string printable(std::string_view text);

// Whether `text` is valid UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool is_valid_utf8(std::string_view text);

struct TomlNode {
    enum class Kind { table, array, string, integer, floating, boolean, date, time, date_time };

    Kind kind = Kind::table;
    std::string key;           // this node's key in its parent table; empty for array items
    SourcePosition key_where;  // where the key was written (tables made by a header: the header)
    SourcePosition where;      // where the value was written

    std::string text;  // string value; for time and date_time, their TOML spelling
    std::int64_t integer = 0;
    double floating = 0;
    bool boolean = false;
    Date date;
    std::vector<TomlNode> members;  // table members, in document order (keys are unique)
    std::vector<TomlNode> items;    // array items

    bool is_table() const { return kind == Kind::table; }
    bool is_array() const { return kind == Kind::array; }
    bool is_number() const { return kind == Kind::integer || kind == Kind::floating; }
    // Non-empty and made only of tables: written as [[key]] sections.
    bool is_array_of_tables() const;
    const TomlNode* find(std::string_view member) const;
    TomlNode* find(std::string_view member);
    // For "got ..." in messages: `-3`, `456.0`, `"abc"`, `2019-07-01`, `a table`, `an array`.
    std::string describe() const;
};

// Reads a TOML file. Only a regular file of at most kMaxFileBytes is read (a directory, device or
// FIFO is refused without being opened for reading). Strings and keys must be valid UTF-8 without
// NUL; nesting is limited to kMaxNestingDepth, `extends` chains to kMaxExtendsDepth. A top-level
// `extends = "base.toml"` (relative to the extending file) makes the result the base document
// deep-merged with this one: tables merge key by key, recursively; every other value (arrays and
// arrays of tables included) is replaced wholesale. Chains are followed, cycles are reported;
// `extends` is removed from the result. Throws TomlError.
TomlNode load_toml_file(const std::string& path);

// The same from text; `source_name` stands for the file in positions and resolves `extends`.
TomlNode parse_toml_text(std::string_view text, const std::string& source_name);

// Applies one "key.path=value" override. The value is read as a TOML value (`x = <value>`), or as
// a plain string if it is not one. A segment that addresses an array may be a 0-based index or,
// for an array of tables, the `name` of an element; an index equal to the array's size appends.
// Missing tables along the path are created. The new values' positions read "--set". The key path
// and string values must be valid UTF-8 without NUL, and the result nest at most kMaxNestingDepth.
void apply_override(TomlNode& root, std::string_view assignment);
// "key.path*=factor" (apply_override calls it for that form): multiplies every number under
// key.path, whose segments may be `*` (every member or item) — a family of values scaled by one
// factor, e.g. `territory.*.coaches*=1.2`. Integers are rounded. Throws TomlError when the factor
// is not a number or nothing under the path is a number.
void scale_numbers(TomlNode& root, std::string_view key_path, std::string_view factor);

// The document as TOML text, in document order; reading it back gives the same tree.
std::string to_toml_text(const TomlNode& root);

// Levenshtein distance (bytes).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `name` when the distance is <= 3 or one is a prefix of the other (the
// smallest distance wins, then the earliest candidate); nullopt otherwise.
std::optional<std::string> closest_name(std::string_view name,
                                        const std::vector<std::string>& candidates);

}  // namespace essaim
