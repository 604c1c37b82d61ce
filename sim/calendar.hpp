#pragma once
// Civil dates and the day index of a run. Day 0 is the scenario's start date; every schedule in a
// scenario is given in ISO dates and turned into day indices once, before the run.
#include <optional>
#include <string>
#include <string_view>

namespace essaim {

struct Date {
    int year = 1970;
    int month = 1;  // 1..12
    int day = 1;    // 1..31
    friend bool operator==(const Date&, const Date&) = default;
};

// Days since 1970-01-01 in the proleptic Gregorian calendar (negative before it).
long days_from_civil(Date date);
Date civil_from_days(long serial);

// Strict "YYYY-MM-DD"; nullopt for anything else, including 2021-02-29.
std::optional<Date> parse_iso_date(std::string_view text);
std::string to_iso(Date date);
bool is_valid(Date date);

// The span of a run: start and end dates (both inclusive) and conversions to day indices.
class Calendar {
public:
    Calendar(Date start, Date end);
    int day_of(Date date) const { return static_cast<int>(days_from_civil(date) - start_serial_); }
    Date date_of(int day) const { return civil_from_days(start_serial_ + day); }
    int n_days() const { return n_days_; }
    int last_day() const { return n_days_ - 1; }
    Date start() const { return civil_from_days(start_serial_); }

private:
    long start_serial_;
    int n_days_;
};

}  // namespace essaim
