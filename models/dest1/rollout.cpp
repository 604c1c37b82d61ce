#include "models/dest1/rollout.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
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

bool by_waves(const Scenario& scenario) { return scenario.rollout.policy != RolloutPolicy::dates; }

// Whether the scenario itself fixes the territory's opening date (no wave decides it).
bool is_scheduled(const Scenario& scenario, const Territory& t) {
    return !t.candidate || !by_waves(scenario);
}

bool has_candidates(const Scenario& scenario) {
    return std::any_of(scenario.territories.begin(), scenario.territories.end(),
                       [](const Territory& t) { return t.candidate; });
}

double cheapest_candidate(const Scenario& scenario) {
    double cheapest = std::numeric_limits<double>::infinity();
    for (const auto& t : scenario.territories)
        if (t.candidate) cheapest = std::min(cheapest, run_rate_cost(scenario, t));
    return cheapest;
}

// The coach schedule in dates once the opening date is known.
void fix_schedule(Territory& t) {
    if (t.coaches_after_open.empty()) return;
    t.coaches.clear();
    for (const auto& [day, headcount] : t.coaches_after_open)
        t.coaches.emplace_back(plus_days(t.open, day), headcount);
}

std::vector<std::vector<int>> undirected_graph(const std::vector<Territory>& territories) {
    std::vector<std::vector<int>> adjacent(territories.size());
    for (std::size_t t = 0; t < territories.size(); ++t)
        for (int other : territories[t].neighbours) {
            adjacent[t].push_back(other);
            adjacent[static_cast<std::size_t>(other)].push_back(static_cast<int>(t));
        }
    return adjacent;
}

// The state of a plan between waves: who is open (or decided) from which day, and the yearly
// run-rate committed so far.
struct Planner {
    const Scenario& scenario;
    const std::vector<Territory>& territories;
    std::vector<std::vector<int>> adjacent;
    std::vector<std::optional<long>> open;  // day serial of each decided opening
    std::vector<RolloutDecision>& decisions;
    std::vector<std::string> held_back;  // why an eligible candidate did not open (last wave)
    double committed = 0;
    long maturity = 0;
};

// Proximity class of an eligible candidate on `day`: 0 next to a hub open for maturity_days
// (r0_adjacent), 1 next to any open hub, 2 otherwise; with the neighbour to name in the reason.
std::pair<int, int> proximity_class(const Planner& p, int t, long day) {
    int klass = 2, neighbour = -1;
    for (int other : p.adjacent[static_cast<std::size_t>(t)]) {
        const auto& opened = p.open[static_cast<std::size_t>(other)];
        if (!opened || *opened > day) continue;
        if (day - *opened >= p.maturity) {
            if (klass > 0) neighbour = other;
            klass = 0;
        } else if (klass == 2) {
            klass = 1;
            neighbour = other;
        }
    }
    return {klass, neighbour};
}

std::string why_chosen(const Planner& p, int t, int klass, int neighbour, std::size_t eligible) {
    const auto& territories = p.territories;
    const std::string pool = std::to_string(territories[static_cast<std::size_t>(t)].pool);
    if (p.scenario.rollout.policy == RolloutPolicy::need)
        return "largest pool among " + std::to_string(eligible) + " eligible candidates (" + pool +
               " people)";
    if (klass == 0)
        return "next to " + territories[static_cast<std::size_t>(neighbour)].name +
               ", open for at least " + std::to_string(p.maturity) +
               " days (fastest ramp-up); pool " + pool;
    if (klass == 1)
        return "next to " + territories[static_cast<std::size_t>(neighbour)].name +
               " (not yet mature); pool " + pool;
    return "no open neighbour; pool " + pool;
}

// One wave on `day`: the eligible candidates ranked by the policy, opened in that order while
// the per-wave limit and the budget allow.
void run_wave(Planner& p, long day, int wave) {
    const Rollout& rollout = p.scenario.rollout;
    const auto& territories = p.territories;
    const int n = static_cast<int>(territories.size());
    std::vector<int> eligible;
    for (int t = 0; t < n; ++t)
        if (!p.open[t] && days_from_civil(territories[t].open) <= day) eligible.push_back(t);
    std::vector<std::pair<int, int>> klass(static_cast<std::size_t>(n), {2, -1});
    for (int t : eligible) klass[t] = proximity_class(p, t, day);
    std::sort(eligible.begin(), eligible.end(), [&](int a, int b) {
        if (rollout.policy == RolloutPolicy::proximity && klass[a].first != klass[b].first)
            return klass[a].first < klass[b].first;
        if (territories[a].pool != territories[b].pool)
            return territories[a].pool > territories[b].pool;
        return a < b;
    });
    const std::string of_budget =
        rollout.budget_per_year > 0 ? " of " + euros(rollout.budget_per_year) : "";
    int opened = 0;
    for (int t : eligible) {
        if (rollout.max_per_wave > 0 && opened == rollout.max_per_wave) {
            p.held_back[t] =
                "at most " + std::to_string(rollout.max_per_wave) + " openings per wave";
            continue;
        }
        const double cost = run_rate_cost(p.scenario, territories[t]);
        if (rollout.budget_per_year > 0 && p.committed + cost > rollout.budget_per_year) {
            p.held_back[t] = "budget: committed run-rate " + euros(p.committed) + " + " +
                             euros(cost) + " a year for this hub > " +
                             euros(rollout.budget_per_year);
            continue;
        }
        p.open[t] = day;
        p.committed += cost;
        ++opened;
        RolloutDecision& decision = p.decisions[t];
        decision.open = civil_from_days(day);
        decision.wave = wave;
        decision.reason =
            "wave " + std::to_string(wave) + " (" + to_iso(civil_from_days(day)) +
            "): " + why_chosen(p, t, klass[t].first, klass[t].second, eligible.size()) +
            "; committed run-rate " + euros(p.committed) + of_budget;
    }
}

