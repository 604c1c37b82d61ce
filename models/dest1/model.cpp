// The Dest1 process of MODEL.md §3-4: run() prepares what the territories share, advances each
// territory over the whole calendar on its own (models/dest1/territory.cpp; in parallel when
// asked: territories never interact within a run), and sums their KPIs. Every random number comes
// from a stream addressed by (territory, purpose, agent, day), so a territory's history depends on
// nothing but the scenario, the seed and the replication.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "analysis/statistics.hpp"
#include "models/dest1/rollout.hpp"
#include "models/dest1/run.hpp"
#include "models/dest1/submodels.hpp"
#include "models/dest1/territory.hpp"
#include "sim/calendar.hpp"
#include "sim/progress.hpp"
#include "sim/random.hpp"
#include "sim/run_loop.hpp"

namespace essaim::dest1 {
using namespace detail;

namespace {

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
    // Version 1.1: every entrant's first job, whenever it came, is one count of the histogram.
    k[kKpiEntrantsWithJob] =
        std::accumulate(a.first_job_delay_count.begin(), a.first_job_delay_count.end(), 0.0);
    k[kKpiShareEntrantsWithJob] = ratio(k[kKpiEntrantsWithJob], a.entries);
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
    RunConstants shared{scenario,
                        p,
                        calendar,
                        crisis_calendar(scenario, calendar),
                        open_day,
                        initial_ramps(scenario, open_day),
                        {},
                        {},
                        {},
                        RandomSource(options.seed, options.replication),
                        options.record_agents,
                        options.engine};
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
                append_row(
                    table, t,
                    AgentRow{rows.local_id[i], rows.duration[i], rows.diploma[i],
                             rows.barriers_at_identification[i], rows.barriers_at_end[i],
                             rows.identified_day[i], rows.entry_day[i], rows.first_job_day[i],
                             rows.exit_day[i], rows.end_day[i], rows.outcome[i],
                             rows.final_state[i], rows.state_6m[i], rows.state_12m[i],
                             rows.first_job_sector[i], rows.employability[i]});
            }
        }
        result.agents = std::move(table);
    }
    return result;
}

}  // namespace essaim::dest1
