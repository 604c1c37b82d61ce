#include "models/dest1/memory_estimate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/dest1/outputs.hpp"
#include "sim/calendar.hpp"

namespace essaim::dest1 {
namespace {

// A Poisson count of mean m stays below this bound except with negligible probability.
double poisson_ceiling(double mean) { return mean + 6 * std::sqrt(mean) + 10; }

double max_headcount(const Territory& t) {
    double most = 0;
    for (const auto& [date, headcount] : t.coaches) most = std::max(most, headcount);
    for (const auto& [day, headcount] : t.coaches_after_open) most = std::max(most, headcount);
    return most;
}

// The largest product of overlapping crisis multipliers, bounded by assuming they all overlap.
double crisis_ceiling(const Scenario& s, double Crisis::*multiplier) {
    double product = 1;
    for (const auto& crisis : s.crises) product *= std::max(1.0, crisis.*multiplier);
    return product;
}

// MODEL.md §3-4, for one territory open every day of the run: outreach identifies at most
// outreach_per_coach x C x m_outreach a day (ramp and P / (P + pool_half) are at most 1); a
// waiting person leaves within patience_days on average (giving up, if not admitted); at most
// floor(C x caseload) are active. Nobody can be identified who was not in the pool, came in
// with the inflow, or returned to it after giving up.
PeopleBounds territory_bounds(const Scenario& s, const Territory& t, double days) {
    const Parameters& p = s.parameters;
    const double coaches = max_headcount(t);
    const double per_day = p.outreach_per_coach * coaches * crisis_ceiling(s, &Crisis::outreach);
    const double inflow =
        poisson_ceiling(t.inflow_per_day * crisis_ceiling(s, &Crisis::inflow) * days);
    const double reachable = static_cast<double>(t.pool) + inflow;
    const double waiting = std::min(poisson_ceiling(per_day * (p.patience_days + 1)), reachable);
    const double gave_up = poisson_ceiling(waiting * days / p.patience_days);
    PeopleBounds b;
    b.identified = std::min(poisson_ceiling(per_day * days), reachable + gave_up);
    b.active = std::min(std::floor(coaches * t.caseload.value_or(p.caseload)), b.identified);
    b.waiting = std::min(waiting, b.identified - b.active);
    return b;
}

std::uint64_t saturating_bytes(double bytes) {
    constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
    if (!(bytes < static_cast<double>(kMax))) return kMax;
    return static_cast<std::uint64_t>(std::ceil(bytes));
}

}  // namespace

PeopleBounds people_bounds(const Scenario& scenario) {
    const double days = Calendar(scenario.start, scenario.end).n_days();
    PeopleBounds sum;
    for (const auto& t : scenario.territories) {
        const PeopleBounds b = territory_bounds(scenario, t, days);
        sum.waiting += b.waiting;
        sum.active += b.active;
        sum.identified += b.identified;
    }
    return sum;
}

// Counts are bounded in doubles (a scenario at the validated bounds overflows 64-bit products)
// and turned into bytes once, saturating.
std::uint64_t estimate_run_bytes(const Scenario& scenario, bool record_agents) {
    const double days = Calendar(scenario.start, scenario.end).n_days();
    const double territories = static_cast<double>(scenario.territories.size());
    const Parameters& p = scenario.parameters;
    // Daily series, and per territory its first-job delay histogram and day-indexed follow-up
    // stocks; the crisis calendar is shared.
    double bytes = static_cast<double>(kProcessBaseBytes);
    bytes += days * territories * static_cast<double>(kSeriesCount) * 8;
    bytes += territories * (p.parcours_days + 3 * (days + 1)) * 8;
    bytes += days * (7 + static_cast<double>(scenario.sectors.size())) * 8;
    // Live people of every territory at once: generous for one thread, exact enough for many.
    const PeopleBounds people = people_bounds(scenario);
    bytes += people.waiting * static_cast<double>(kWaitingBytes) +
             people.active * static_cast<double>(kActiveBytes);
    if (record_agents) bytes += people.identified * static_cast<double>(kAgentRowBytes);
    return saturating_bytes(bytes);
}

}  // namespace essaim::dest1
