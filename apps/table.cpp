#include "apps/table.hpp"

#include <algorithm>

namespace essaim::cli {

std::size_t display_width(const std::string& text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

Table::Table(std::vector<Column> columns, std::size_t gap)
    : columns_(std::move(columns)), gap_(gap) {}

void Table::add_row(std::vector<std::string> cells) {
    cells.resize(columns_.size());
    rows_.push_back(std::move(cells));
}

void Table::add_rule() { rows_.emplace_back(); }

void Table::print(std::ostream& out) const {
    std::vector<std::size_t> width(columns_.size());
    for (std::size_t c = 0; c < columns_.size(); ++c) {
        width[c] = display_width(columns_[c].header);
        for (const auto& row : rows_)
            if (!row.empty()) width[c] = std::max(width[c], display_width(row[c]));
    }
    std::size_t total = 0;
    for (std::size_t c = 0; c < width.size(); ++c) total += width[c] + (c ? gap_ : 0);
    auto line = [&](const std::vector<std::string>& cells) {
        std::string text;
        for (std::size_t c = 0; c < columns_.size(); ++c) {
            const std::string padding(width[c] - display_width(cells[c]), ' ');
            if (c) text += std::string(gap_, ' ');
            text += columns_[c].align == Align::left ? cells[c] + padding : padding + cells[c];
        }
        text.erase(text.find_last_not_of(' ') + 1);  // no trailing blanks
        out << text << '\n';
    };
    std::vector<std::string> headers;
    for (const auto& column : columns_) headers.push_back(column.header);
    line(headers);
    for (const auto& row : rows_) {
        if (row.empty())
            out << std::string(total, '-') << '\n';
        else
            line(row);
    }
}

}  // namespace essaim::cli
