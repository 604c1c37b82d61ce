// One territory over the run, as the steps of MODEL.md §3: `TerritoryState::day` calls them in the
// text's order, and each can be held against its paragraph.
//
// Active agents (REMOB, EMPLOYED) depend on the territory's state of the day, so they are advanced
// day by day. Two engines draw their events (RunOptions::engine, docs/MODEL.md §7.12):
// - event: every active agent holds Exp(1) budgets, one for its competing events (step 2b) and
//   one per unresolved barrier (step 2c). Each day subtracts that day's hazard from each budget;
//   the event happens on the day its budget runs out. Given no event before day d, the budget
//   left is Exp(1) (memorylessness), so the event happens on day d with probability
//   1 - exp(-H_d): the daily process of MODEL.md exactly, with no random draw on the days without
//   events. An event that changes other hazards (a barrier resolved changes h_job through beta, a
//   job start changes the competing set) leaves the other budgets valid for the same reason: all
//   the past reveals of a budget is that it exceeds the hazard used so far, and its remainder is
//   again Exp(1), independent of everything else, whatever hazards follow. A barrier's hazard is
//   s_b x (I r), so its budget E_b is kept as the threshold E_b / s_b on the agent's sum of I r:
//   the same clock, one addition a day for all of the agent's barriers.
// - daily: one block of random words per agent and day, as in the original engine (kept
//   bit-identical).
// Waiting and followed-up agents have hazards that depend only on the calendar, so their next
// event is drawn at once by inverting the cumulative hazard: a person's follow-up is simulated
// whole on its exit day, and the person is then folded into the KPI accumulators. Memory follows
// the waiting and active agents only.
#include "models/dest1/territory.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "models/dest1/submodels.hpp"
#include "sim/step_schedule.hpp"

namespace essaim::dest1::detail {
namespace {

constexpr int kDaysTo6m = 182;
constexpr int kDaysTo12m = 365;
constexpr int kNever = std::numeric_limits<int>::max();
constexpr std::int32_t kGone = -1;  // give-up day of a waiting slot whose person left the list

int draw_category(double u, const double* shares, int n) {
    double cumulative = 0;
    for (int i = 0; i < n - 1; ++i) {
        cumulative += shares[i];
        if (u < cumulative) return i;
    }
    return n - 1;
}

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

// An Exp(1) budget from two random words: -log of a uniform with 52 bits, on the open interval
// (0, 1) (the largest value, 1 - 2^-53, is a double), so the budget is positive and finite.
double exponential_budget(std::uint32_t high, std::uint32_t low) {
    const std::uint64_t bits = ((static_cast<std::uint64_t>(high) << 32) | low) >> 12;
    return -std::log((static_cast<double>(bits) + 0.5) * 0x1p-52);
}

// People identified and not admitted, in id order (the FIFO of step 6). A person who gives up
// leaves a hole (giveup_day = kGone) that admission skips; holes and admitted people at the front
// are squeezed out once they outnumber the people waiting, so the columns stay within twice the
// live count.
struct WaitingList {
    std::vector<std::uint32_t> id;
    std::vector<std::int32_t> identified_day, giveup_day;
    std::vector<std::uint8_t> duration, diploma, barriers;
    std::vector<float> employability;
    std::size_t head = 0, holes = 0;

    std::size_t count() const { return id.size() - head - holes; }
    void push(std::uint32_t local_id, int day, int dur, int dip, std::uint8_t mask, int giveup,
              float z) {
        id.push_back(local_id);
        identified_day.push_back(day);
        giveup_day.push_back(giveup);
        duration.push_back(static_cast<std::uint8_t>(dur));
        diploma.push_back(static_cast<std::uint8_t>(dip));
        barriers.push_back(mask);
        employability.push_back(z);
    }
    void squeeze() {
        if (head + holes <= count()) return;
        std::size_t kept = 0;
        for (std::size_t i = head; i < id.size(); ++i) {
            if (giveup_day[i] == kGone) continue;
            id[kept] = id[i];
            identified_day[kept] = identified_day[i];
            giveup_day[kept] = giveup_day[i];
            duration[kept] = duration[i];
            diploma[kept] = diploma[i];
            barriers[kept] = barriers[i];
            employability[kept] = employability[i];
            ++kept;
        }
        for (auto* column : {&identified_day, &giveup_day}) column->resize(kept);
        for (auto* column : {&duration, &diploma, &barriers}) column->resize(kept);
        employability.resize(kept);
        id.resize(kept);
        head = holes = 0;
    }
};

// People in the parcours (REMOB or EMPLOYED) as columns. Their order does not matter: every draw
// is addressed by the person's local id, and everything summed over them is a count. A person who
// leaves is replaced by the last one.
struct ActiveAgents {
    std::vector<std::uint32_t> id;
    std::vector<std::int32_t> identified_day, entry_day, first_job_day;
    std::vector<std::uint8_t> state, barriers, barriers0, duration, diploma, profile, sector;
    std::vector<std::int8_t> first_job_sector;
    std::vector<float> employability;  // Z (MODEL.md §7.1), a factor of h_job
    // Event engine. The competing events' hazard of a day is factor(d) x weight for each of the
    // two events, with the day's factors shared by the territory (DayFactors::event_factor) and
    // the weights constant between an agent's events: `clock` selects the factors (employed x 2
    // + digital), `event_weight` is beta(mask) x delta (REMOB, 0 in sequential mode with a
    // barrier) or 1 / contract_days (EMPLOYED), `drop_weight` the confidence and rho factors.
    // `budget` is what remains of the Exp(1) budget, `events` the competing events so far (the
    // position in the clock stream).
    std::vector<std::uint8_t> clock;
    std::vector<double> event_weight, drop_weight, budget;
    std::vector<std::uint32_t> events;
    // Barrier b's hazard is s_b x I x r: its Exp(1) budget E_b runs out when the agent's own sum of
    // I x r since admission (`resolve_clock`) reaches E_b / s_b (`resolve_at`): one addition a
    // day for all barriers, compared with the nearest of them (`next_resolve`).
    std::vector<double> resolve_clock, next_resolve;
    std::array<std::vector<double>, kBarriers> resolve_at;

