#pragma once
// Scenarios built in code, so model tests do not depend on the TOML reader.
#include "models/dest1/run.hpp"
#include "models/dest1/scenario.hpp"

namespace essaim::dest1::fixtures {

inline Territory territory(std::string name, Date open,
                           std::vector<std::pair<Date, double>> coaches, std::int64_t pool,
                           double inflow, std::vector<int> neighbours) {
    Territory t;
    t.name = std::move(name);
    t.open = open;
    t.coaches = std::move(coaches);
    t.pool = pool;
    t.inflow_per_day = inflow;
    t.neighbours = std::move(neighbours);
    return t;
}

inline std::vector<Sector> reference_sectors() {
    return {{"cleaning", 0.35, 180},
            {"green_spaces", 0.25, 180},
            {"catering", 0.20, 120},
            {"other", 0.20, 240}};
}

// Three territories in the spirit of docking.toml: one early, a neighbour opening a year later,
// an isolated one; one crisis period.
inline Scenario small_scenario() {
    Scenario s;
    s.name = "fixture";
    s.start = Date{2019, 7, 1};
    s.end = Date{2022, 6, 30};
    s.seed = 11;
    s.sectors = reference_sectors();
    Territory alpha = territory("Alpha", Date{2019, 7, 1},
                                {{Date{2019, 7, 1}, 2}, {Date{2020, 1, 1}, 3}}, 3000, 1.5, {1});
    Territory beta = territory("Beta", Date{2020, 7, 1}, {{Date{2020, 7, 1}, 2}}, 1200, 0.8, {0});
    beta.caseload = 25.0;
    beta.sector_weights = std::vector<double>{0.5, 0.1, 0.3, 0.1};
    Territory gamma = territory("Gamma", Date{2020, 7, 1},
                                {{Date{2020, 7, 1}, 1}, {Date{2021, 1, 1}, 2}}, 800, 0.5, {});
    s.territories = {alpha, beta, gamma};
    Crisis lockdown;
    lockdown.name = "lockdown";
    lockdown.start = Date{2020, 3, 17};
    lockdown.end = Date{2020, 5, 10};
    lockdown.remote = true;
    lockdown.outreach = 0.3;
    lockdown.contacts = 0.6;
    lockdown.jobloss = 1.5;
    lockdown.dropout = 1.3;
    lockdown.inflow = 1.2;
    lockdown.hire = {0.6, 0.7, 0.05, 0.4};
    s.crises = {lockdown};
    return s;
}

// A scenario where every agent's process has a closed form: no barriers, no crisis, ramp 1,
// intensity exactly 1 (caseload = caseload_ref so the load factor is 1), one duration class and
// diploma level with factor 1, capacity far above the pool so nobody waits, and a finite pool
// with no inflow that is identified within days, followed long enough for every parcours and
// follow-up to end before the run does.
inline Scenario closed_form_scenario(std::int64_t pool = 3000) {
    Scenario s;
    s.name = "closed-form";
    s.start = Date{2020, 1, 1};
    s.end = Date{2022, 12, 31};
    s.seed = 5;
    s.sectors = reference_sectors();
    Parameters& p = s.parameters;
    p.caseload = 10000;
    p.caseload_ref = 10000;
    p.outreach_per_coach = 200;
    p.pool_half = 1;
    p.r0_isolated = 1.0;
    p.r0_adjacent = 1.0;
    p.patience_days = 1e9;
    s.profile.duration = {0, 1, 0};  // 1to2y: delta 1.0
    s.profile.diploma = {0, 1, 0};   // mid: delta 1.0
    s.profile.prevalence = {0, 0, 0, 0, 0};
    s.territories = {territory("Solo", s.start, {{s.start, 1}}, pool, 0.0, {})};
    return s;
}

// A "full house" scenario where every factor of the hazards of MODEL.md §4 differs from 1 and yet
// stays constant for every admitted agent, so the first event of an agent has a closed form:
// - capacity floor(20 x 60) = 1200 is full at the end of every day (outreach identifies ~1800 a
//   day and nobody gives up, so the waiting list never empties), hence active_t counted at step 1
//   is 1200 from day 1 on, L = 60 and the load factor min(1, 30 / 60) = 0.5;
// - one crisis over the whole run, remote, with contacts, dropout, outreach and hire multipliers;
// - everyone gt2y (0.75) with a high diploma (1.2), with confidence and digital barriers that
//   never resolve (beta 0.7 x 0.85, gamma 1.8 and the digital penalty 0.5 apply every day);
// - ramp r0 = 0.5 with maturity 1e12 days: r = 0.5 within 1e-9 over the run;
// - pool_half 0 and a pool no run can empty: lambda = 200 x 20 x 0.5 x 0.9 = 1800 a day.
inline Scenario full_house_scenario() {
    Scenario s;
    s.name = "full-house";
    s.start = Date{2021, 1, 1};
    s.end = Date{2021, 7, 19};  // 200 days, shorter than a parcours: no exits
    s.seed = 17;
    s.sectors = reference_sectors();
    Parameters& p = s.parameters;
    p.caseload = 60;
    p.caseload_ref = 30;
    p.contacts_per_week = 2;
    p.contacts_ref = 1;
    p.alpha = 0.7;
    p.kappa = 0.5;
    p.h0_job = 0.2;
    p.h0_drop = 1.0 / 200;
    p.gamma_confidence = 1.8;
    p.beta = {0.6, 0.7, 0.85, 0.7, 0.6};
    p.delta_duration = {1.3, 1.0, 0.75};
    p.delta_diploma = {0.85, 1.0, 1.2};
    p.resolve_per_day = {1.0 / 120, 0, 0, 1.0 / 180, 1.0 / 240};
    p.digital_penalty = 0.5;
    p.outreach_per_coach = 200;
    p.pool_half = 0;
    p.patience_days = 1e9;
    p.r0_isolated = 0.5;
    p.r0_adjacent = 0.9;  // unused: the only territory has no neighbour
    p.maturity_days = 1e12;
    s.profile.duration = {0, 0, 1};          // gt2y
    s.profile.diploma = {0, 0, 1};           // high
    s.profile.prevalence = {0, 1, 1, 0, 0};  // confidence and digital
    s.territories = {territory("Full", s.start, {{s.start, 20}}, 10'000'000, 0.0, {})};
    Crisis crisis;
    crisis.name = "whole run";
    crisis.start = s.start;
    crisis.end = s.end;
    crisis.remote = true;
    crisis.outreach = 0.9;
    crisis.contacts = 0.8;
    crisis.dropout = 1.3;
    crisis.jobloss = 1.4;
    crisis.inflow = 1.0;
    crisis.hire = {0.5, 0.8, 0.1, 1.2};
    s.crises = {crisis};
    return s;
}

// The two engines as types, for TEST_CASE_TEMPLATE: every test of the process runs with both
// (RunOptions::engine), since each must give MODEL.md's process.
struct EventEngine {
    static constexpr Engine value = Engine::event;
};
struct DailyEngine {
    static constexpr Engine value = Engine::daily;
};

}  // namespace essaim::dest1::fixtures