void run_waves(Planner& p) {
    const Scenario& scenario = p.scenario;
    const long first = days_from_civil(scenario.rollout.start.value_or(scenario.start));
    const long end = days_from_civil(scenario.end);
    int wave = 0;
    for (long day = first; day <= end; day += scenario.rollout.wave_every_days, ++wave) {
        if (std::all_of(p.open.begin(), p.open.end(), [](const auto& o) { return o.has_value(); }))
            break;
        run_wave(p, day, wave);
    }
}

}  // namespace

double run_rate_cost(const Scenario& scenario, const Territory& territory) {
    return scenario.parameters.coach_cost_per_year * max_headcount(territory) +
           scenario.parameters.hub_fixed_cost_per_year;
}

double scheduled_run_rate(const Scenario& scenario) {
    double total = 0;
    for (const auto& t : scenario.territories)
        if (is_scheduled(scenario, t) && days_from_civil(t.open) <= days_from_civil(scenario.end))
            total += run_rate_cost(scenario, t);
    return total;
}

std::optional<std::string> budget_opens_nothing(const Scenario& scenario) {
    const double budget = scenario.rollout.budget_per_year;
    if (!(budget > 0) || !by_waves(scenario) || !has_candidates(scenario)) return std::nullopt;
    const double scheduled = scheduled_run_rate(scenario), cheapest = cheapest_candidate(scenario);
    if (scheduled + cheapest <= budget) return std::nullopt;
    return "the budget of " + euros(budget) +
           " a year cannot open any candidate: the scheduled territories already commit " +
           euros(scheduled) + " a year and the cheapest candidate needs " + euros(cheapest) +
           " more (a budget of at least " + euros(scheduled + cheapest) + " opens one)";
}

RolloutPlan plan_rollout(const Scenario& scenario) {
    RolloutPlan plan{scenario, {}, 0};
    auto& territories = plan.scenario.territories;
    const int n = static_cast<int>(territories.size());
    const long end = days_from_civil(scenario.end);
    plan.decisions.resize(n);
    Planner planner{scenario,
                    scenario.territories,
                    undirected_graph(scenario.territories),
                    std::vector<std::optional<long>>(n),
                    plan.decisions,
                    std::vector<std::string>(n),
                    scheduled_run_rate(scenario),
                    static_cast<long>(std::ceil(scenario.parameters.maturity_days))};
    for (int t = 0; t < n; ++t) {
        plan.decisions[t].territory = t;
        if (!is_scheduled(scenario, territories[t])) continue;
        planner.open[t] = days_from_civil(territories[t].open);
        plan.decisions[t].open = territories[t].open;
        plan.decisions[t].reason = territories[t].candidate
                                       ? "opening date of the scenario (policy \"dates\")"
                                       : "scheduled opening (not a candidate)";
    }
    if (by_waves(scenario)) {
        run_waves(planner);
        const auto nothing = budget_opens_nothing(scenario);
        for (int t = 0; t < n; ++t) {
            if (planner.open[t]) continue;
            const std::string& why = nothing ? *nothing : planner.held_back[t];
            plan.decisions[t].reason =
                "not opened by " + to_iso(scenario.end) + (why.empty() ? "" : ": " + why);
        }
    }
    // The run-rate only grows as territories open: its highest value counts every opening within
    // the run.
    for (int t = 0; t < n; ++t) {
        const auto& opened = planner.open[t];
        if (opened && *opened <= end) plan.max_run_rate += run_rate_cost(scenario, territories[t]);
        // A territory that never opens gets a date after the run, so that it stays closed.
        territories[t].open = opened ? civil_from_days(*opened) : civil_from_days(end + 1);
        fix_schedule(territories[t]);
        territories[t].coaches_after_open.clear();
        territories[t].candidate = false;
    }
    return plan;
}

}  // namespace essaim::dest1
