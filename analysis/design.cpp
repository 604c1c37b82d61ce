#include "analysis/design.hpp"

#include <fstream>
#include <sstream>

namespace essaim::analysis {

namespace {

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string::npos) return "";
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
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

}  // namespace

std::pair<std::string, std::vector<std::string>> parse_grid(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || trim(text.substr(0, eq)).empty())
        throw DesignError("--grid '" + text + "': expected key.path=value1,value2,...");
    std::vector<std::string> levels;
    std::string level;
    std::istringstream values(text.substr(eq + 1));
    while (std::getline(values, level, ',')) {
        if (trim(level).empty())
            throw DesignError("--grid '" + text + "': empty value (values are separated by commas)");
        levels.push_back(trim(level));
    }
    if (levels.empty()) throw DesignError("--grid '" + text + "': no values after '='");
    return {trim(text.substr(0, eq)), levels};
}

std::vector<DesignPoint> full_factorial(const std::vector<std::pair<std::string, std::vector<std::string>>>& grids) {
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
    std::ifstream in(path);
    if (!in) throw DesignError(path + ": cannot open the design file");
    std::string line;
    std::vector<std::string> header, fields;
    int number = 0;
    std::vector<DesignPoint> points;
    while (std::getline(in, line)) {
        ++number;
        if (trim(line).empty()) continue;
        if (!split_csv(line, fields))
            throw DesignError(path + ":" + std::to_string(number) + ": unbalanced double quote");
        if (header.empty()) {
            header = fields;
            for (const auto& key : header)
                if (key.empty()) throw DesignError(path + ":" + std::to_string(number) + ": empty column name in the header");
            continue;
        }
        if (fields.size() != header.size())
            throw DesignError(path + ":" + std::to_string(number) + ": expected " + std::to_string(header.size()) +
                              " values (one per header column), got " + std::to_string(fields.size()));
        DesignPoint point;
        for (std::size_t i = 0; i < header.size(); ++i) {
            if (fields[i].empty())
                throw DesignError(path + ":" + std::to_string(number) + ": empty value for '" + header[i] + "'");
            point.emplace_back(header[i], fields[i]);
        }
        points.push_back(std::move(point));
    }
    if (header.empty()) throw DesignError(path + ": empty design file (expected a header of key paths)");
    if (points.empty()) throw DesignError(path + ": no design points after the header");
    return points;
}

}  // namespace essaim::analysis
