// The Dest1 process of MODEL.md §3-4. Territories never interact within a run, so each one is
// advanced over the whole calendar on its own (in parallel when asked); every random number comes
// from a stream addressed by (territory, purpose, agent, day), so a territory's history depends on
// nothing but the scenario, the seed and the replication.
//
// Active agents (REMOB, EMPLOYED) are simulated day by day, because their hazards depend on the
// territory's state of the day. Waiting and followed-up agents have hazards that depend only on
// the calendar, so their next event is drawn at once by inverting the cumulative hazard (the same
// process in distribution as one Bernoulli draw a day, MODEL.md §3): a person's follow-up is
// simulated whole on its exit day, and the person is then folded into the KPI accumulators. Memory
// therefore follows the waiting and active agents, not everyone ever identified.
#include <cmath>
#include <limits>
#include <numeric>

#include "analysis/statistics.hpp"
#include "models/dest1/rollout.hpp"
#include "models/dest1/run.hpp"
#include "models/dest1/submodels.hpp"
#include "sim/calendar.hpp"
#include "sim/progress.hpp"
#include "sim/random.hpp"
#include "sim/run_loop.hpp"
#include "sim/step_schedule.hpp"

namespace essaim::dest1 {
namespace {

constexpr int kMaxSectors = 32;
constexpr int kMasks = 1 << kBarriers;
constexpr int kDaysTo6m = 182;
constexpr int kDaysTo12m = 365;
constexpr int kNever = std::numeric_limits<int>::max();

// What a stream's numbers are for. Fixed forever: changing one changes every result.
enum Purpose : std::uint32_t {
    kPurposeCreation = 1,  // attributes of a new agent (one block, day 0)
    kPurposeTurn = 2,      // an active agent's daily turn: [0] event, [1] sector, [2+b] barrier b
    kPurposeFollowup = 3,  // a followed-up agent's transitions, one word each, in order
    kPurposeWaiting = 4,   // a waiting agent's give-up time
    kPurposeOutreach = 5,  // the territory's daily repérage count
    kPurposeInflow = 6,    // the territory's daily pool inflow
};

// Crisis multipliers of every day of the run (products over overlapping periods).
struct CrisisCalendar {
    std::vector<double> outreach, contacts, jobloss, dropout, inflow;
    std::vector<std::uint8_t> remote;
    std::vector<double> hire;  // day-major, n_sectors per day
};

CrisisCalendar crisis_calendar(const Scenario& s, const Calendar& cal) {
    const int n = cal.n_days();
    const std::size_t n_sectors = s.sectors.size();
    CrisisCalendar c{std::vector<double>(n, 1.0),
                     std::vector<double>(n, 1.0),
                     std::vector<double>(n, 1.0),
                     std::vector<double>(n, 1.0),
                     std::vector<double>(n, 1.0),
                     std::vector<std::uint8_t>(n, 0),
                     std::vector<double>(n * n_sectors, 1.0)};
    for (const Crisis& crisis : s.crises) {
        const int from = std::max(0, cal.day_of(crisis.start));
        const int to = std::min(cal.last_day(), cal.day_of(crisis.end));
        for (int d = from; d <= to; ++d) {
            c.outreach[d] *= crisis.outreach;
            c.contacts[d] *= crisis.contacts;
            c.jobloss[d] *= crisis.jobloss;
            c.dropout[d] *= crisis.dropout;
            c.inflow[d] *= crisis.inflow;
            if (crisis.remote) c.remote[d] = 1;
            for (std::size_t k = 0; k < n_sectors; ++k)
                c.hire[d * n_sectors + k] *= k < crisis.hire.size() ? crisis.hire[k] : 1.0;
        }
    }
    return c;
}

int draw_category(double u, const double* shares, int n) {
    double cumulative = 0;
    for (int i = 0; i < n - 1; ++i) {
        cumulative += shares[i];
        if (u < cumulative) return i;
    }
    return n - 1;
}

// Everything a territory needs that does not change during the run.
struct Shared {
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
};

// The first day after `day` on which an event of daily hazard h(k) happens, for the uniform u:
// the day T where the cumulative hazard from day+1 to T first reaches -log(u). The chance of no
// event through T is exp(-Σ h) = Π (1 - p(h)), exactly the daily Bernoulli process.
int next_event_constant(int day, double hazard, double u) {
    if (!(hazard > 0)) return kNever;
    const double steps = std::floor(-std::log(u) / hazard) + 1;
    return steps > 1e9 ? kNever : day + static_cast<int>(steps);
}

int next_event_varying(int day, const std::vector<double>& hazard_to, double u, int horizon) {
    const double target = hazard_to[day + 1] - std::log(u);
    // First T in (day, horizon] with hazard_to[T + 1] >= target.
    const auto first = hazard_to.begin() + day + 2, last = hazard_to.begin() + horizon + 2;
    const auto it = std::lower_bound(first, last, target);
    return it == last ? kNever : static_cast<int>(it - hazard_to.begin()) - 1;
}

// The live agents of one territory (waiting or active) as columns in reusable slots. An agent's
// identity is its local id (order of identification), kept in `id` for its random streams.
struct LiveAgents {
    std::vector<std::uint32_t> id;
    std::vector<std::int32_t> identified_day, entry_day, first_job_day, giveup_day;
    std::vector<std::uint8_t> state, barriers, barriers0, duration, diploma, sector;
    std::vector<std::int8_t> first_job_sector;
    std::vector<std::uint32_t> free_slots;

