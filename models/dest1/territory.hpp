#pragma once
// What run() shares with the simulation of one territory (models/dest1/territory.cpp): the run's
// constants, the random stream purposes, and what a territory hands back (KPI accumulators, agent
// rows). Internal to the model: nothing here is part of the library's interface.
#include <array>
#include <cstdint>
#include <vector>

#include "models/dest1/outputs.hpp"
#include "models/dest1/run.hpp"
#include "models/dest1/scenario.hpp"
#include "sim/calendar.hpp"
#include "sim/random.hpp"

namespace essaim::dest1::detail {

inline constexpr int kMaxSectors = 32;
inline constexpr int kMasks = 1 << kBarriers;

// What a stream's numbers are for. Fixed forever: changing one changes every result.
enum Purpose : std::uint32_t {
    kPurposeCreation = 1,  // attributes of a new agent (one block, day 0)
    kPurposeTurn = 2,  // daily engine: an active agent's turn: [0] event, [1] sector, [2+b] barrier
    kPurposeFollowup = 3,  // a followed-up agent's transitions, one word each, in order
    kPurposeWaiting = 4,   // a waiting agent's give-up time
    kPurposeOutreach = 5,  // the territory's daily repérage count
    kPurposeInflow = 6,    // the territory's daily pool inflow
    // Event engine: an active agent's clocks, at "day" = n, the number of its competing events so
    // far. Block 0 of n: [0] which event (n >= 1), [1] sector of a job start, [2..3] the budget
    // that runs until event n + 1. Blocks 1 and 2 of n = 0: barrier b's budget in words
    // [2(b mod 4), 2(b mod 4) + 1] of block 1 + b / 4.
    kPurposeClock = 7,
    kPurposeEmployability = 8,  // a new agent's employability Z (MODEL.md §7.1), when v > 0
};

// Crisis multipliers of every day of the run (products over overlapping periods).
struct CrisisCalendar {
    std::vector<double> outreach, contacts, jobloss, dropout, inflow;
    std::vector<std::uint8_t> remote;
    std::vector<double> hire;  // day-major, n_sectors per day
};

// Everything a territory needs that does not change during the run.
struct RunConstants {
    const Scenario& scenario;
    const Parameters& p;
    Calendar calendar;
    CrisisCalendar crisis;
    std::vector<int> open_day;
    std::vector<double> r0;
    std::array<double, kMasks> beta_product{};  // Π beta_b over unresolved barriers
    std::array<double, kDurationClasses * kDiplomaLevels> profile_factor{};
    // Cumulative post-exit job-loss hazard: loss_hazard_to[d] = Σ_{k < d} m_jobloss(k) /
    // post_job_days.
    std::vector<double> loss_hazard_to;
    RandomSource random;
    bool record_agents;
    Engine engine;
};

// What a person's history adds to the KPIs, accumulated as it happens so that nobody needs to be
// kept once their story in the run is over.
struct KpiAccumulator {
    double identified = 0, entries = 0;
    std::vector<double> first_job_delay_count;  // index: days from entry to first job
    double waiting_days = 0;
    double within_90_eligible = 0, within_90 = 0;
    double followed_6m = 0, employed_6m = 0, followed_12m = 0, employed_12m = 0;

    void merge(const KpiAccumulator& o);
};

struct TerritoryOutcome {
    KpiAccumulator kpis;
    AgentTable agents;  // with record_agents, rows in the order people left the run
    std::uint64_t agent_days = 0;
};

// One finished (or, at the run's end, still live) person's row of the agent table.
struct AgentRow {
    std::int32_t local_id;
    std::int8_t duration, diploma;
    std::uint8_t barriers0, barriers;
    std::int32_t identified_day, entry_day, first_job_day, exit_day, end_day;
    std::int8_t outcome, final_state, state_6m, state_12m;
    std::int8_t first_job_sector;
    float employability;
};

void append_row(AgentTable& table, int t, const AgentRow& r);

// MODEL.md §3 for territory t over the whole calendar: fills its columns of `series`.
void simulate_territory(const RunConstants& run, int t, DailySeries& series, TerritoryOutcome& out);

}  // namespace essaim::dest1::detail
