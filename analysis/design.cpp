#include "analysis/design.hpp"

#include "sim/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>

namespace essaim::analysis {

namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string::npos) return "";
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// The length of the valid UTF-8 sequence at text[i], or 0 (overlong forms, surrogates and code
// points above U+10FFFF are not valid).
std::size_t utf8_length(std::string_view text, std::size_t i) {
    const auto at = [&](std::size_t k) -> unsigned {
        return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
    };
    const unsigned lead = at(0);
    if (lead < 0x80) return 1;
    const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    const unsigned low = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
    const unsigned high = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
    if (lead < 0xC2 || lead > 0xF4 || at(1) < low || at(1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k) {
        if ((at(k) & 0xC0) != 0x80) return 0;
    }
    return length;
}

// `text` quoted for a message, its bytes that are not UTF-8 (and NUL) as \xNN: messages reach
// terminals and JSON whatever a design file holds.
std::string quoted(std::string_view text) {
    std::string out = "'";
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_length(text, i);
        if (length == 0 || text[i] == '\0') {
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\x%02X", static_cast<unsigned char>(text[i]));
            out += buffer;
            ++i;
        } else {
            out.append(text, i, length);
            i += length;
        }
    }
    return out + "'";
}

// One CSV record; false at a malformed quote.
bool split_csv(const std::string& line, std::vector<std::string>& fields) {
    fields.clear();
    std::string field;
    bool quoted = false, was_quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"' && trim(field).empty()) {
            quoted = was_quoted = true;
            field.clear();
        } else if (c == ',') {
            fields.push_back(was_quoted ? field : trim(field));
            field.clear();
            was_quoted = false;
        } else {
            field += c;
        }
    }
    if (quoted) return false;
    fields.push_back(was_quoted ? field : trim(field));
    return true;
}

// Only a regular file of at most kMaxDesignBytes is read (sim/input_file.hpp).
std::string read_design_file(const std::string& path) {
    try {
        return read_regular_file(path, kMaxDesignBytes);
    } catch (const InputFileProblem& problem) {
        std::string why;
        switch (problem.kind) {
            case InputFileProblem::Kind::not_regular:
                why = "is " + std::string(problem.what()) + ", not a regular file";
                break;
            case InputFileProblem::Kind::too_large:
                why = "is larger than the limit of " + std::to_string(kMaxDesignBytes >> 20) +
                      " MiB";
                break;
            case InputFileProblem::Kind::unreadable:
                why = "cannot be read: " + std::string(problem.what());
                break;
        }
        throw DesignError(path + ": the design file " + why);
    }
}

std::string at_line(const std::string& path, int line) {
    return path + ":" + std::to_string(line) + ": ";
}

void check_header(const std::vector<std::string>& header, const std::string& path, int line) {
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i].empty()) {
            throw DesignError(at_line(path, line) + "empty column name in the header (column " +
                              std::to_string(i + 1) + ")");
        }
        const auto first = std::find(header.begin(), header.begin() + i, header[i]);
        if (first != header.begin() + i) {
            throw DesignError(at_line(path, line) + "column " + quoted(header[i]) +
                              " is given twice (columns " +
                              std::to_string(first - header.begin() + 1) + " and " +
                              std::to_string(i + 1) + "): each key needs one column");
        }
    }
}

}  // namespace

std::pair<std::string, std::vector<std::string>> parse_grid(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || trim(text.substr(0, eq)).empty())
        throw DesignError("--grid " + quoted(text) + ": expected key.path=value1,value2,...");
    const std::string values = text.substr(eq + 1);
    if (trim(values).empty()) throw DesignError("--grid " + quoted(text) + ": no values after '='");
    // Every item counts, the last one too: std::getline would drop an empty one after a comma.
    std::vector<std::string> levels;
    for (std::size_t from = 0;;) {
        const std::size_t comma = values.find(',', from);
        const std::string level = trim(values.substr(from, comma - from));
        if (level.empty()) {
            throw DesignError("--grid " + quoted(text) + ": value " +
                              std::to_string(levels.size() + 1) +
                              " is empty (values are separated by single commas)");
        }
        levels.push_back(level);
        if (comma == std::string::npos) break;
        from = comma + 1;
    }
    return {trim(text.substr(0, eq)), levels};
}

std::vector<DesignPoint> full_factorial(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& grids) {
    for (auto it = grids.begin(); it != grids.end(); ++it) {
        const auto same = [&](const auto& grid) { return grid.first == it->first; };
        if (std::any_of(grids.begin(), it, same)) {
            throw DesignError("--grid: key " + quoted(it->first) +
                              " is given twice (give all its values in one --grid " +
                              "key.path=v1,v2,...)");
        }
    }
    std::vector<DesignPoint> points{{}};
    for (const auto& [key, levels] : grids) {
        std::vector<DesignPoint> next;
        for (const auto& point : points)
            for (const auto& level : levels) {
                DesignPoint extended = point;
                extended.emplace_back(key, level);
                next.push_back(std::move(extended));
            }
        points = std::move(next);
    }
    return points;
}

std::vector<DesignPoint> read_design_csv(const std::string& path) {
    std::string text = read_design_file(path);
    // Spreadsheets often start a UTF-8 CSV with a byte-order mark; it is not part of the first key.
    if (std::string_view(text).starts_with(kByteOrderMark)) text.erase(0, kByteOrderMark.size());
    std::istringstream in(text);
    std::string line;
    std::vector<std::string> header, fields;
    int number = 0;
    std::vector<DesignPoint> points;
    while (std::getline(in, line)) {
        ++number;
        if (trim(line).empty()) continue;
        if (!split_csv(line, fields))
            throw DesignError(at_line(path, number) + "unbalanced double quote");
        if (header.empty()) {
            check_header(fields, path, number);
            header = fields;
            continue;
        }
        if (fields.size() != header.size())
            throw DesignError(at_line(path, number) + "expected " + std::to_string(header.size()) +
                              " values (one per header column), got " +
                              std::to_string(fields.size()));
        DesignPoint point;
        for (std::size_t i = 0; i < header.size(); ++i) {
            if (fields[i].empty())
                throw DesignError(at_line(path, number) + "empty value for " + quoted(header[i]));
            point.emplace_back(header[i], fields[i]);
        }
        points.push_back(std::move(point));
    }
    if (header.empty())
        throw DesignError(path + ": empty design file (expected a header of key paths)");
    if (points.empty()) throw DesignError(path + ": no design points after the header");
    return points;
}

}  // namespace essaim::analysis
