#include <doctest/doctest.h>

#include "sim/calendar.hpp"
#include "sim/step_schedule.hpp"

using namespace essaim;

TEST_CASE("days_from_civil and civil_from_days are inverse over four centuries") {
    // Every day from 1900 to 2300 round-trips and consecutive dates are one day apart.
    long previous = days_from_civil(Date{1899, 12, 31});
    for (long serial = days_from_civil(Date{1900, 1, 1});
         serial <= days_from_civil(Date{2300, 12, 31}); ++serial) {
        const Date date = civil_from_days(serial);
        REQUIRE(days_from_civil(date) == serial);
        REQUIRE(serial == previous + 1);
        previous = serial;
    }
    CHECK(days_from_civil(Date{1970, 1, 1}) == 0);
    CHECK(days_from_civil(Date{2000, 3, 1}) - days_from_civil(Date{2000, 2, 28}) == 2);  // leap
    CHECK(days_from_civil(Date{1900, 3, 1}) - days_from_civil(Date{1900, 2, 28}) == 1);  // not leap
}

TEST_CASE("parse_iso_date accepts real dates only") {
    CHECK(parse_iso_date("2019-07-01") == Date{2019, 7, 1});
    CHECK(parse_iso_date("2020-02-29") == Date{2020, 2, 29});
    CHECK_FALSE(parse_iso_date("2021-02-29"));
    CHECK_FALSE(parse_iso_date("2021-13-01"));
    CHECK_FALSE(parse_iso_date("2021-04-31"));
    CHECK_FALSE(parse_iso_date("2021-4-01"));
    CHECK_FALSE(parse_iso_date("2021/04/01"));
    CHECK_FALSE(parse_iso_date(""));
    CHECK(to_iso(Date{2021, 5, 2}) == "2021-05-02");
}

TEST_CASE("calendar maps the run span to day indices, both ends inclusive") {
    const Calendar calendar(Date{2019, 7, 1}, Date{2022, 6, 30});
    CHECK(calendar.n_days() == 1096);  // 365 + 366 (2020) + 365
    CHECK(calendar.day_of(Date{2019, 7, 1}) == 0);
    CHECK(calendar.day_of(Date{2020, 7, 1}) == 366);
    CHECK(calendar.date_of(calendar.last_day()) == Date{2022, 6, 30});
    CHECK(calendar.day_of(Date{2019, 6, 30}) == -1);
    CHECK_THROWS(Calendar(Date{2020, 1, 2}, Date{2020, 1, 1}));
    CHECK(Calendar(Date{2020, 1, 1}, Date{2020, 1, 1}).n_days() == 1);
}

TEST_CASE("step schedule holds each value until the next step") {
    const StepSchedule<double> coaches({{10, 2.0}, {20, 3.0}}, 0.0);
    CHECK(coaches.at(-5) == 0.0);
    CHECK(coaches.at(9) == 0.0);
    CHECK(coaches.at(10) == 2.0);
    CHECK(coaches.at(19) == 2.0);
    CHECK(coaches.at(20) == 3.0);
    CHECK(coaches.at(100000) == 3.0);
    const StepSchedule<int> empty({}, 7);
    CHECK(empty.at(0) == 7);
}