    std::size_t size() const { return id.size(); }

    template <class F>
    void for_each_column(F&& f) {
        f(id);
        f(identified_day);
        f(entry_day);
        f(first_job_day);
        for (auto* c : {&state, &barriers, &barriers0, &duration, &diploma, &profile, &sector})
            f(*c);
        f(first_job_sector);
        f(employability);
        f(clock);
        for (auto* c : {&event_weight, &drop_weight, &budget, &resolve_clock, &next_resolve}) f(*c);
        f(events);
        for (auto& c : resolve_at) f(c);
    }
    void remove(std::size_t i) {
        for_each_column([i](auto& column) {
            column[i] = column.back();
            column.pop_back();
        });
    }
};

// The day's flows of step 8.
struct Flows {
    int job_starts = 0, job_ends = 0, dropouts = 0, exits_positive = 0, exits_neutral = 0;
    int resolved = 0, gave_up = 0;
    std::int64_t identified = 0, inflow = 0;
    std::size_t admitted = 0;
};

// f(x) for the last x asked, computed again only when x changes.
struct LastValue {
    double x = std::numeric_limits<double>::quiet_NaN(), y = 0;
    template <class F>
    double of(double arg, F&& f) {
        if (arg != x) {
            x = arg;
            y = f(arg);
        }
        return y;
    }
};

// The hazards and factors of step 1 that every agent of the territory shares on the day.
// Index k = 1 for an agent whose digital barrier is unresolved (the remote-crisis penalty).
struct DayFactors {
    double coaches = 0, ramp = 0, capacity = 0;
    double contacts = 0;  // effective contacts per person and week, c_t(d) (MODEL.md §7.2)
    std::array<double, 2> intensity{}, drop_factor{};
    std::array<std::array<double, kBarriers>, 2> resolve_hazard{}, resolve_probability{};
    std::array<double, kMaxSectors> hire_weight{}, end_hazard{};
    double hire_sum = 0, job_factor = 0;
    // Event engine, indexed by ActiveAgents::clock: the factors of the competing hazards and of
    // the barriers' common clock I x r.
    std::array<double, 4> event_factor{}, drop_factor_of_clock{};
    std::array<double, 2> resolve_factor{};
};

// An agent's hazards for its turn, computed once at its start (MODEL.md §3 step 2).
struct TurnHazards {
    double event, drop;  // job start (REMOB) or job end (EMPLOYED); dropout
    int k;               // digital-penalty index of DayFactors
};

// States of a followed-up person at the milestones and at the end of the run or follow-up.
struct FollowUpResult {
    int state_6m = -1, state_12m = -1, final_state = kDone, end_day = -1;
};

class TerritoryState {
public:
    TerritoryState(const RunConstants& run, int t, DailySeries& series, TerritoryOutcome& out);
    void simulate();

private:
    void day(int d);
    // MODEL.md §3, one function per step.
    void schedules(int d);
    void active_agents_daily(int d);
    void active_agents_event(int d);
    FollowUpResult follow_up(std::uint32_t local_id, std::uint8_t barriers, float employability,
                             int exit, bool positive);
    void waiting_give_up(int d);
    void reperage(int d);
    void admission(int d);
    void pool_inflow(int d);
    void record(int d);
    void finish();