    std::uint32_t add(std::uint32_t local_id, int day, int dur, int dip, std::uint8_t mask,
                      int giveup) {
        std::uint32_t slot;
        if (!free_slots.empty()) {
            slot = free_slots.back();
            free_slots.pop_back();
        } else {
            slot = static_cast<std::uint32_t>(id.size());
            for (auto* column : {&identified_day, &entry_day, &first_job_day, &giveup_day})
                column->emplace_back();
            for (auto* column : {&state, &barriers, &barriers0, &duration, &diploma, &sector})
                column->emplace_back();
            id.emplace_back();
            first_job_sector.emplace_back();
        }
        id[slot] = local_id;
        first_job_sector[slot] = -1;
        identified_day[slot] = day;
        entry_day[slot] = -1;
        first_job_day[slot] = -1;
        giveup_day[slot] = giveup;
        state[slot] = kWaiting;
        barriers[slot] = barriers0[slot] = mask;
        duration[slot] = static_cast<std::uint8_t>(dur);
        diploma[slot] = static_cast<std::uint8_t>(dip);
        sector[slot] = 0;
        return slot;
    }
    void release(std::uint32_t slot) { free_slots.push_back(slot); }
};

// What a person's history adds to the KPIs, accumulated as it happens so that nobody needs to be
// kept once their story in the run is over.
struct KpiAccumulator {
    double identified = 0, entries = 0;
    std::vector<double> first_job_delay_count;  // index: days from entry to first job
    double waiting_days = 0;
    double within_90_eligible = 0, within_90 = 0;
    double followed_6m = 0, employed_6m = 0, followed_12m = 0, employed_12m = 0;

