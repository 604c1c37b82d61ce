#include "models/dest1/spending.hpp"

#include <stdexcept>

#include "models/dest1/outputs.hpp"
#include "sim/calendar.hpp"

namespace essaim::dest1 {
namespace {

// Day index of each territory's actual opening; a territory never opened gets one past the run.
std::vector<int> opening_days(const Calendar& calendar,
                              const std::vector<RolloutDecision>& openings,
                              std::size_t n_territories) {
    if (openings.size() != n_territories)
        throw std::invalid_argument("spending: one roll-out decision per territory expected");
    std::vector<int> open(n_territories, calendar.n_days());
    for (const auto& d : openings)
        if (d.open) open.at(static_cast<std::size_t>(d.territory)) = calendar.day_of(*d.open);
    return open;
}

// What a year consumed, summed in counts so that whole headcounts give exact euros.
struct YearUse {
    double coach_days = 0, open_days = 0, barriers = 0;
};

void add_day(YearUse& use, const double* record, bool open) {
    use.coach_days += record[kCoaches];
    use.open_days += open ? 1 : 0;
    use.barriers += record[kBarriersResolved];
}

void price(YearSpending& year, const YearUse& use, const Parameters& p, double budget_per_year) {
    const double budgeted_days = p.coach_cost_per_year * use.coach_days +
                                 p.hub_fixed_cost_per_year * use.open_days;  // EUR x 365
    year.coaches = p.coach_cost_per_year * use.coach_days / 365.0;
    year.hubs = p.hub_fixed_cost_per_year * use.open_days / 365.0;
    year.solutions = p.solution_cost * use.barriers;
    if (!(budget_per_year > 0)) return;
    year.budget = budget_per_year * year.days / 365.0;
    // Compared before dividing by 365, so that a plan exactly at its budget is not flagged by a
    // rounding error (whole headcounts and days give exact products).
    year.over_budget = budgeted_days > budget_per_year * year.days;
}

}  // namespace

std::vector<YearSpending> spending_by_year(const Scenario& scenario, const DailySeries& series,
                                           const std::vector<RolloutDecision>& openings) {
    const Calendar calendar(scenario.start, scenario.end);
    if (series.n_days() != calendar.n_days())
        throw std::invalid_argument("spending: the series does not cover the scenario's days");
    const auto n_territories = static_cast<std::size_t>(series.n_units());
    const std::vector<int> open = opening_days(calendar, openings, n_territories);
    std::vector<YearSpending> years;
    std::vector<YearUse> uses;
    for (int d = 0; d < series.n_days(); ++d) {
        const int year = calendar.date_of(d).year;
        if (years.empty() || years.back().year != year) {
            years.push_back(YearSpending{year});
            uses.emplace_back();
        }
        ++years.back().days;
        for (std::size_t t = 0; t < n_territories; ++t)
            add_day(uses.back(), series.row(d, static_cast<int>(t)), d >= open[t]);
    }
    for (std::size_t y = 0; y < years.size(); ++y)
        price(years[y], uses[y], scenario.parameters, scenario.rollout.budget_per_year);
    return years;
}

}  // namespace essaim::dest1