    // The parts of an active agent's turn.
    bool exit_parcours(std::size_t i, int d);
    TurnHazards hazards(std::size_t i) const;
    void job_start(std::size_t i, int d, double u_sector);
    void job_end(std::size_t i);
    void dropout(std::size_t i, int d);
    void resolve(std::size_t i, int b);
    bool event_turn(std::size_t i, int d, double h_event, double h_drop);
    void set_weights(std::size_t i);
    void draw_clocks(std::size_t i);
    float draw_employability(std::uint32_t local_id) const;

    AgentRow active_row(std::size_t i, int end_day) const;
    AgentRow waiting_row(std::size_t i, int end_day) const;
    void keep_row(const AgentRow& row) {
        if (run_.record_agents) append_row(out_.agents, t_, row);
    }

    const RunConstants& run_;
    const Parameters& p_;
    const Territory& territory_;
    const Profile& profile_;
    const int t_;
    const std::uint32_t tu_;
    const int n_sectors_, n_days_, last_day_, open_;
    const double caseload_, r0_, giveup_hazard_, employability_variance_;
    const bool sequential_;
    StepSchedule<double> coaches_;
    std::array<double, kMaxSectors> weight_{}, end_hazard_base_{};
    DailySeries& series_;
    TerritoryOutcome& out_;
    KpiAccumulator& kpi_;

