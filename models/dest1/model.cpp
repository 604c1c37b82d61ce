// The Dest1 daily process of MODEL.md §3-4. Territories never interact within a run, so each one
// is advanced over the whole calendar on its own (in parallel when asked); every random number
// comes from a stream addressed by (territory, purpose, agent, day), so a territory's history
// depends on nothing but the scenario, the seed and the replication.
#include <cmath>
#include <limits>

#include "analysis/statistics.hpp"
#include "models/dest1/run.hpp"
#include "models/dest1/submodels.hpp"
#include "sim/calendar.hpp"
#include "sim/random.hpp"
#include "sim/run_loop.hpp"
#include "sim/step_schedule.hpp"

namespace essaim::dest1 {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kMaxSectors = 32;
constexpr int kMasks = 1 << kBarriers;
constexpr int kDaysTo6m = 182;
constexpr int kDaysTo12m = 365;

// What a stream's numbers are for. Fixed forever: changing one changes every result.
enum Purpose : std::uint32_t {
    kPurposeCreation = 1,  // attributes of a new agent (one block, day 0)
    kPurposeTurn = 2,      // an active agent's daily turn: [0] event, [1] sector, [2+b] barrier b
    kPurposeFollowup = 3,  // a followed-up agent's daily transition
    kPurposeWaiting = 4,   // a waiting agent's give-up draw
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
    CrisisCalendar c{std::vector<double>(n, 1.0), std::vector<double>(n, 1.0),
                     std::vector<double>(n, 1.0), std::vector<double>(n, 1.0),
                     std::vector<double>(n, 1.0), std::vector<std::uint8_t>(n, 0),
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
    std::array<double, kMasks> beta_product{};      // Π beta_b over unresolved barriers
    std::array<double, kMasks> p_post_find{};       // POST_UNEMPLOYED -> POST_EMPLOYED
    std::array<double, kDurationClasses * kDiplomaLevels> profile_factor{};
    RandomSource random;
};

// One territory's beneficiaries as columns (structure of arrays), indexed by local id.
struct Beneficiaries {
    std::vector<std::int32_t> identified_day, entry_day, first_job_day, exit_day, end_day;
    std::vector<std::uint8_t> state, barriers, barriers0, duration, diploma, sector;
    std::vector<std::int8_t> outcome, state_6m, state_12m;  // outcome: 1 positive, 0 neutral, -1

