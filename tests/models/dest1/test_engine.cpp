// The event-clock engine against MODEL.md's daily process (RunOptions::engine): a closed form in
// which an event changes the other clocks' hazards, and the two engines side by side on the
// docking scenario, where every mechanism (capacity, waiting, crises, ramp, barriers) interacts.
// Tolerances come from tests/stat_check.hpp: each check has a false-alarm rate of about 1e-6.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "models/dest1/run.hpp"
#include "models/dest1/scenario_toml.hpp"
#include "models/dest1/submodels.hpp"
#include "tests/models/dest1/scenario_fixtures.hpp"
#include "tests/stat_check.hpp"

using namespace essaim;
using namespace essaim::dest1;
using essaim::dest1::fixtures::DailyEngine;
using essaim::dest1::fixtures::EventEngine;

namespace {


// Probability that the first competing event of an agent is a job (or a dropout) on turn k,
// k = 1..horizon, when a confidence barrier (resolution hazard s) is unresolved at entry: an
// exact chain over the states "no event yet, barrier unresolved / resolved". The barrier draw of a
// turn comes after the event draw and with the turn's hazards (MODEL.md §3 step 2).
struct FirstEvent {
    std::vector<double> job, drop;
};

FirstEvent first_event_with_barrier(const Parameters& p, int horizon) {
    const double job_u = p.h0_job * p.beta[kConfidence], drop_u = p.h0_drop * p.gamma_confidence;
    const double job_r = p.h0_job, drop_r = p.h0_drop;
    const double resolve = probability(p.resolve_per_day[kConfidence]);
    double unresolved = 1, resolved = 0;
    FirstEvent f;
    for (int k = 1; k <= horizon; ++k) {
        f.job.push_back(unresolved * competing_probability(job_u, job_u + drop_u) +
                        resolved * competing_probability(job_r, job_r + drop_r));
        f.drop.push_back(unresolved * competing_probability(drop_u, job_u + drop_u) +
                         resolved * competing_probability(drop_r, job_r + drop_r));
        const double stay_u = 1 - probability(job_u + drop_u);
        resolved = resolved * (1 - probability(job_r + drop_r)) + unresolved * stay_u * resolve;
        unresolved *= stay_u * (1 - resolve);
    }
    return f;
}

struct Moments {
    double sum = 0, sum2 = 0, n = 0;
    void add(double x) {
        sum += x;
        sum2 += x * x;
        n += 1;
    }
    double mean() const { return sum / n; }
    double variance() const { return (sum2 - sum * sum / n) / (n - 1); }
};

// Welch's z for two independent samples of replications: |z| <= kZ, a false-alarm rate of about
// 1e-6 (with 300 replications per engine the t distribution is within 1% of the normal there).
void check_same_mean(const char* name, const Moments& a, const Moments& b) {
    const double se = std::sqrt(a.variance() / a.n + b.variance() / b.n);
    const double z = se > 0 ? (a.mean() - b.mean()) / se : 0.0;
    CAPTURE(name);
    CAPTURE(a.mean());
    CAPTURE(b.mean());
    CAPTURE(z);
    CHECK(std::abs(z) <= test::kZ);
}

}  // namespace