    WaitingList waiting_;
    ActiveAgents active_;
    std::uint32_t next_id_ = 0;
    std::int64_t pool_;
    int n_employed_ = 0;
    DayFactors f_;
    LastValue contacts_power_;
    std::array<LastValue, 2> drop_power_;
    Flows flows_;
    // Post-exit stocks change only at follow-up events: kept as day-indexed differences.
    std::vector<double> post_employed_change_, post_unemployed_change_, followup_ends_;
    std::uint64_t followup_days_total_ = 0;
};

TerritoryState::TerritoryState(const RunConstants& run, int t, DailySeries& series,
                               TerritoryOutcome& out)
    : run_(run),
      p_(run.p),
      territory_(run.scenario.territories[t]),
      profile_(territory_.profile ? *territory_.profile : run.scenario.profile),
      t_(t),
      tu_(static_cast<std::uint32_t>(t)),
      n_sectors_(static_cast<int>(run.scenario.sectors.size())),
      n_days_(run.calendar.n_days()),
      last_day_(run.calendar.last_day()),
      open_(run.open_day[t]),
      caseload_(territory_.caseload.value_or(p_.caseload)),
      r0_(run.r0[t]),
      giveup_hazard_(1.0 / p_.patience_days),
      employability_variance_(p_.employability_variance),
      sequential_(p_.mode == ParcoursMode::sequential),
      series_(series),
      out_(out),
      kpi_(out.kpis),
      pool_(territory_.pool),
      post_employed_change_(n_days_ + 1, 0.0),
      post_unemployed_change_(n_days_ + 1, 0.0),
      followup_ends_(n_days_, 0.0) {
    for (int k = 0; k < n_sectors_; ++k) {
        weight_[k] = territory_.sector_weights ? (*territory_.sector_weights)[k]
                                               : run.scenario.sectors[k].weight;
        end_hazard_base_[k] = 1.0 / run.scenario.sectors[k].contract_days;
    }
    std::vector<std::pair<int, double>> steps;
    for (const auto& [date, headcount] : territory_.coaches)
        steps.emplace_back(run.calendar.day_of(date), headcount);
    coaches_ = StepSchedule<double>(std::move(steps), 0.0);
    kpi_.first_job_delay_count.assign(static_cast<std::size_t>(std::max(p_.parcours_days, 1)), 0.0);
}

void TerritoryState::simulate() {
    for (int d = 0; d < n_days_; ++d) day(d);
    finish();
}

// MODEL.md §3, in the text's order. Before its opening day a territory only reports its pool.
void TerritoryState::day(int d) {
    if (d < open_) {
        series_.row(d, t_)[kPool] = static_cast<double>(pool_);
        return;
    }
    flows_ = Flows{};
    schedules(d);
    // Step 3, the follow-up of those who exited before today, was drawn whole on their exit day.
    if (run_.engine == Engine::daily)
        active_agents_daily(d);
    else
        active_agents_event(d);
    waiting_give_up(d);
    reperage(d);
    admission(d);
    pool_inflow(d);
    record(d);
}

// 1. Schedules, crisis multipliers, ramp, and the hazard factors every agent shares today;
// active_t is counted before anyone acts.
void TerritoryState::schedules(int d) {
    const CrisisCalendar& crisis = run_.crisis;
    f_.coaches = coaches_.at(d);
    f_.ramp = ramp(r0_, d, open_, p_.maturity_days);
    f_.capacity = std::floor(f_.coaches * caseload_);
    // intensity() as contacts x load, with the powers of the last distinct arguments kept: without
    // a limit on coach time they change only with the crisis calendar and the load, and pow
    // dominates a small territory's day.
    const int active = static_cast<int>(active_.size());
    f_.contacts = effective_contacts(p_, crisis.contacts[d], active, f_.coaches);
    f_.intensity[0] = contacts_power_.of(f_.contacts, [&](double c) {
        return contacts_factor(p_, c);
    }) * load_factor(p_, active, f_.coaches);
    f_.intensity[1] = f_.intensity[0] * (crisis.remote[d] ? p_.digital_penalty : 1.0);
    // A zero base hazard stays zero even at zero intensity (0 x infinity would be NaN).
    const double base_drop = p_.h0_drop * crisis.dropout[d];
    for (int k = 0; k < 2; ++k) {
        f_.drop_factor[k] =
            base_drop > 0
                ? base_drop * drop_power_[k].of(f_.intensity[k],
                                                [&](double i) { return std::pow(i, -p_.kappa); })
                : 0.0;
        for (int b = 0; b < kBarriers; ++b) {
            f_.resolve_hazard[k][b] = p_.resolve_per_day[b] * f_.intensity[k] * f_.ramp;
            if (run_.engine == Engine::daily)
                f_.resolve_probability[k][b] = probability(f_.resolve_hazard[k][b]);
        }
    }
    f_.hire_sum = 0;
    const double* hire = &crisis.hire[static_cast<std::size_t>(d) * n_sectors_];
    for (int k = 0; k < n_sectors_; ++k) {
        f_.hire_weight[k] = weight_[k] * hire[k];
        f_.hire_sum += f_.hire_weight[k];
        f_.end_hazard[k] = crisis.jobloss[d] * end_hazard_base_[k];
    }
    f_.job_factor = p_.h0_job * f_.ramp * f_.hire_sum;
    for (int k = 0; k < 2; ++k) {
        f_.event_factor[k] = f_.job_factor * f_.intensity[k];
        f_.event_factor[2 + k] = crisis.jobloss[d];
        f_.drop_factor_of_clock[k] = f_.drop_factor_of_clock[2 + k] = f_.drop_factor[k];
        f_.resolve_factor[k] = f_.intensity[k] * f_.ramp;
    }
}

// 2a. The 15 months are over: exit with the outcome of the state, no draw today, and the whole
// follow-up drawn now. Returns whether agent i left.
bool TerritoryState::exit_parcours(std::size_t i, int d) {
    if (d - active_.entry_day[i] < p_.parcours_days) return false;
    const bool positive = active_.state[i] == kEmployed;
    if (positive) {
        --n_employed_;
        ++flows_.exits_positive;
    } else {
        ++flows_.exits_neutral;
    }
    const FollowUpResult followed =
        follow_up(active_.id[i], active_.barriers[i], active_.employability[i], d, positive);
    if (run_.record_agents) {
        AgentRow row = active_row(i, followed.end_day);
        row.exit_day = d;
        row.outcome = positive ? 1 : 0;
        row.final_state = static_cast<std::int8_t>(followed.final_state);
        row.state_6m = static_cast<std::int8_t>(followed.state_6m);
        row.state_12m = static_cast<std::int8_t>(followed.state_12m);
        keep_row(row);
    }
    active_.remove(i);
    return true;
}

// MODEL.md §4: h_job (0 in sequential mode while a barrier is unresolved) and h_drop for REMOB;
// h_end and rho_employed h_drop for EMPLOYED.
TurnHazards TerritoryState::hazards(std::size_t i) const {
    const std::uint8_t mask = active_.barriers[i];
    const int k = (mask >> kDigital) & 1;
    const double confidence = (mask >> kConfidence) & 1 ? p_.gamma_confidence : 1.0;
    if (active_.state[i] == kRemob) {
        const double h_job = (sequential_ && mask != 0)
                                 ? 0.0
                                 : f_.job_factor * f_.intensity[k] * run_.beta_product[mask] *
                                       run_.profile_factor[active_.profile[i]] *
                                       active_.employability[i];
        return {h_job, f_.drop_factor[k] * confidence, k};
    }
    return {f_.end_hazard[active_.sector[i]], f_.drop_factor[k] * confidence * p_.rho_employed, k};
}

// A REMOB agent finds a job; the sector is drawn with probability w_s m_hire_s / Σ.
void TerritoryState::job_start(std::size_t i, int d, double u_sector) {
    const double target = u_sector * f_.hire_sum;
    double cumulative = 0;
    int s = 0;
    for (; s < n_sectors_ - 1; ++s) {
        cumulative += f_.hire_weight[s];
        if (target < cumulative) break;
    }
    active_.sector[i] = static_cast<std::uint8_t>(s);
    if (active_.first_job_day[i] < 0) {
        const int delay = d - active_.entry_day[i];
        active_.first_job_day[i] = d;
        active_.first_job_sector[i] = static_cast<std::int8_t>(s);
        kpi_.first_job_delay_count[delay] += 1;
        if (active_.entry_day[i] <= last_day_ - 90 && delay <= 90) ++kpi_.within_90;
    }
    active_.state[i] = kEmployed;
    ++n_employed_;
    ++flows_.job_starts;
}

void TerritoryState::job_end(std::size_t i) {
    active_.state[i] = kRemob;
    --n_employed_;
    ++flows_.job_ends;
}

// Dropouts are final: the person leaves the run (not back to the pool).
void TerritoryState::dropout(std::size_t i, int d) {
    if (active_.state[i] == kEmployed) --n_employed_;
    active_.state[i] = kDropped;
    ++flows_.dropouts;
    keep_row(active_row(i, d));
    active_.remove(i);
}

void TerritoryState::resolve(std::size_t i, int b) {
    active_.barriers[i] = static_cast<std::uint8_t>(active_.barriers[i] & ~(1u << b));
    ++flows_.resolved;
}

// 2 (daily engine). Per agent and day, one block of words addressed by (agent, day): [0] the
// categorical draw over the competing events, [1] the sector, [2 + b] barrier b.
void TerritoryState::active_agents_daily(int d) {
    out_.agent_days += active_.size();
    for (std::size_t i = 0; i < active_.size();) {
        if (exit_parcours(i, d)) continue;  // a.
        const auto words = run_.random.block({tu_, kPurposeTurn, active_.id[i], std::uint64_t(d)});
        const TurnHazards h = hazards(i);
        // b. Since 1 - exp(-H) < H, a uniform u >= H means no event without computing the
        // exponential; the outcome is exactly that of comparing u with the probabilities.
        const double h_total = h.event + h.drop;
        const double u = unit_open(words[0]);
        if (u < h_total) {
            const double p_any = probability(h_total);
            if (u < p_any) {
                if (u < p_any * (h.event / h_total)) {
                    if (active_.state[i] == kRemob)
                        job_start(i, d, unit_open(words[1]));
                    else
                        job_end(i);
                } else {
                    dropout(i, d);
                    continue;
                }
            }
        }
        // c. Barriers, with the probabilities of the turn's intensity.
        for (int b = 0; b < kBarriers; ++b)
            if (((active_.barriers[i] >> b) & 1) &&
                unit_open(words[2 + b]) < f_.resolve_probability[h.k][b])
                resolve(i, b);
        ++i;
    }
}

// 2 (event engine). The day's hazards are subtracted from the budgets; an agent whose budget runs
// out, or who reaches the end of its parcours, takes the slow path of event_turn(). Nothing is
// drawn on the other agent-days, which are most of them.
void TerritoryState::active_agents_event(int d) {
    out_.agent_days += active_.size();
    // Copies: the loop's stores cannot alias them, so they stay in registers.
    const auto event_factor = f_.event_factor;
    const auto drop_factor = f_.drop_factor_of_clock;
    const auto resolve_factor = f_.resolve_factor;
    const int last_entry_to_exit = d - p_.parcours_days;  // a. d - entry_day >= parcours_days
    std::size_t i = 0;
    while (i < active_.size()) {
        // The columns' addresses, taken again after each slow path (which may remove an agent).
        const std::size_t n = active_.size();
        const std::uint8_t* clock = active_.clock.data();
        const std::int32_t* entry_day = active_.entry_day.data();
        const double* event_weight = active_.event_weight.data();
        const double* drop_weight = active_.drop_weight.data();
        const double* next_resolve = active_.next_resolve.data();
        double* budget = active_.budget.data();
        double* resolve_clock = active_.resolve_clock.data();
        for (; i < n; ++i) {
            const int c = clock[i];
            budget[i] -= event_factor[c] * event_weight[i] + drop_factor[c] * drop_weight[i];
            resolve_clock[i] += resolve_factor[c & 1];
            if (entry_day[i] <= last_entry_to_exit || budget[i] <= 0 ||
                resolve_clock[i] >= next_resolve[i])
                break;
        }
        if (i == n) break;
        const int c = clock[i];
        if (event_turn(i, d, event_factor[c] * event_weight[i], drop_factor[c] * drop_weight[i]))
            ++i;
    }
}

// An agent's turn on a day where something happens, in the order of MODEL.md §3 step 2, with the
// hazards of the start of the turn. Returns whether the agent is still active.
bool TerritoryState::event_turn(std::size_t i, int d, double h_event, double h_drop) {
    if (exit_parcours(i, d)) return false;  // a. (today's subtractions no longer matter)
    if (active_.budget[i] <= 0) {           // b. event i with probability h_i / H
        const auto words = run_.random.block(
            {tu_, kPurposeClock, active_.id[i], std::uint64_t(++active_.events[i])});
        active_.budget[i] = exponential_budget(words[2], words[3]);
        if (unit_open(words[0]) * (h_event + h_drop) < h_event) {
            if (active_.state[i] == kRemob)
                job_start(i, d, unit_open(words[1]));
            else
                job_end(i);
        } else {
            dropout(i, d);
            return false;  // no barrier is resolved on the day of a dropout
        }
    }
    // c. Every barrier whose budget ran out today, with the turn's intensity (already added).
    if (active_.resolve_clock[i] >= active_.next_resolve[i])
        for (unsigned m = active_.barriers[i]; m != 0; m &= m - 1) {
            const int b = std::countr_zero(m);
            if (active_.resolve_clock[i] >= active_.resolve_at[b][i]) resolve(i, b);
        }
    set_weights(i);
    return true;
}

// The event engine's weights of agent i for its state, barriers, profile and sector (the factors
// of MODEL.md §4 that do not change from day to day).
void TerritoryState::set_weights(std::size_t i) {
    const std::uint8_t mask = active_.barriers[i];
    const int k = (mask >> kDigital) & 1;
    const double confidence = (mask >> kConfidence) & 1 ? p_.gamma_confidence : 1.0;
    if (active_.state[i] == kRemob) {
        active_.clock[i] = static_cast<std::uint8_t>(k);
        active_.event_weight[i] = (sequential_ && mask != 0)
                                      ? 0.0
                                      : run_.beta_product[mask] *
                                            run_.profile_factor[active_.profile[i]] *
                                            active_.employability[i];
        active_.drop_weight[i] = confidence;
    } else {
        active_.clock[i] = static_cast<std::uint8_t>(2 + k);
        active_.event_weight[i] = end_hazard_base_[active_.sector[i]];
        active_.drop_weight[i] = confidence * p_.rho_employed;
    }
    double next = std::numeric_limits<double>::infinity();
    for (unsigned m = mask; m != 0; m &= m - 1)
        next = std::min(next, active_.resolve_at[std::countr_zero(m)][i]);
    active_.next_resolve[i] = next;
}

// The budgets of an agent admitted today, from its clock stream at n = 0. A barrier that cannot
// be resolved (s_b = 0) never reaches its threshold.
void TerritoryState::draw_clocks(std::size_t i) {
    const StreamAddress address{tu_, kPurposeClock, active_.id[i], 0};
    active_.events[i] = 0;
    const auto first = run_.random.block(address, 0);
    active_.budget[i] = exponential_budget(first[2], first[3]);
    active_.resolve_clock[i] = 0;
    RandomSource::Block words{};
    int loaded = -1;  // the block of barrier budgets in `words`
    for (unsigned m = active_.barriers[i]; m != 0; m &= m - 1) {
        const int b = std::countr_zero(m);
        if (b / 4 != loaded) words = run_.random.block(address, 1 + (loaded = b / 4));
        const double budget = exponential_budget(words[2 * (b % 4)], words[2 * (b % 4) + 1]);
        active_.resolve_at[b][i] = p_.resolve_per_day[b] > 0
                                       ? budget / p_.resolve_per_day[b]
                                       : std::numeric_limits<double>::infinity();
    }
    set_weights(i);
}

// 3. The whole follow-up of a person who exits on day `exit` (MODEL.md §3 step 3, §4 and §7.1),
// drawn from the person's own stream: POST_EMPLOYED loses its job with the calendar's m_jobloss /
// post_job_days, POST_UNEMPLOYED finds one with h0_post Π beta_b Z. Records the post-exit stocks,
// the milestones' KPIs and the day the person leaves follow-up.
FollowUpResult TerritoryState::follow_up(std::uint32_t local_id, std::uint8_t barriers,
                                         float employability, int exit, bool positive) {
    const int end = exit + p_.followup_days;  // leaves at the end of this day
    const int horizon = std::min(end, last_day_);
    RandomStream stream(run_.random, {tu_, kPurposeFollowup, local_id, 0});
    bool employed = positive;
    int since = exit;
    FollowUpResult result;
    auto stock = [&](bool e) -> std::vector<double>& {
        return e ? post_employed_change_ : post_unemployed_change_;
    };
    stock(employed)[exit] += 1;
    const double find_hazard = p_.h0_post * run_.beta_product[barriers] * employability;
    for (;;) {
        const double u = stream.uniform();
        const int next = employed ? next_event_varying(since, run_.loss_hazard_to, u, horizon)
                                  : next_event_constant(since, find_hazard, u);
        const int segment_end = std::min(next - 1, horizon);  // `employed` on [since, segment_end]
        for (auto [milestone, state] : {std::pair{exit + kDaysTo6m, &result.state_6m},
                                        std::pair{exit + kDaysTo12m, &result.state_12m}})
            if (milestone >= since && milestone <= segment_end)
                *state = employed ? kPostEmployed : kPostUnemployed;
        if (next > horizon) break;
        stock(employed)[next] -= 1;
        employed = !employed;
        stock(employed)[next] += 1;
        since = next;
    }
    followup_days_total_ += static_cast<std::uint64_t>(horizon - exit);
    const bool done = end <= last_day_;
    if (done) {
        stock(employed)[end] -= 1;
        followup_ends_[end] += 1;
        result.end_day = end;
    } else {
        result.final_state = employed ? kPostEmployed : kPostUnemployed;
    }
    if (exit + kDaysTo6m <= last_day_ && result.state_6m >= 0) {
        ++kpi_.followed_6m;
        kpi_.employed_6m += result.state_6m == kPostEmployed;
    }
    if (exit + kDaysTo12m <= last_day_ && result.state_12m >= 0) {
        ++kpi_.followed_12m;
        kpi_.employed_12m += result.state_12m == kPostEmployed;
    }
    return result;
}

// 4. Waiting agents give up on the day drawn at their identification; the person returns to the
// pool at once.
void TerritoryState::waiting_give_up(int d) {
    out_.agent_days += waiting_.count();
    for (std::size_t i = waiting_.head; i < waiting_.id.size(); ++i) {
        if (waiting_.giveup_day[i] != d) continue;
        ++pool_;
        ++flows_.gave_up;
        keep_row(waiting_row(i, d));
        waiting_.giveup_day[i] = kGone;
        ++waiting_.holes;
    }
}

// 5. Repérage: n ~ Poisson(λ_t(d)) capped by the pool; new agents' attributes from the
// territory's profile and their give-up day, each from the person's own streams.
void TerritoryState::reperage(int d) {
    const double lambda =
        outreach_rate(p_, f_.coaches, f_.ramp, run_.crisis.outreach[d], static_cast<double>(pool_));
    RandomStream outreach_stream(run_.random, {tu_, kPurposeOutreach, 0, std::uint64_t(d)});
    flows_.identified = std::min<std::int64_t>(poisson(outreach_stream, lambda), pool_);
    pool_ -= flows_.identified;
    for (std::int64_t n = 0; n < flows_.identified; ++n) {
        const std::uint32_t id = next_id_++;
        const auto words = run_.random.block({tu_, kPurposeCreation, id, 0});
        const int dur =
            draw_category(unit_open(words[0]), profile_.duration.data(), kDurationClasses);
        const int dip = draw_category(unit_open(words[1]), profile_.diploma.data(), kDiplomaLevels);
        std::uint8_t mask = 0;
        for (int b = 0; b < kBarriers; ++b)
            if (unit_open(words[2 + b]) < profile_.prevalence[b]) mask |= std::uint8_t(1u << b);
        const double u_giveup = unit_open(run_.random.block({tu_, kPurposeWaiting, id, 0})[0]);
        waiting_.push(id, d, dur, dip, mask, next_event_constant(d, giveup_hazard_, u_giveup),
                      draw_employability(id));
    }
    kpi_.identified += static_cast<double>(flows_.identified);
}

// MODEL.md §7.1: Z ~ Gamma(shape 1/v, scale v), mean 1 and variance v, from the person's own
// stream; Z = 1 with nothing drawn when v = 0, so that every other number is that of version 1.
float TerritoryState::draw_employability(std::uint32_t local_id) const {
    if (employability_variance_ == 0) return 1.0f;
    RandomStream stream(run_.random, {tu_, kPurposeEmployability, local_id, 0});
    return static_cast<float>(
        gamma_variate(stream, 1.0 / employability_variance_, employability_variance_));
}

// 6. Admission in FIFO order up to floor(C caseload) - active_t (active after step 2). The
// admitted act from tomorrow.
void TerritoryState::admission(int d) {
    const auto free_places =
        static_cast<std::int64_t>(f_.capacity) - static_cast<std::int64_t>(active_.size());
    const auto admitted = static_cast<std::size_t>(std::min<std::int64_t>(
        std::max<std::int64_t>(free_places, 0), static_cast<std::int64_t>(waiting_.count())));
    for (std::size_t n = 0; n < admitted; ++waiting_.head) {
        const std::size_t w = waiting_.head;
        if (waiting_.giveup_day[w] == kGone) {
            --waiting_.holes;
            continue;
        }
        active_.for_each_column([](auto& column) { column.emplace_back(); });
        const std::size_t i = active_.size() - 1;
        active_.id[i] = waiting_.id[w];
        active_.identified_day[i] = waiting_.identified_day[w];
        active_.entry_day[i] = d;
        active_.first_job_day[i] = -1;
        active_.state[i] = kRemob;
        active_.barriers[i] = active_.barriers0[i] = waiting_.barriers[w];
        active_.duration[i] = waiting_.duration[w];
        active_.diploma[i] = waiting_.diploma[w];
        active_.profile[i] =
            static_cast<std::uint8_t>(waiting_.duration[w] * kDiplomaLevels + waiting_.diploma[w]);
        active_.first_job_sector[i] = -1;
        active_.employability[i] = waiting_.employability[w];
        if (run_.engine == Engine::event) draw_clocks(i);
        kpi_.waiting_days += d - waiting_.identified_day[w];
        if (d <= last_day_ - 90) ++kpi_.within_90_eligible;
        ++n;
    }
    waiting_.squeeze();
    flows_.admitted = admitted;
    kpi_.entries += static_cast<double>(admitted);
}

// 7. Pool inflow.
void TerritoryState::pool_inflow(int d) {
    RandomStream inflow_stream(run_.random, {tu_, kPurposeInflow, 0, std::uint64_t(d)});
    flows_.inflow = poisson(inflow_stream, territory_.inflow_per_day * run_.crisis.inflow[d]);
    pool_ += flows_.inflow;
}

// 8. End-of-day counts and flows (post-exit stocks are filled in by finish() from their changes).
void TerritoryState::record(int d) {
    double* rec = series_.row(d, t_);
    rec[kPool] = static_cast<double>(pool_);
    rec[kCountWaiting] = static_cast<double>(waiting_.count());
    rec[kCountRemob] = static_cast<double>(active_.size()) - n_employed_;
    rec[kCountEmployed] = n_employed_;
    rec[kIdentified] = static_cast<double>(flows_.identified);
    rec[kAdmitted] = static_cast<double>(flows_.admitted);
    rec[kGaveUpFlow] = flows_.gave_up;
    rec[kJobStarts] = flows_.job_starts;
    rec[kJobEnds] = flows_.job_ends;
    rec[kDropouts] = flows_.dropouts;
    rec[kExitsPositive] = flows_.exits_positive;
    rec[kExitsNeutral] = flows_.exits_neutral;
    rec[kBarriersResolved] = flows_.resolved;
    rec[kInflow] = static_cast<double>(flows_.inflow);
    rec[kCoaches] = f_.coaches;
    rec[kCapacity] = f_.capacity;
    rec[kCost] = (p_.coach_cost_per_year * f_.coaches + p_.hub_fixed_cost_per_year) / 365.0 +
                 p_.solution_cost * flows_.resolved;
    rec[kEffectiveContacts] = f_.contacts;
}

// End-of-day post-exit stocks after the day's flows: a person leaving follow-up on day d is no
// longer counted at the end of d, so stock(d) = stock(d-1) + inflows(d) - outflows(d). People
// still waiting or active at the end of the run get their rows.
void TerritoryState::finish() {
    double post_employed = 0, post_unemployed = 0;
    for (int d = 0; d < n_days_; ++d) {
        post_employed += post_employed_change_[d];
        post_unemployed += post_unemployed_change_[d];
        double* rec = series_.row(d, t_);
        rec[kCountPostEmployed] = post_employed;
        rec[kCountPostUnemployed] = post_unemployed;
        rec[kFollowupEnds] = followup_ends_[d];
    }
    out_.agent_days += followup_days_total_;
    if (run_.record_agents) {
        for (std::size_t i = 0; i < active_.size(); ++i) keep_row(active_row(i, -1));
        for (std::size_t i = waiting_.head; i < waiting_.id.size(); ++i)
            if (waiting_.giveup_day[i] != kGone) keep_row(waiting_row(i, -1));
    }
}

AgentRow TerritoryState::active_row(std::size_t i, int end_day) const {
    return AgentRow{static_cast<std::int32_t>(active_.id[i]),
                    static_cast<std::int8_t>(active_.duration[i]),
                    static_cast<std::int8_t>(active_.diploma[i]),
                    active_.barriers0[i],
                    active_.barriers[i],
                    active_.identified_day[i],
                    active_.entry_day[i],
                    active_.first_job_day[i],
                    -1,
                    end_day,
                    -1,
                    static_cast<std::int8_t>(active_.state[i]),
                    -1,
                    -1,
                    active_.first_job_sector[i],
                    active_.employability[i]};
}

AgentRow TerritoryState::waiting_row(std::size_t i, int end_day) const {
    return AgentRow{static_cast<std::int32_t>(waiting_.id[i]),
                    static_cast<std::int8_t>(waiting_.duration[i]),
                    static_cast<std::int8_t>(waiting_.diploma[i]),
                    waiting_.barriers[i],
                    waiting_.barriers[i],
                    waiting_.identified_day[i],
                    -1,
                    -1,
                    -1,
                    end_day,
                    -1,
                    static_cast<std::int8_t>(end_day < 0 ? kWaiting : kGaveUp),
                    -1,
                    -1,
                    -1,
                    waiting_.employability[i]};
}

}  // namespace

void KpiAccumulator::merge(const KpiAccumulator& o) {
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
    table.employability.push_back(r.employability);
}

void simulate_territory(const RunConstants& run, int t, DailySeries& series,
                        TerritoryOutcome& out) {
    TerritoryState(run, t, series, out).simulate();
}

}  // namespace essaim::dest1::detail