    std::uint32_t add(int day, int dur, int dip, std::uint8_t mask) {
        const auto id = static_cast<std::uint32_t>(state.size());
        identified_day.push_back(day);
        entry_day.push_back(-1);
        first_job_day.push_back(-1);
        exit_day.push_back(-1);
        end_day.push_back(-1);
        state.push_back(kWaiting);
        barriers.push_back(mask);
        barriers0.push_back(mask);
        duration.push_back(static_cast<std::uint8_t>(dur));
        diploma.push_back(static_cast<std::uint8_t>(dip));
        sector.push_back(0);
        outcome.push_back(-1);
        state_6m.push_back(-1);
        state_12m.push_back(-1);
        return id;
    }
    std::size_t size() const { return state.size(); }
};

struct TerritoryOutcome {
    Beneficiaries people;
    std::uint64_t agent_days = 0;
};

void simulate_territory(const Shared& sh, int t, DailySeries& series, TerritoryOutcome& out) {
    const Parameters& p = sh.p;
    const Territory& territory = sh.scenario.territories[t];
    const Profile& profile = territory.profile ? *territory.profile : sh.scenario.profile;
    const int n_sectors = static_cast<int>(sh.scenario.sectors.size());
    const double caseload = territory.caseload.value_or(p.caseload);
    const bool sequential = p.mode == ParcoursMode::sequential;

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
    const double p_giveup = probability(1.0 / p.patience_days);
    const auto tu = static_cast<std::uint32_t>(t);

    Beneficiaries& people = out.people;
    std::vector<std::uint32_t> waiting, active, followed;
    waiting.reserve(256);
    active.reserve(256);
    followed.reserve(256);
    std::int64_t pool = territory.pool;
    int n_employed = 0, n_post_employed = 0, n_post_unemployed = 0;

    for (int d = 0; d < sh.calendar.n_days(); ++d) {
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
        intensity[0] = dest1::intensity(p, sh.crisis.contacts[d], static_cast<int>(active.size()), c);
        intensity[1] = intensity[0] * (sh.crisis.remote[d] ? p.digital_penalty : 1.0);
        std::array<double, 2> drop_factor;
        std::array<std::array<double, kBarriers>, 2> p_resolve;
        for (int k = 0; k < 2; ++k) {
            drop_factor[k] = p.h0_drop * sh.crisis.dropout[d] * std::pow(intensity[k], -p.kappa);
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
        const double p_post_loss = probability(sh.crisis.jobloss[d] / p.post_job_days);

        int job_starts = 0, job_ends = 0, dropouts = 0, exits_positive = 0, exits_neutral = 0;
        int resolved = 0, gave_up = 0, leaving_employed = 0, leaving_unemployed = 0;

        // 3. Follow-up (agents that exited before today). Run before step 2: each agent draws from
        // its own stream, so the order of the two steps cannot change any result, and this way
        // today's exits are not yet in the list.
        out.agent_days += followed.size();
        std::size_t kept = 0;
        for (const std::uint32_t id : followed) {
            const double u = unit_open(sh.random.block({tu, kPurposeFollowup, id, std::uint64_t(d)})[0]);
            std::uint8_t& st = people.state[id];
            if (st == kPostEmployed) {
                if (u < p_post_loss) {
                    st = kPostUnemployed;
                    --n_post_employed;
                    ++n_post_unemployed;
                }
            } else if (u < sh.p_post_find[people.barriers[id]]) {
                st = kPostEmployed;
                ++n_post_employed;
                --n_post_unemployed;
            }
            const int since_exit = d - people.exit_day[id];
            if (since_exit == kDaysTo6m) people.state_6m[id] = static_cast<std::int8_t>(st);
            if (since_exit == kDaysTo12m) people.state_12m[id] = static_cast<std::int8_t>(st);
            if (since_exit >= p.followup_days) {  // 12-month state taken above, then gone
                (st == kPostEmployed ? leaving_employed : leaving_unemployed)++;
                st = kDone;
                people.end_day[id] = d;
            } else {
                followed[kept++] = id;
            }
        }
        followed.resize(kept);

        // 2. Active agents in id order (the list is kept sorted: admission is FIFO by id).
        out.agent_days += active.size();
        kept = 0;
        for (const std::uint32_t id : active) {
            std::uint8_t& st = people.state[id];
            if (d - people.entry_day[id] >= p.parcours_days) {  // a. exit, no draw
                const bool positive = st == kEmployed;
                people.exit_day[id] = d;
                people.outcome[id] = positive ? 1 : 0;
                if (positive) {
                    --n_employed;
                    ++exits_positive;
                    ++n_post_employed;
                    st = kPostEmployed;
                } else {
                    ++exits_neutral;
                    ++n_post_unemployed;
                    st = kPostUnemployed;
                }
                if (p.followup_days <= 0) {
                    (positive ? leaving_employed : leaving_unemployed)++;
                    st = kDone;
                    people.end_day[id] = d;
                } else {
                    followed.push_back(id);
                }
                continue;
            }
            const auto words = sh.random.block({tu, kPurposeTurn, id, std::uint64_t(d)});
            std::uint8_t& mask = people.barriers[id];
            const int k = (mask >> kDigital) & 1;
            const double confidence = (mask >> kConfidence) & 1 ? p.gamma_confidence : 1.0;
            double h_event, h_drop;
            if (st == kRemob) {
                h_event = (sequential && mask != 0)
                              ? 0.0
                              : job_factor * intensity[k] * sh.beta_product[mask] *
                                    sh.profile_factor[people.duration[id] * kDiplomaLevels +
                                                      people.diploma[id]];
                h_drop = drop_factor[k] * confidence;
            } else {
                h_event = end_hazard[people.sector[id]];
                h_drop = drop_factor[k] * confidence * p.rho_employed;
            }
            const double h_total = h_event + h_drop;  // b. one categorical draw
            if (h_total > 0) {
                const double p_any = probability(h_total);
                const double u = unit_open(words[0]);
                if (u < p_any) {
                    if (u < p_any * (h_event / h_total)) {
                        if (st == kRemob) {
                            double target = unit_open(words[1]) * hire_sum, cumulative = 0;
                            int s = 0;
                            for (; s < n_sectors - 1; ++s) {
                                cumulative += hire_weight[s];
                                if (target < cumulative) break;
                            }
                            people.sector[id] = static_cast<std::uint8_t>(s);
                            if (people.first_job_day[id] < 0) people.first_job_day[id] = d;
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
                        people.end_day[id] = d;
                        ++dropouts;
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
            active[kept++] = id;
        }
        active.resize(kept);

        // 4. Waiting agents may give up and return to the pool.
        out.agent_days += waiting.size();
        kept = 0;
        for (const std::uint32_t id : waiting) {
            if (unit_open(sh.random.block({tu, kPurposeWaiting, id, std::uint64_t(d)})[0]) < p_giveup) {
                people.state[id] = kGaveUp;
                people.end_day[id] = d;
                ++pool;
                ++gave_up;
            } else {
                waiting[kept++] = id;
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
            const auto id_next = static_cast<std::uint64_t>(people.size());
            const auto words = sh.random.block({tu, kPurposeCreation, id_next, 0});
            const int dur = draw_category(unit_open(words[0]), profile.duration.data(), kDurationClasses);
            const int dip = draw_category(unit_open(words[1]), profile.diploma.data(), kDiplomaLevels);
            std::uint8_t mask = 0;
            for (int b = 0; b < kBarriers; ++b)
                if (unit_open(words[2 + b]) < profile.prevalence[b]) mask |= std::uint8_t(1u << b);
            waiting.push_back(people.add(d, dur, dip, mask));
        }

        // 6. Admission, FIFO.
        const double capacity = std::floor(c * caseload);
        const auto free_places = static_cast<std::int64_t>(capacity) - static_cast<std::int64_t>(active.size());
        const auto admitted = static_cast<std::size_t>(
            std::min<std::int64_t>(std::max<std::int64_t>(free_places, 0),
                                   static_cast<std::int64_t>(waiting.size())));
        for (std::size_t i = 0; i < admitted; ++i) {
            const std::uint32_t id = waiting[i];
            people.state[id] = kRemob;
            people.entry_day[id] = d;
            active.push_back(id);
        }
        waiting.erase(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(admitted));

        // 7. Pool inflow.
        RandomStream inflow_stream(sh.random, {tu, kPurposeInflow, 0, std::uint64_t(d)});
        const int inflow = poisson(inflow_stream, territory.inflow_per_day * sh.crisis.inflow[d]);
        pool += inflow;

        // 8. End of day. Agents whose follow-up ended today are no longer counted: the stocks
        // are those after the day's flows, so stock(d) = stock(d-1) + inflows - outflows.
        n_post_employed -= leaving_employed;
        n_post_unemployed -= leaving_unemployed;
        rec[kPool] = static_cast<double>(pool);
        rec[kCountWaiting] = static_cast<double>(waiting.size());
        rec[kCountRemob] = static_cast<double>(active.size()) - n_employed;
        rec[kCountEmployed] = n_employed;
        rec[kCountPostEmployed] = n_post_employed;
        rec[kCountPostUnemployed] = n_post_unemployed;
        rec[kIdentified] = static_cast<double>(identified);
        rec[kAdmitted] = static_cast<double>(admitted);
        rec[kGaveUpFlow] = gave_up;
        rec[kJobStarts] = job_starts;
        rec[kJobEnds] = job_ends;
        rec[kDropouts] = dropouts;
        rec[kExitsPositive] = exits_positive;
        rec[kExitsNeutral] = exits_neutral;
        rec[kBarriersResolved] = resolved;
        rec[kInflow] = inflow;
        rec[kFollowupEnds] = leaving_employed + leaving_unemployed;
        rec[kCoaches] = c;
        rec[kCapacity] = capacity;
        rec[kCost] = (p.coach_cost_per_year * c + p.hub_fixed_cost_per_year) / 365.0 +
                     p.solution_cost * resolved;
    }
}

// The samples behind the KPIs of a set of territories.
struct KpiSample {
    double counts[kKpiCount] = {};
    std::vector<double> days_to_first_job, waiting_days;
    double within_90_eligible = 0, within_90 = 0;
    double followed_6m = 0, employed_6m = 0, followed_12m = 0, employed_12m = 0;
    double total_cost = 0;

    void add(const Beneficiaries& people, const DailySeries& series, int t, int last_day) {
        counts[kKpiIdentified] += static_cast<double>(people.size());
        for (int d = 0; d < series.n_days(); ++d) {
            const double* r = series.row(d, t);
            counts[kKpiEntries] += r[kAdmitted];
            counts[kKpiJobStarts] += r[kJobStarts];
            counts[kKpiDropouts] += r[kDropouts];
            counts[kKpiGaveUp] += r[kGaveUpFlow];
            counts[kKpiExitsPositive] += r[kExitsPositive];
            counts[kKpiExitsNeutral] += r[kExitsNeutral];
            total_cost += r[kCost];
        }
        for (std::size_t id = 0; id < people.size(); ++id) {
            const int entry = people.entry_day[id];
            if (entry < 0) continue;
            waiting_days.push_back(entry - people.identified_day[id]);
            const int first_job = people.first_job_day[id];
            if (first_job >= 0) days_to_first_job.push_back(first_job - entry);
            if (entry <= last_day - 90) {
                ++within_90_eligible;
                if (first_job >= 0 && first_job - entry <= 90) ++within_90;
            }
            const int exit = people.exit_day[id];
            if (exit < 0) continue;
            if (exit + kDaysTo6m <= last_day && people.state_6m[id] >= 0) {
                ++followed_6m;
                employed_6m += people.state_6m[id] == kPostEmployed;
            }
            if (exit + kDaysTo12m <= last_day && people.state_12m[id] >= 0) {
                ++followed_12m;
                employed_12m += people.state_12m[id] == kPostEmployed;
            }
        }
    }

    KpiValues finish(double capacity_utilisation) const {
        using analysis::ratio;
        KpiValues k{};
        for (int i = 0; i < kKpiCount; ++i) k[i] = counts[i];
        k[kKpiPositiveExitRate] =
            ratio(counts[kKpiExitsPositive],
                  counts[kKpiExitsPositive] + counts[kKpiExitsNeutral] + counts[kKpiDropouts]);
        k[kKpiMeanDaysToFirstJob] = analysis::mean(days_to_first_job);
        k[kKpiMedianDaysToFirstJob] = analysis::median(days_to_first_job);
        k[kKpiShareJobWithin90d] = ratio(within_90, within_90_eligible);
        k[kKpiEmployed6mAfterExit] = ratio(employed_6m, followed_6m);
        k[kKpiEmployed12mAfterExit] = ratio(employed_12m, followed_12m);
        k[kKpiMeanWaitingDays] = analysis::mean(waiting_days);
        k[kKpiCapacityUtilisation] = capacity_utilisation;
        k[kKpiTotalCost] = total_cost;
        k[kKpiCostPerEntry] = ratio(total_cost, counts[kKpiEntries]);
        k[kKpiCostPerPositiveExit] = ratio(total_cost, counts[kKpiExitsPositive]);
        return k;
    }
};

void append_agents(AgentTable& table, const Beneficiaries& people, int t) {
    for (std::size_t id = 0; id < people.size(); ++id) {
        table.territory.push_back(t);
        table.local_id.push_back(static_cast<std::int32_t>(id));
        table.duration.push_back(static_cast<std::int8_t>(people.duration[id]));
        table.diploma.push_back(static_cast<std::int8_t>(people.diploma[id]));
        table.barriers_at_identification.push_back(people.barriers0[id]);
        table.barriers_at_end.push_back(people.barriers[id]);
        table.identified_day.push_back(people.identified_day[id]);
        table.entry_day.push_back(people.entry_day[id]);
        table.first_job_day.push_back(people.first_job_day[id]);
        table.exit_day.push_back(people.exit_day[id]);
        table.end_day.push_back(people.end_day[id]);
        table.outcome.push_back(people.outcome[id]);
        table.final_state.push_back(static_cast<std::int8_t>(people.state[id]));
        table.state_6m.push_back(people.state_6m[id]);
        table.state_12m.push_back(people.state_12m[id]);
    }
}

}  // namespace

RunResult run(const Scenario& scenario, const RunOptions& options) {
    const Calendar calendar(scenario.start, scenario.end);
    const int n_territories = static_cast<int>(scenario.territories.size());
    if (scenario.sectors.size() > static_cast<std::size_t>(kMaxSectors))
        throw std::invalid_argument("dest1: at most 32 sectors");

    std::vector<int> open_day(n_territories);
    for (int t = 0; t < n_territories; ++t) open_day[t] = calendar.day_of(scenario.territories[t].open);

    Shared shared{scenario,
                  scenario.parameters,
                  calendar,
                  crisis_calendar(scenario, calendar),
                  open_day,
                  initial_ramps(scenario, open_day),
                  {},
                  {},
                  {},
                  RandomSource(options.seed, options.replication)};
    const Parameters& p = scenario.parameters;
    for (int mask = 0; mask < kMasks; ++mask) {
        double product = 1;
        for (int b = 0; b < kBarriers; ++b)
            if ((mask >> b) & 1) product *= p.beta[b];
        shared.beta_product[mask] = product;
        shared.p_post_find[mask] = probability(p.h0_post * product);
    }
    for (int dur = 0; dur < kDurationClasses; ++dur)
        for (int dip = 0; dip < kDiplomaLevels; ++dip)
            shared.profile_factor[dur * kDiplomaLevels + dip] = p.delta_duration[dur] * p.delta_diploma[dip];

    RunResult result;
    result.series = DailySeries(calendar.n_days(), n_territories, series_variables());
    std::vector<TerritoryOutcome> outcomes(n_territories);
    for_each_unit(static_cast<std::size_t>(n_territories), options.threads, [&](std::size_t t) {
        simulate_territory(shared, static_cast<int>(t), result.series, outcomes[t]);
    });

    const int last_day = calendar.last_day();
    KpiSample total;
    for (int t = 0; t < n_territories; ++t) {
        KpiSample sample;
        sample.add(outcomes[t].people, result.series, t, last_day);
        double utilisation_sum = 0;
        int open_days = 0;
        for (int d = open_day[t] < 0 ? 0 : open_day[t]; d < calendar.n_days(); ++d, ++open_days) {
            const double* r = result.series.row(d, t);
            utilisation_sum += (r[kCountRemob] + r[kCountEmployed]) / r[kCapacity];
        }
        result.territory_kpis.push_back(sample.finish(analysis::ratio(utilisation_sum, open_days)));
        total.add(outcomes[t].people, result.series, t, last_day);
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
    result.total_kpis = total.finish(analysis::ratio(utilisation_sum, days_with_open));

    if (options.record_agents) {
        AgentTable table;
        for (int t = 0; t < n_territories; ++t) append_agents(table, outcomes[t].people, t);
        result.agents = std::move(table);
    }
    return result;
}

}  // namespace essaim::dest1