    void merge(const KpiAccumulator& o) {
        identified += o.identified;
        entries += o.entries;
        if (first_job_delay_count.size() < o.first_job_delay_count.size())
            first_job_delay_count.resize(o.first_job_delay_count.size(), 0.0);
        for (std::size_t i = 0; i < o.first_job_delay_count.size(); ++i)
            first_job_delay_count[i] += o.first_job_delay_count[i];
        waiting_days += o.waiting_days;
        within_90_eligible += o.within_90_eligible;
        within_90 += o.within_90;
        followed_6m += o.followed_6m;
        employed_6m += o.employed_6m;
        followed_12m += o.followed_12m;
        employed_12m += o.employed_12m;
    }
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
};

void append_row(AgentTable& table, int t, const AgentRow& r) {
    table.territory.push_back(t);
    table.local_id.push_back(r.local_id);
    table.duration.push_back(r.duration);
    table.diploma.push_back(r.diploma);
    table.barriers_at_identification.push_back(r.barriers0);
    table.barriers_at_end.push_back(r.barriers);
    table.identified_day.push_back(r.identified_day);
    table.entry_day.push_back(r.entry_day);
    table.first_job_day.push_back(r.first_job_day);
    table.exit_day.push_back(r.exit_day);
    table.end_day.push_back(r.end_day);
    table.outcome.push_back(r.outcome);
    table.final_state.push_back(r.final_state);
    table.state_6m.push_back(r.state_6m);
    table.state_12m.push_back(r.state_12m);
    table.first_job_sector.push_back(r.first_job_sector);
}

AgentRow row_of(const LiveAgents& a, std::uint32_t slot, int end_day) {
    return AgentRow{static_cast<std::int32_t>(a.id[slot]),
                    static_cast<std::int8_t>(a.duration[slot]),
                    static_cast<std::int8_t>(a.diploma[slot]),
                    a.barriers0[slot],
                    a.barriers[slot],
                    a.identified_day[slot],
                    a.entry_day[slot],
                    a.first_job_day[slot],
                    -1,
                    end_day,
                    -1,
                    static_cast<std::int8_t>(a.state[slot]),
                    -1,
                    -1,
                    a.first_job_sector[slot]};
}

void simulate_territory(const Shared& sh, int t, DailySeries& series, TerritoryOutcome& out) {
    const Parameters& p = sh.p;
    const Territory& territory = sh.scenario.territories[t];
    const Profile& profile = territory.profile ? *territory.profile : sh.scenario.profile;
    const int n_sectors = static_cast<int>(sh.scenario.sectors.size());
    const double caseload = territory.caseload.value_or(p.caseload);
    const bool sequential = p.mode == ParcoursMode::sequential;
    const int n_days = sh.calendar.n_days(), last_day = sh.calendar.last_day();

    std::array<double, kMaxSectors> weight{}, end_hazard_base{};
    for (int k = 0; k < n_sectors; ++k) {
        weight[k] = territory.sector_weights ? (*territory.sector_weights)[k]
                                             : sh.scenario.sectors[k].weight;
        end_hazard_base[k] = 1.0 / sh.scenario.sectors[k].contract_days;
    }
    std::vector<std::pair<int, double>> steps;
    for (const auto& [date, headcount] : territory.coaches)
        steps.emplace_back(sh.calendar.day_of(date), headcount);
    const StepSchedule<double> coaches(std::move(steps), 0.0);

    const int open = sh.open_day[t];
    const double r0 = sh.r0[t];
    const double giveup_hazard = 1.0 / p.patience_days;
    const auto tu = static_cast<std::uint32_t>(t);

    LiveAgents live;
    KpiAccumulator& kpi = out.kpis;

    kpi.first_job_delay_count.assign(static_cast<std::size_t>(std::max(p.parcours_days, 1)), 0.0);
    std::vector<std::uint32_t> waiting, active;  // slots; both in id order
    std::uint32_t next_id = 0;
    std::int64_t pool = territory.pool;
    int n_employed = 0;
    // Post-exit stocks change only at follow-up events: kept as day-indexed differences.
    std::vector<double> post_employed_change(n_days + 1, 0.0),
        post_unemployed_change(n_days + 1, 0.0);
    std::vector<double> followup_ends(n_days, 0.0);
    std::uint64_t followup_days_total = 0;

    // The whole follow-up of a person who exits on day `exit` (MODEL.md §3 step 3 and §4), drawn
    // from the person's own stream; records stocks, milestones, KPIs and the agent row.
    auto follow_up = [&](std::uint32_t slot, int exit, bool positive) {
        const std::uint8_t mask = live.barriers[slot];
        const int end = exit + p.followup_days;  // leaves at the end of this day
        const int horizon = std::min(end, last_day);
        RandomStream stream(sh.random, {tu, kPurposeFollowup, live.id[slot], 0});
        bool employed = positive;
        int since = exit, state_6m = -1, state_12m = -1;
        auto stock = [&](bool e) -> std::vector<double>& {
            return e ? post_employed_change : post_unemployed_change;
        };
        stock(employed)[exit] += 1;
        const double find_hazard = p.h0_post * sh.beta_product[mask];
        for (;;) {
            const double u = stream.uniform();
            const int next = employed ? next_event_varying(since, sh.loss_hazard_to, u, horizon)
                                      : next_event_constant(since, find_hazard, u);
            const int segment_end =
                std::min(next - 1, horizon);  // `employed` holds on [since, segment_end]
            for (auto [milestone, state] :
                 {std::pair{exit + kDaysTo6m, &state_6m}, std::pair{exit + kDaysTo12m, &state_12m}})
                if (milestone >= since && milestone <= segment_end)
                    *state = employed ? kPostEmployed : kPostUnemployed;
            if (next > horizon) break;
            stock(employed)[next] -= 1;
            employed = !employed;
            stock(employed)[next] += 1;
            since = next;
        }
        followup_days_total += static_cast<std::uint64_t>(horizon - exit);
        const bool done = end <= last_day;
        if (done) {
            stock(employed)[end] -= 1;
            followup_ends[end] += 1;
        }
        if (exit + kDaysTo6m <= last_day && state_6m >= 0) {
            ++kpi.followed_6m;
            kpi.employed_6m += state_6m == kPostEmployed;
        }
        if (exit + kDaysTo12m <= last_day && state_12m >= 0) {
            ++kpi.followed_12m;
            kpi.employed_12m += state_12m == kPostEmployed;
        }
        if (sh.record_agents) {
            AgentRow row = row_of(live, slot, done ? end : -1);
            row.exit_day = exit;
            row.outcome = positive ? 1 : 0;
            row.final_state = done ? kDone : (employed ? kPostEmployed : kPostUnemployed);
            row.state_6m = static_cast<std::int8_t>(state_6m);
            row.state_12m = static_cast<std::int8_t>(state_12m);
            append_row(out.agents, t, row);
        }
    };

    for (int d = 0; d < n_days; ++d) {
        double* rec = series.row(d, t);
        if (d < open) {
            rec[kPool] = static_cast<double>(pool);
            continue;
        }
        // 1. Schedules and the day's hazards shared by all agents of the territory.
        const double c = coaches.at(d);
        const double ramp_factor = ramp(r0, d, open, p.maturity_days);
        // intensity[k]: k = 1 for an agent whose digital barrier is unresolved.
        std::array<double, 2> intensity;
        intensity[0] =
            dest1::intensity(p, sh.crisis.contacts[d], static_cast<int>(active.size()), c);
        intensity[1] = intensity[0] * (sh.crisis.remote[d] ? p.digital_penalty : 1.0);
        std::array<double, 2> drop_factor;
        std::array<std::array<double, kBarriers>, 2> p_resolve;
        // A zero base hazard stays zero even at zero intensity (0 x infinity would be NaN).
        const double base_drop = p.h0_drop * sh.crisis.dropout[d];
        for (int k = 0; k < 2; ++k) {
            drop_factor[k] = base_drop > 0 ? base_drop * std::pow(intensity[k], -p.kappa) : 0.0;
            for (int b = 0; b < kBarriers; ++b)
                p_resolve[k][b] = probability(p.resolve_per_day[b] * intensity[k] * ramp_factor);
        }
        std::array<double, kMaxSectors> hire_weight{}, end_hazard{};
        double hire_sum = 0;
        const double* hire = &sh.crisis.hire[static_cast<std::size_t>(d) * n_sectors];
        for (int k = 0; k < n_sectors; ++k) {
            hire_weight[k] = weight[k] * hire[k];
            hire_sum += hire_weight[k];
            end_hazard[k] = sh.crisis.jobloss[d] * end_hazard_base[k];
        }
        const double job_factor = p.h0_job * ramp_factor * hire_sum;

        int job_starts = 0, job_ends = 0, dropouts = 0, exits_positive = 0, exits_neutral = 0;
        int resolved = 0, gave_up = 0;

        // 2. Active agents in id order (the list stays sorted: admission is FIFO by id).
        // 3. (Follow-up of those who exited before today was drawn whole on their exit day.)
        out.agent_days += active.size();
        std::size_t kept = 0;
        for (const std::uint32_t slot : active) {
            std::uint8_t& st = live.state[slot];
            if (d - live.entry_day[slot] >= p.parcours_days) {  // a. exit, no draw today
                const bool positive = st == kEmployed;
                if (positive) {
                    --n_employed;
                    ++exits_positive;
                } else {
                    ++exits_neutral;
                }
                follow_up(slot, d, positive);
                live.release(slot);
                continue;
            }
            const auto words = sh.random.block({tu, kPurposeTurn, live.id[slot], std::uint64_t(d)});
            std::uint8_t& mask = live.barriers[slot];
            const int k = (mask >> kDigital) & 1;
            const double confidence = (mask >> kConfidence) & 1 ? p.gamma_confidence : 1.0;
            double h_event, h_drop;
            if (st == kRemob) {
                h_event = (sequential && mask != 0)
                              ? 0.0
                              : job_factor * intensity[k] * sh.beta_product[mask] *
                                    sh.profile_factor[live.duration[slot] * kDiplomaLevels +
                                                      live.diploma[slot]];
                h_drop = drop_factor[k] * confidence;
            } else {
                h_event = end_hazard[live.sector[slot]];
                h_drop = drop_factor[k] * confidence * p.rho_employed;
            }
            // b. One categorical draw. Since 1 - exp(-H) < H, a uniform u >= H means no event
            // without computing the exponential: on most agent-days nothing happens, and this
            // skips the one transcendental function of the turn. The outcome is exactly that of
            // comparing u with the probabilities themselves.
            const double h_total = h_event + h_drop;
            const double u = unit_open(words[0]);
            if (u < h_total) {
                const double p_any = probability(h_total);
                if (u < p_any) {
                    if (u < p_any * (h_event / h_total)) {
                        if (st == kRemob) {
                            const double target = unit_open(words[1]) * hire_sum;
                            double cumulative = 0;
                            int s = 0;
                            for (; s < n_sectors - 1; ++s) {
                                cumulative += hire_weight[s];
                                if (target < cumulative) break;
                            }
                            live.sector[slot] = static_cast<std::uint8_t>(s);
                            if (live.first_job_day[slot] < 0) {
                                const int delay = d - live.entry_day[slot];
                                live.first_job_day[slot] = d;
                                live.first_job_sector[slot] = static_cast<std::int8_t>(s);
                                kpi.first_job_delay_count[delay] += 1;
                                if (live.entry_day[slot] <= last_day - 90 && delay <= 90)
                                    ++kpi.within_90;
                            }
                            st = kEmployed;
                            ++n_employed;
                            ++job_starts;
                        } else {
                            st = kRemob;
                            --n_employed;
                            ++job_ends;
                        }
                    } else {
                        if (st == kEmployed) --n_employed;
                        st = kDropped;
                        ++dropouts;
                        if (sh.record_agents) append_row(out.agents, t, row_of(live, slot, d));
                        live.release(slot);
                        continue;
                    }
                }
            }
            for (int b = 0; b < kBarriers; ++b) {  // c. barriers, with the turn's intensity
                if (((mask >> b) & 1) && unit_open(words[2 + b]) < p_resolve[k][b]) {
                    mask = static_cast<std::uint8_t>(mask & ~(1u << b));
                    ++resolved;
                }
            }
            active[kept++] = slot;
        }
        active.resize(kept);

        // 4. Waiting agents give up on the day drawn at their identification.
        out.agent_days += waiting.size();
        kept = 0;
        for (const std::uint32_t slot : waiting) {
            if (live.giveup_day[slot] == d) {
                live.state[slot] = kGaveUp;
                ++pool;
                ++gave_up;
                if (sh.record_agents) append_row(out.agents, t, row_of(live, slot, d));
                live.release(slot);
            } else {
                waiting[kept++] = slot;
            }
        }
        waiting.resize(kept);

        // 5. Repérage.
        const double lambda =
            outreach_rate(p, c, ramp_factor, sh.crisis.outreach[d], static_cast<double>(pool));
        RandomStream outreach_stream(sh.random, {tu, kPurposeOutreach, 0, std::uint64_t(d)});
        const std::int64_t identified =
            std::min<std::int64_t>(poisson(outreach_stream, lambda), pool);
        pool -= identified;
        for (std::int64_t i = 0; i < identified; ++i) {
            const std::uint32_t id = next_id++;
            const auto words = sh.random.block({tu, kPurposeCreation, id, 0});
            const int dur =
                draw_category(unit_open(words[0]), profile.duration.data(), kDurationClasses);
            const int dip =
                draw_category(unit_open(words[1]), profile.diploma.data(), kDiplomaLevels);
            std::uint8_t mask = 0;
            for (int b = 0; b < kBarriers; ++b)
                if (unit_open(words[2 + b]) < profile.prevalence[b]) mask |= std::uint8_t(1u << b);
            const double u_giveup = unit_open(sh.random.block({tu, kPurposeWaiting, id, 0})[0]);
            waiting.push_back(
                live.add(id, d, dur, dip, mask, next_event_constant(d, giveup_hazard, u_giveup)));
        }
        kpi.identified += static_cast<double>(identified);

        // 6. Admission, FIFO.
        const double capacity = std::floor(c * caseload);
        const auto free_places =
            static_cast<std::int64_t>(capacity) - static_cast<std::int64_t>(active.size());
        const auto admitted = static_cast<std::size_t>(std::min<std::int64_t>(
            std::max<std::int64_t>(free_places, 0), static_cast<std::int64_t>(waiting.size())));
        for (std::size_t i = 0; i < admitted; ++i) {
            const std::uint32_t slot = waiting[i];
            live.state[slot] = kRemob;
            live.entry_day[slot] = d;
            active.push_back(slot);
            kpi.waiting_days += d - live.identified_day[slot];
            if (d <= last_day - 90) ++kpi.within_90_eligible;
        }
        waiting.erase(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(admitted));
        kpi.entries += static_cast<double>(admitted);

        // 7. Pool inflow.
        RandomStream inflow_stream(sh.random, {tu, kPurposeInflow, 0, std::uint64_t(d)});
        const std::int64_t inflow =
            poisson(inflow_stream, territory.inflow_per_day * sh.crisis.inflow[d]);
        pool += inflow;

        // 8. End of day (post-exit stocks are filled in below from their changes).
        rec[kPool] = static_cast<double>(pool);
        rec[kCountWaiting] = static_cast<double>(waiting.size());
        rec[kCountRemob] = static_cast<double>(active.size()) - n_employed;
        rec[kCountEmployed] = n_employed;
        rec[kIdentified] = static_cast<double>(identified);
        rec[kAdmitted] = static_cast<double>(admitted);
        rec[kGaveUpFlow] = gave_up;
        rec[kJobStarts] = job_starts;
        rec[kJobEnds] = job_ends;
        rec[kDropouts] = dropouts;
        rec[kExitsPositive] = exits_positive;
        rec[kExitsNeutral] = exits_neutral;
        rec[kBarriersResolved] = resolved;
        rec[kInflow] = static_cast<double>(inflow);
        rec[kCoaches] = c;
        rec[kCapacity] = capacity;
        rec[kCost] = (p.coach_cost_per_year * c + p.hub_fixed_cost_per_year) / 365.0 +
                     p.solution_cost * resolved;
    }

    // End-of-day stocks after the day's flows: a person leaving follow-up on day d is no longer
    // counted at the end of d, so stock(d) = stock(d-1) + inflows(d) - outflows(d).
    double post_employed = 0, post_unemployed = 0;
    for (int d = 0; d < n_days; ++d) {
        post_employed += post_employed_change[d];
        post_unemployed += post_unemployed_change[d];
        double* rec = series.row(d, t);
        rec[kCountPostEmployed] = post_employed;
        rec[kCountPostUnemployed] = post_unemployed;
        rec[kFollowupEnds] = followup_ends[d];
    }
    out.agent_days += followup_days_total;

    if (sh.record_agents) {
        for (const std::uint32_t slot : active) append_row(out.agents, t, row_of(live, slot, -1));
        for (const std::uint32_t slot : waiting) append_row(out.agents, t, row_of(live, slot, -1));
    }
}

KpiValues finish_kpis(const KpiAccumulator& a, const DailySeries& series,
                      const std::vector<int>& territories, double capacity_utilisation) {
    using analysis::ratio;
    KpiValues k{};
    double total_cost = 0;
    for (int t : territories) {
        for (int d = 0; d < series.n_days(); ++d) {
            const double* r = series.row(d, t);
            k[kKpiJobStarts] += r[kJobStarts];
            k[kKpiDropouts] += r[kDropouts];
            k[kKpiGaveUp] += r[kGaveUpFlow];
            k[kKpiExitsPositive] += r[kExitsPositive];
            k[kKpiExitsNeutral] += r[kExitsNeutral];
            total_cost += r[kCost];
        }
    }
    k[kKpiIdentified] = a.identified;
    k[kKpiEntries] = a.entries;
    k[kKpiPositiveExitRate] =
        ratio(k[kKpiExitsPositive], k[kKpiExitsPositive] + k[kKpiExitsNeutral] + k[kKpiDropouts]);
    k[kKpiMeanDaysToFirstJob] = analysis::histogram_mean(a.first_job_delay_count);
    k[kKpiMedianDaysToFirstJob] = analysis::histogram_median(a.first_job_delay_count);
    k[kKpiShareJobWithin90d] = ratio(a.within_90, a.within_90_eligible);
    k[kKpiEmployed6mAfterExit] = ratio(a.employed_6m, a.followed_6m);
    k[kKpiEmployed12mAfterExit] = ratio(a.employed_12m, a.followed_12m);
    k[kKpiMeanWaitingDays] = ratio(a.waiting_days, a.entries);
    k[kKpiCapacityUtilisation] = capacity_utilisation;
    k[kKpiTotalCost] = total_cost;
    k[kKpiCostPerEntry] = ratio(total_cost, a.entries);
    k[kKpiCostPerPositiveExit] = ratio(total_cost, k[kKpiExitsPositive]);
    return k;
}

}  // namespace

RunResult run(const Scenario& declared, const RunOptions& options) {
    // Candidate territories get their opening dates and coach schedules first (not random).
    RolloutPlan plan = plan_rollout(declared);
    const Scenario& scenario = plan.scenario;
    const Calendar calendar(scenario.start, scenario.end);
    const int n_territories = static_cast<int>(scenario.territories.size());
    if (scenario.sectors.size() > static_cast<std::size_t>(kMaxSectors))
        throw std::invalid_argument("dest1: at most 32 sectors");

    std::vector<int> open_day(n_territories);
    for (int t = 0; t < n_territories; ++t)
        open_day[t] = calendar.day_of(scenario.territories[t].open);

    const Parameters& p = scenario.parameters;
    Shared shared{scenario,
                  p,
                  calendar,
                  crisis_calendar(scenario, calendar),
                  open_day,
                  initial_ramps(scenario, open_day),
                  {},
                  {},
                  {},
                  RandomSource(options.seed, options.replication),
                  options.record_agents};
    for (int mask = 0; mask < kMasks; ++mask) {
        double product = 1;
        for (int b = 0; b < kBarriers; ++b)
            if ((mask >> b) & 1) product *= p.beta[b];
        shared.beta_product[mask] = product;
    }
    for (int dur = 0; dur < kDurationClasses; ++dur)
        for (int dip = 0; dip < kDiplomaLevels; ++dip)
            shared.profile_factor[dur * kDiplomaLevels + dip] =
                p.delta_duration[dur] * p.delta_diploma[dip];
    shared.loss_hazard_to.assign(calendar.n_days() + 1, 0.0);
    for (int d = 0; d < calendar.n_days(); ++d)
        shared.loss_hazard_to[d + 1] =
            shared.loss_hazard_to[d] + shared.crisis.jobloss[d] / p.post_job_days;

    RunResult result;
    result.rollout = std::move(plan.decisions);
    result.rollout_max_run_rate = plan.max_run_rate;
    result.series = DailySeries(calendar.n_days(), n_territories, series_variables());
    std::vector<TerritoryOutcome> outcomes(n_territories);
    {
        Progress progress("run " + scenario.name, static_cast<std::uint64_t>(n_territories),
                          options.progress ? Progress::Mode::automatic : Progress::Mode::quiet,
                          1.0);
        for_each_unit(static_cast<std::size_t>(n_territories), options.threads, [&](std::size_t t) {
            simulate_territory(shared, static_cast<int>(t), result.series, outcomes[t]);
            progress.advance();
        });
    }

    KpiAccumulator total;
    std::vector<int> all(n_territories);
    std::iota(all.begin(), all.end(), 0);
    for (int t = 0; t < n_territories; ++t) {
        double utilisation_sum = 0;
        int open_days = 0;
        for (int d = std::max(open_day[t], 0); d < calendar.n_days(); ++d, ++open_days) {
            const double* r = result.series.row(d, t);
            utilisation_sum += (r[kCountRemob] + r[kCountEmployed]) / r[kCapacity];
        }
        result.territory_kpis.push_back(finish_kpis(outcomes[t].kpis, result.series, {t},
                                                    analysis::ratio(utilisation_sum, open_days)));
        total.merge(outcomes[t].kpis);
        result.agent_days += outcomes[t].agent_days;
    }
    double utilisation_sum = 0;
    int days_with_open = 0;
    for (int d = 0; d < calendar.n_days(); ++d) {
        double active = 0, capacity = 0;
        bool any_open = false;
        for (int t = 0; t < n_territories; ++t) {
            const double* r = result.series.row(d, t);
            active += r[kCountRemob] + r[kCountEmployed];
            capacity += r[kCapacity];
            any_open = any_open || d >= open_day[t];
        }
        if (any_open) {
            utilisation_sum += active / capacity;
            ++days_with_open;
        }
    }
    result.total_kpis =
        finish_kpis(total, result.series, all, analysis::ratio(utilisation_sum, days_with_open));

    if (options.record_agents) {
        // Rows were appended as people left the run; the table is ordered by (territory, local id).
        AgentTable table;
        for (int t = 0; t < n_territories; ++t) {
            const AgentTable& rows = outcomes[t].agents;
            std::vector<std::size_t> order(rows.size());
            std::iota(order.begin(), order.end(), 0);
            std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                return rows.local_id[a] < rows.local_id[b];
            });
            for (std::size_t i : order) {
                append_row(table, t,
                           AgentRow{rows.local_id[i], rows.duration[i], rows.diploma[i],
                                    rows.barriers_at_identification[i], rows.barriers_at_end[i],
                                    rows.identified_day[i], rows.entry_day[i],
                                    rows.first_job_day[i], rows.exit_day[i], rows.end_day[i],
                                    rows.outcome[i], rows.final_state[i], rows.state_6m[i],
                                    rows.state_12m[i], rows.first_job_sector[i]});
            }
        }
        result.agents = std::move(table);
    }
    return result;
}

}  // namespace essaim::dest1
