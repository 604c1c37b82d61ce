#pragma once
// Text tables of the commands' summaries (run, ensemble, compare, sweep): every column as wide as
// its widest cell, so that no number runs into its neighbour however large it grows. Widths count
// UTF-8 characters, not bytes (territory names carry accents).
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace essaim::cli {

class Table {
public:
    enum class Align { left, right };
    struct Column {
        std::string header;
        Align align = Align::right;
    };

    explicit Table(std::vector<Column> columns, std::size_t gap = 2);

    // One cell per column (fewer: the rest are empty).
    void add_row(std::vector<std::string> cells);
    // A line of dashes across the whole table (e.g. before a total row).
    void add_rule();
    void print(std::ostream& out) const;

private:
    std::vector<Column> columns_;
    std::vector<std::vector<std::string>> rows_;  // an empty row is a rule
    std::size_t gap_;
};

// Characters (UTF-8 code points) in `text`.
std::size_t display_width(const std::string& text);

}  // namespace essaim::cli