TEST_CASE_TEMPLATE("event clocks: a barrier resolved during the parcours changes h_job and h_drop",
                   E, EventEngine, DailyEngine) {
    // Confidence multiplies h_job by beta and h_drop by gamma: when it is resolved, both competing
    // hazards change while the competing clock runs. Its first event by day has the closed form
    // above only if the clock stays valid across the change (memorylessness).
    Scenario s = fixtures::closed_form_scenario(3000);
    s.profile.prevalence = {0, 1, 0, 0, 0};
    Parameters& p = s.parameters;
    p.h0_drop = 1.0 / 100;
    p.gamma_confidence = 3.0;
    p.beta[kConfidence] = 0.3;
    p.resolve_per_day[kConfidence] = 1.0 / 30;
    const int horizon = 120, replications = 8;
    const FirstEvent f = first_event_with_barrier(p, horizon);

    std::vector<double> observed(2 * horizon + 1, 0.0), expected(2 * horizon + 1, 0.0);
    double tail = 1;
    for (int k = 1; k <= horizon; ++k) {
        expected[k - 1] = f.job[k - 1];
        expected[horizon + k - 1] = f.drop[k - 1];
        tail -= f.job[k - 1] + f.drop[k - 1];
    }
    expected[2 * horizon] = tail;
    double n = 0, job_first = 0;
    for (int r = 0; r < replications; ++r) {
        RunOptions options;
        options.engine = E::value;
        options.seed = s.seed;
        options.replication = static_cast<std::uint64_t>(r);
        options.record_agents = true;
        const AgentTable a = *run(s, options).agents;
        for (std::size_t i = 0; i < a.size(); ++i) {
            const int entry = a.entry_day[i];
            REQUIRE(entry >= 0);
            n += 1;
            if (a.first_job_day[i] >= 0 && a.first_job_day[i] - entry <= horizon) {
                observed[a.first_job_day[i] - entry - 1] += 1;
                job_first += 1;
            } else if (a.first_job_day[i] < 0 && a.final_state[i] == kDropped &&
                       a.end_day[i] - entry <= horizon) {
                observed[horizon + a.end_day[i] - entry - 1] += 1;
            } else {
                observed[2 * horizon] += 1;
            }
        }
    }
    REQUIRE(n == 3000.0 * replications);
    const auto [statistic, df] = test::pooled_chi2(observed, expected);
    MESSAGE("first event with a confidence barrier, n = " << n << ": chi2 = " << statistic << " on "
                                                          << df << " df");
    CHECK(df >= 100);
    CHECK(statistic < test::chi2_critical(df));
    double p_job = 0;
    for (double x : f.job) p_job += x;
    CHECK(test::proportion_close(job_first / n, p_job, n));
    // The same law with the barrier's effect ignored is far off: the test has power.
    const double h0 = p.h0_job + p.h0_drop;
    const double p_job_ignoring = p.h0_job / h0 * (1 - std::exp(-h0 * horizon));
    CHECK_FALSE(test::proportion_close(p_job, p_job_ignoring, n));
}

TEST_CASE("the event and daily engines agree in distribution on the docking scenario") {
    // Everything interacts here: capacity and FIFO waiting, the intensity from the day's active
    // count, crises, ramps, five barriers, follow-up. Replications are independent, so the mean
    // of each count over replications is compared between engines with Welch's z.
    const Scenario s = load_scenario(std::string(ESSAIM_SOURCE_DIR) + "/scenarios/docking.toml");
    const int replications = 300;
    enum Measure {
        kStarts,
        kEnds,
        kDrops,
        kPositive,
        kNeutral,
        kResolved,
        kGaveUp,
        kEntries,
        kEmployed6m,
        kMeanToJob,
        kMeasures
    };
    const char* names[kMeasures] = {"job starts",
                                    "job ends",
                                    "dropouts",
                                    "exits positive",
                                    "exits neutral",
                                    "barriers resolved",
                                    "gave up",
                                    "entries",
                                    "employed 6m after exit",
                                    "mean days to first job"};
    std::array<std::array<Moments, kMeasures>, 2> moments{};
    for (int e = 0; e < 2; ++e) {
        for (int r = 0; r < replications; ++r) {
            RunOptions options;
            options.engine = e == 0 ? Engine::event : Engine::daily;
            options.seed = 4242;
            options.replication = static_cast<std::uint64_t>(r);
            const RunResult result = run(s, options);
            double ends = 0, resolved = 0;
            for (int d = 0; d < result.series.n_days(); ++d)
                for (int t = 0; t < result.series.n_units(); ++t) {
                    ends += result.series.row(d, t)[kJobEnds];
                    resolved += result.series.row(d, t)[kBarriersResolved];
                }
            const KpiValues& k = result.total_kpis;
            const double values[kMeasures] = {k[kKpiJobStarts],
                                              ends,
                                              k[kKpiDropouts],
                                              k[kKpiExitsPositive],
                                              k[kKpiExitsNeutral],
                                              resolved,
                                              k[kKpiGaveUp],
                                              k[kKpiEntries],
                                              k[kKpiEmployed6mAfterExit],
                                              k[kKpiMeanDaysToFirstJob]};
            for (int m = 0; m < kMeasures; ++m) moments[e][m].add(values[m]);
        }
    }
    for (int m = 0; m < kMeasures; ++m) check_same_mean(names[m], moments[0][m], moments[1][m]);
}
