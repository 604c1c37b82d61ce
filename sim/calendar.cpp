#include "sim/calendar.hpp"

#include <cstdio>
#include <stdexcept>

namespace essaim {

// Howard Hinnant's days_from_civil: exact for the whole proleptic Gregorian calendar.
long days_from_civil(Date date) {
    long y = date.year - (date.month <= 2 ? 1 : 0);
    const long era = (y >= 0 ? y : y - 399) / 400;
    const long yoe = y - era * 400;
    const long mp = (date.month + 9) % 12;
    const long doy = (153 * mp + 2) / 5 + date.day - 1;
    const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

Date civil_from_days(long z) {
    z += 719468;
    const long era = (z >= 0 ? z : z - 146096) / 146097;
    const long doe = z - era * 146097;
    const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const long mp = (5 * doy + 2) / 153;
    const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    const int y = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
    return Date{y, m, d};
}

bool is_valid(Date date) {
    if (date.month < 1 || date.month > 12 || date.day < 1) return false;
    return civil_from_days(days_from_civil(date)) == date;
}

std::optional<Date> parse_iso_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    auto digits = [&](std::size_t from, std::size_t count) -> int {
        int value = 0;
        for (std::size_t i = from; i < from + count; ++i) {
            if (text[i] < '0' || text[i] > '9') return -1;
            value = value * 10 + (text[i] - '0');
        }
        return value;
    };
    const Date date{digits(0, 4), digits(5, 2), digits(8, 2)};
    if (date.year < 0 || date.month < 0 || date.day < 0 || !is_valid(date)) return std::nullopt;
    return date;
}

std::string to_iso(Date date) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", date.year, date.month, date.day);
    return buffer;
}

Calendar::Calendar(Date start, Date end)
    : start_serial_(days_from_civil(start)),
      n_days_(static_cast<int>(days_from_civil(end) - start_serial_ + 1)) {
    if (n_days_ < 1) throw std::invalid_argument("calendar: end date before start date");
}

}  // namespace essaim
