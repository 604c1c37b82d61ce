#include "models/dest1/rollout.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace essaim::dest1 {
namespace {

Date plus_days(Date date, long days) { return civil_from_days(days_from_civil(date) + days); }

double max_headcount(const Territory& t) {
    double most = 0;
    for (const auto& [date, headcount] : t.coaches) most = std::max(most, headcount);
    for (const auto& [day, headcount] : t.coaches_after_open) most = std::max(most, headcount);
    return most;
}

std::string euros(double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.0f EUR", value);
    return buffer;
}

// The coach schedule in dates once the opening date is known.
void fix_schedule(Territory& t) {
    if (t.coaches_after_open.empty()) return;
    t.coaches.clear();
    for (const auto& [day, headcount] : t.coaches_after_open)
        t.coaches.emplace_back(plus_days(t.open, day), headcount);
}

}  // namespace

double run_rate_cost(const Scenario& scenario, const Territory& territory) {
    return scenario.parameters.coach_cost_per_year * max_headcount(territory) +
           scenario.parameters.hub_fixed_cost_per_year;
}

RolloutPlan plan_rollout(const Scenario& scenario) {
    RolloutPlan plan{scenario, {}, 0};
    auto& territories = plan.scenario.territories;
    const int n = static_cast<int>(territories.size());
    const Rollout& rollout = scenario.rollout;
    const bool waves = rollout.policy != RolloutPolicy::dates;
    const long end = days_from_civil(scenario.end);

    std::vector<std::vector<int>> adjacent(n);  // undirected, whichever side listed the edge
    for (int t = 0; t < n; ++t)
        for (int other : territories[t].neighbours) {
            adjacent[t].push_back(other);
            adjacent[other].push_back(t);
        }
    std::vector<std::optional<long>> open(n);  // day serial of each decided opening
    plan.decisions.resize(n);
    for (int t = 0; t < n; ++t) {
        plan.decisions[t].territory = t;
        if (!territories[t].candidate || !waves) {
            open[t] = days_from_civil(territories[t].open);
            plan.decisions[t].open = territories[t].open;
            plan.decisions[t].reason = territories[t].candidate
                                           ? "opening date of the scenario (policy \"dates\")"
                                           : "scheduled opening (not a candidate)";
        }
    }
    auto run_rate_on = [&](long day) {
        double total = 0;
        for (int t = 0; t < n; ++t)
            if (open[t] && *open[t] <= day) total += run_rate_cost(scenario, territories[t]);
        return total;
    };

    if (waves) {
        const long first = days_from_civil(rollout.start.value_or(scenario.start));
        const long maturity = static_cast<long>(std::ceil(scenario.parameters.maturity_days));
        std::vector<std::string> held_back(
            n);  // why an eligible candidate did not open (last wave)
        int wave = 0;
        for (long day = first; day <= end; day += rollout.wave_every_days, ++wave) {
            std::vector<int> eligible;
            for (int t = 0; t < n; ++t)
                if (!open[t] && days_from_civil(territories[t].open) <= day) eligible.push_back(t);
            if (eligible.empty()) {
                if (std::none_of(open.begin(), open.end(), [](const auto& o) { return !o; })) break;
                continue;
            }
            // Proximity class: 0 next to a hub open for maturity_days (r0_adjacent), 1 next to any
            // open hub, 2 otherwise; the nearest mature neighbour is named in the reason.
            std::vector<int> klass(n, 2), mature_neighbour(n, -1), open_neighbour(n, -1);
            for (int t : eligible)
                for (int other : adjacent[t]) {
                    if (!open[other] || *open[other] > day) continue;
                    if (day - *open[other] >= maturity) {
                        klass[t] = 0;
                        if (mature_neighbour[t] < 0) mature_neighbour[t] = other;
                    } else if (klass[t] == 2) {
                        klass[t] = 1;
                        open_neighbour[t] = other;
                    }
                }
            std::sort(eligible.begin(), eligible.end(), [&](int a, int b) {
                if (rollout.policy == RolloutPolicy::proximity && klass[a] != klass[b])
                    return klass[a] < klass[b];
                if (territories[a].pool != territories[b].pool)
                    return territories[a].pool > territories[b].pool;
                return a < b;
            });
            double run_rate = run_rate_on(day);
            int opened = 0;
            for (int t : eligible) {
                if (rollout.max_per_wave > 0 && opened == rollout.max_per_wave) {
                    held_back[t] =
                        "at most " + std::to_string(rollout.max_per_wave) + " openings per wave";
                    continue;
                }
                const double cost = run_rate_cost(scenario, territories[t]);
                if (rollout.budget_per_year > 0 && run_rate + cost > rollout.budget_per_year) {
                    held_back[t] = "budget: run-rate " + euros(run_rate) + " + " + euros(cost) +
                                   " a year for this hub > " + euros(rollout.budget_per_year);
                    continue;
                }
                open[t] = day;
                run_rate += cost;
                ++opened;
                RolloutDecision& decision = plan.decisions[t];
                decision.open = civil_from_days(day);
                decision.wave = wave;
                std::string why;
                if (rollout.policy == RolloutPolicy::need) {
                    why = "largest pool among " + std::to_string(eligible.size()) +
                          " eligible candidates (" + std::to_string(territories[t].pool) +
                          " people)";
                } else if (klass[t] == 0) {
                    why = "next to " + territories[mature_neighbour[t]].name +
                          ", open for at least " + std::to_string(maturity) +
                          " days (fastest ramp-up); pool " + std::to_string(territories[t].pool);
                } else if (klass[t] == 1) {
                    why = "next to " + territories[open_neighbour[t]].name +
                          " (not yet mature); pool " + std::to_string(territories[t].pool);
                } else {
                    why = "no open neighbour; pool " + std::to_string(territories[t].pool);
                }
                decision.reason =
                    "wave " + std::to_string(wave) + " (" + to_iso(civil_from_days(day)) +
                    "): " + why + "; run-rate " + euros(run_rate) +
                    (rollout.budget_per_year > 0 ? " of " + euros(rollout.budget_per_year) : "");
            }
        }
        for (int t = 0; t < n; ++t)
            if (!open[t])
                plan.decisions[t].reason = "not opened by " + to_iso(scenario.end) +
                                           (held_back[t].empty() ? "" : ": " + held_back[t]);
    }

    for (int t = 0; t < n; ++t) {
        // A territory that never opens gets a date after the run, so that it stays closed.
        territories[t].open = open[t] ? civil_from_days(*open[t]) : civil_from_days(end + 1);
        fix_schedule(territories[t]);
        territories[t].coaches_after_open.clear();
        territories[t].candidate = false;
    }
    std::vector<long> days;
    for (int t = 0; t < n; ++t)
        if (open[t]) days.push_back(std::max(*open[t], days_from_civil(scenario.start)));
    for (long day : days) plan.max_run_rate = std::max(plan.max_run_rate, run_rate_on(day));
    return plan;
}

}  // namespace essaim::dest1
