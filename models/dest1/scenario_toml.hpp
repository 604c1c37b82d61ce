#pragma once
// Reading a Dest1 scenario from TOML: `extends` chains, `--set key.path=value` overrides, and
// strict validation into a Scenario value. Every error names the file, line:column and key path.
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "models/dest1/scenario.hpp"

namespace essaim::dest1 {

// A bad scenario. what() reads "FILE:LINE:COLUMN: KEY.PATH: message" (line and column omitted when
// unknown, e.g. for a missing key, where the enclosing table's position is given instead). Every
// part is valid UTF-8 without NUL: other bytes read \xNN.
class ScenarioError : public std::runtime_error {
public:
    ScenarioError(std::string file, int line, int column, std::string key, std::string message);
    const std::string& file() const { return file_; }
    int line() const { return line_; }
    int column() const { return column_; }
    const std::string& key() const { return key_; }
    const std::string& message() const { return message_; }

private:
    std::string file_;
    int line_, column_;
    std::string key_, message_;
};

// Reads `path` (following `extends`), applies each "key.path=value" override in order, validates.
// The limits of sim/toml_document.hpp apply: a regular file of at most 64 MiB, `extends` chains
// and nesting at most 64 deep, strings and keys in UTF-8 without NUL.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides = {});

// The same from text; `source_name` stands for the file in messages and resolves relative
// `extends` paths against its directory.
Scenario parse_scenario(std::string_view text, const std::string& source_name,
                        const std::vector<std::string>& overrides = {});

}  // namespace essaim::dest1
