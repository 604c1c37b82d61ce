// The Dest1 process against MODEL.md: closed forms where they exist, invariants on every day,
// determinism. Tolerances come from tests/stat_check.hpp (false-alarm rate ~1e-6 per check).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <numeric>

#include "models/dest1/run.hpp"
#include "models/dest1/submodels.hpp"
#include "tests/models/dest1/scenario_fixtures.hpp"
#include "tests/stat_check.hpp"

using namespace essaim;
using namespace essaim::dest1;
using essaim::test::chi2_critical;
using essaim::test::chi2_statistic;
using essaim::test::proportion_close;

namespace {

// Pooled agent table of R replications.
struct Pooled {
    AgentTable agents;
    std::vector<KpiValues> kpis;
};

Pooled run_replications(const Scenario& s, int replications) {
    Pooled pooled;
    for (int r = 0; r < replications; ++r) {
        RunOptions options;
        options.seed = s.seed;
        options.replication = static_cast<std::uint64_t>(r);
        options.record_agents = true;
        RunResult result = run(s, options);
        pooled.kpis.push_back(result.total_kpis);
        const AgentTable& a = *result.agents;
        auto append = [](auto& to, const auto& from) {
            to.insert(to.end(), from.begin(), from.end());
        };
        append(pooled.agents.territory, a.territory);
        append(pooled.agents.entry_day, a.entry_day);
        append(pooled.agents.identified_day, a.identified_day);
        append(pooled.agents.first_job_day, a.first_job_day);
        append(pooled.agents.exit_day, a.exit_day);
        append(pooled.agents.end_day, a.end_day);
        append(pooled.agents.outcome, a.outcome);
        append(pooled.agents.final_state, a.final_state);
        append(pooled.agents.state_6m, a.state_6m);
        append(pooled.agents.state_12m, a.state_12m);
        append(pooled.agents.barriers_at_end, a.barriers_at_end);
    }
    return pooled;
}

// One agent's parcours in the closed-form scenario as an exact Markov chain over its 455 turns:
// states REMOB, EMPLOYED in sector s, DROPPED.
struct ParcoursChain {
    double positive = 0, neutral = 0, dropped = 0;
};

ParcoursChain parcours_chain(const Scenario& s) {
    const Parameters& p = s.parameters;
    const std::size_t n_sectors = s.sectors.size();
    double weight_sum = 0;
    for (const auto& sector : s.sectors) weight_sum += sector.weight;
    const double h_job = p.h0_job * weight_sum, h_drop = p.h0_drop;
    double remob = 1, dropped = 0;
    std::vector<double> employed(n_sectors, 0.0);
    for (int turn = 1; turn < p.parcours_days; ++turn) {
        std::vector<double> next_employed(n_sectors, 0.0);
        double next_remob = remob * (1 - probability(h_job + h_drop));
        double next_dropped = dropped + remob * competing_probability(h_drop, h_job + h_drop);
        const double starts = remob * competing_probability(h_job, h_job + h_drop);
        for (std::size_t k = 0; k < n_sectors; ++k) {
            next_employed[k] += starts * s.sectors[k].weight / weight_sum;
            const double h_end = 1.0 / s.sectors[k].contract_days,
                         h_edrop = h_drop * p.rho_employed;
            const double total = h_end + h_edrop;
            next_employed[k] += employed[k] * (1 - probability(total));
            next_remob += employed[k] * competing_probability(h_end, total);
            next_dropped += employed[k] * competing_probability(h_edrop, total);
        }
        remob = next_remob;
        dropped = next_dropped;
        employed = next_employed;
    }
    return {std::accumulate(employed.begin(), employed.end(), 0.0), remob, dropped};
}

// Probability of being employed `days` follow-up draws after exit, from P(employed at exit).
double employed_after(const Parameters& p, double employed_at_exit, int days) {
    const double lose = probability(1.0 / p.post_job_days), find = probability(p.h0_post);
    double e = employed_at_exit;
    for (int i = 0; i < days; ++i) e = e * (1 - lose) + (1 - e) * find;
    return e;
}

}  // namespace

TEST_CASE("submodel formulas follow MODEL.md") {
    CHECK(probability(0.0) == 0.0);
    CHECK(probability(1.0 / 45) == doctest::Approx(1 - std::exp(-1.0 / 45)).epsilon(1e-15));
    CHECK(competing_probability(1.0, 3.0) == doctest::Approx((1.0 / 3) * (1 - std::exp(-3.0))));
    CHECK(competing_probability(0.0, 0.0) == 0.0);
    CHECK(ramp(0.3, 100, 100, 270) == 0.3);
    CHECK(ramp(0.3, 235, 100, 270) == doctest::Approx(0.3 + 0.7 * 135 / 270));
    CHECK(ramp(0.6, 370, 100, 270) == 1.0);
    CHECK(ramp(0.6, 2000, 100, 270) == 1.0);
    Parameters p;
    p.contacts_per_week = 2.0;  // (2 / 1)^0.5
    CHECK(intensity(p, 1.0, 0, 2) == doctest::Approx(std::sqrt(2.0)));
    CHECK(intensity(p, 1.0, 60, 2) == doctest::Approx(std::sqrt(2.0)));            // L = 30 = ref
    CHECK(intensity(p, 1.0, 90, 2) == doctest::Approx(std::sqrt(2.0) * 30 / 45));  // L = 45
    CHECK(intensity(p, 0.5, 30, 2) == doctest::Approx(1.0));  // crisis contacts
    CHECK(outreach_rate(p, 2, 0.5, 0.3, 500) == doctest::Approx(0.12 * 2 * 0.5 * 0.3 * 0.5));
    CHECK(outreach_rate(p, 2, 1, 1, 0) == 0.0);
}

TEST_CASE("initial ramp uses the undirected territory graph and the maturity of neighbours") {
    Scenario s = fixtures::small_scenario();
    // Alpha opens day 0; Beta (listed neighbour of Alpha on both sides) 366 days later.
    std::vector<int> open{0, 366, 366};
    auto r0 = initial_ramps(s, open);
    CHECK(r0[0] == s.parameters.r0_isolated);  // its neighbour opened after it
    CHECK(r0[1] == s.parameters.r0_adjacent);  // Alpha open for 366 >= 270 days
    CHECK(r0[2] == s.parameters.r0_isolated);  // no neighbours
    s.territories[0].neighbours.clear();       // the edge listed on Beta's side only still counts
    CHECK(initial_ramps(s, open)[1] == s.parameters.r0_adjacent);
    open[1] = 269;  // one day short of maturity
    CHECK(initial_ramps(s, open)[1] == s.parameters.r0_isolated);
    open[1] = 270;
    CHECK(initial_ramps(s, open)[1] == s.parameters.r0_adjacent);
}

TEST_CASE("closed form: counts, waiting, first job, exits and follow-up") {
    const Scenario s = fixtures::closed_form_scenario(3000);
    const int replications = 8;
    const Pooled pooled = run_replications(s, replications);
    const double n = 3000.0 * replications;
    const Parameters& p = s.parameters;

    // Every person of the finite pool is identified and admitted on the day of identification.
    for (const KpiValues& k : pooled.kpis) {
        CHECK(k[kKpiIdentified] == 3000);
        CHECK(k[kKpiEntries] == 3000);
        CHECK(k[kKpiGaveUp] == 0);
        CHECK(k[kKpiMeanWaitingDays] == 0.0);
        // Everyone ended the parcours: the exit rate's denominator is every entrant.
        CHECK(k[kKpiExitsPositive] + k[kKpiExitsNeutral] + k[kKpiDropouts] == 3000);
    }

    // Time from entry to first job: first event after K ~ Geometric(q) turns, a job with
    // probability h_job / H. Chi-square over days 1..60 and the rest.
    const double h_job = p.h0_job, h_drop = p.h0_drop, H = h_job + h_drop;
    const double q = probability(H);
    std::vector<double> observed(61, 0.0), expected(61, 0.0);
    double within_90 = 0;
    for (std::size_t i = 0; i < pooled.agents.entry_day.size(); ++i) {
        const int first = pooled.agents.first_job_day[i];
        const int k = first < 0 ? 0 : first - pooled.agents.entry_day[i];
        REQUIRE(k != 0 - (first >= 0 ? 0 : 1));  // a job never starts on the day of entry
        observed[(first >= 0 && k <= 60) ? k - 1 : 60] += 1;
        if (first >= 0 && k <= 90) within_90 += 1;
    }
    double tail = 1;
    for (int k = 1; k <= 60; ++k) {
        expected[k - 1] = std::pow(1 - q, k - 1) * q * h_job / H;
        tail -= expected[k - 1];
    }
    expected[60] = tail;
    CHECK(chi2_statistic(observed, expected) < chi2_critical(60));
    const double p90 = h_job / H * (1 - std::pow(1 - q, 90));
    CHECK(proportion_close(within_90 / n, p90, n));
    double share_90 = 0;
    for (const auto& k : pooled.kpis) share_90 += k[kKpiShareJobWithin90d] / replications;
    CHECK(share_90 == doctest::Approx(within_90 / n).epsilon(1e-12));

    // Outcomes at the end of the 15 months: exact Markov chain over the 455 turns.
    const ParcoursChain chain = parcours_chain(s);
    CHECK(chain.positive + chain.neutral + chain.dropped == doctest::Approx(1.0));
    double positive = 0, neutral = 0, dropped = 0;
    for (const auto& k : pooled.kpis) {
        positive += k[kKpiExitsPositive];
        neutral += k[kKpiExitsNeutral];
        dropped += k[kKpiDropouts];
    }
    CHECK(proportion_close(positive / n, chain.positive, n));
    CHECK(proportion_close(dropped / n, chain.dropped, n));
    CHECK(proportion_close(neutral / n, chain.neutral, n));

    // Employment 6 and 12 months after exit (182 and 365 follow-up draws).
    const double exits = positive + neutral;
    const double employed_at_exit = chain.positive / (chain.positive + chain.neutral);
    double employed_6m = 0, employed_12m = 0;
    for (std::size_t i = 0; i < pooled.agents.state_6m.size(); ++i) {
        employed_6m += pooled.agents.state_6m[i] == kPostEmployed;
        employed_12m += pooled.agents.state_12m[i] == kPostEmployed;
    }
    CHECK(proportion_close(employed_6m / exits, employed_after(p, employed_at_exit, 182), exits));
    CHECK(proportion_close(employed_12m / exits, employed_after(p, employed_at_exit, 365), exits));
}

TEST_CASE("barriers: resolution draws, the job factor beta and sequential mode") {
    Scenario s = fixtures::closed_form_scenario(2000);
    s.profile.prevalence = {1, 0, 0, 0, 0};  // everyone starts with a mobility barrier
    const Parameters& p = s.parameters;
    const double n = 2000.0 * 4;

    SUBCASE("resolution before exit or dropout") {
        s.parameters.h0_job = 0;  // only dropout competes
        const Pooled pooled = run_replications(s, 4);
        double resolved = 0;
        for (auto mask : pooled.agents.barriers_at_end) resolved += (mask & 1) == 0;
        // Each turn: survive the dropout draw, then resolve with p_b; 455 turns.
        const double stay = 1 - probability(p.h0_drop),
                     resolve = probability(p.resolve_per_day[kMobility]);
        double expected = 0, alive_unresolved = 1;
        for (int turn = 1; turn < p.parcours_days; ++turn) {
            expected += alive_unresolved * stay * resolve;
            alive_unresolved *= stay * (1 - resolve);
        }
        CHECK(proportion_close(resolved / n, expected, n));
    }
    SUBCASE("an unresolved barrier multiplies the job hazard by beta in integrated mode") {
        s.parameters.resolve_per_day[kMobility] = 0;
        const Pooled pooled = run_replications(s, 4);
        const double h_job = p.h0_job * p.beta[kMobility], H = h_job + p.h0_drop;
        const double p90 = h_job / H * (1 - std::pow(1 - probability(H), 90));
        double within_90 = 0;
        for (std::size_t i = 0; i < pooled.agents.first_job_day.size(); ++i) {
            const int first = pooled.agents.first_job_day[i];
            within_90 += first >= 0 && first - pooled.agents.entry_day[i] <= 90;
        }
        CHECK(proportion_close(within_90 / n, p90, n));
    }
    SUBCASE("sequential mode: no job while a barrier is unresolved") {
        s.parameters.resolve_per_day[kMobility] = 0;
        s.parameters.mode = ParcoursMode::sequential;
        for (const auto& k : run_replications(s, 2).kpis) CHECK(k[kKpiJobStarts] == 0);
    }
}

TEST_CASE("invariants on every day: nobody lost or double-counted, capacity, FIFO") {
    const Scenario s = fixtures::small_scenario();
    for (std::uint64_t replication = 0; replication < 5; ++replication) {
        RunOptions options;
        options.seed = 99;
        options.replication = replication;
        options.record_agents = true;
        const RunResult result = run(s, options);
        const DailySeries& series = result.series;
        for (int t = 0; t < series.n_units(); ++t) {
            double identified = 0, gave_up = 0, admitted = 0, left_parcours = 0, exits = 0,
                   followup_ends = 0, inflow = 0;
            for (int d = 0; d < series.n_days(); ++d) {
                const double* r = series.row(d, t);
                identified += r[kIdentified];
                gave_up += r[kGaveUpFlow];
                admitted += r[kAdmitted];
                exits += r[kExitsPositive] + r[kExitsNeutral];
                left_parcours += r[kDropouts] + r[kExitsPositive] + r[kExitsNeutral];
                followup_ends += r[kFollowupEnds];
                inflow += r[kInflow];
                CAPTURE(t);
                CAPTURE(d);
                REQUIRE(r[kCountWaiting] == identified - gave_up - admitted);
                REQUIRE(r[kCountRemob] + r[kCountEmployed] == admitted - left_parcours);
                REQUIRE(r[kCountPostEmployed] + r[kCountPostUnemployed] == exits - followup_ends);
                REQUIRE(r[kPool] == s.territories[t].pool + inflow - identified + gave_up);
                REQUIRE(r[kCountRemob] + r[kCountEmployed] <= r[kCapacity]);
                for (int v = 0; v < kSeriesCount; ++v) REQUIRE(r[v] >= 0);
            }
        }
        // FIFO: an agent is admitted only when every earlier-identified agent of its territory
        // was admitted the same day or before, or gave up.
        const AgentTable& a = *result.agents;
        for (std::size_t i = 1; i < a.size(); ++i) {
            if (a.territory[i] != a.territory[i - 1] || a.entry_day[i] < 0) continue;
            for (std::size_t j = i; j-- > 0 && a.territory[j] == a.territory[i];) {
                const bool earlier_in = a.entry_day[j] >= 0 && a.entry_day[j] <= a.entry_day[i];
                const bool earlier_left = a.entry_day[j] < 0 && a.final_state[j] == kGaveUp &&
                                          a.end_day[j] <= a.entry_day[i];
                REQUIRE((earlier_in || earlier_left));
                if (j + 64 < i) break;  // enough to see a queue jump
            }
        }
        // Every identified person is in exactly one final state, consistent with the days.
        for (std::size_t i = 0; i < a.size(); ++i) {
            const int st = a.final_state[i];
            REQUIRE(st >= kWaiting);
            REQUIRE(st <= kDone);
            if (st == kWaiting) REQUIRE(a.entry_day[i] < 0);
            if (st == kRemob || st == kEmployed)
                REQUIRE((a.entry_day[i] >= 0 && a.exit_day[i] < 0));
            if (a.exit_day[i] >= 0)
                REQUIRE(a.exit_day[i] - a.entry_day[i] == s.parameters.parcours_days);
            if (a.first_job_day[i] >= 0) REQUIRE(a.first_job_day[i] > a.entry_day[i]);
        }
    }
}

TEST_CASE("a run is a pure function of (scenario, seed, replication), whatever the threads") {
    const Scenario s = fixtures::small_scenario();
    RunOptions one;
    one.seed = 3;
    one.replication = 2;
    one.record_agents = true;
    RunOptions two = one;
    two.threads = 2;
    const RunResult a = run(s, one), b = run(s, two), c = run(s, one);
    REQUIRE(a.series.values().size() == b.series.values().size());
    CHECK(std::memcmp(a.series.values().data(), b.series.values().data(),
                      a.series.values().size() * sizeof(double)) == 0);
    CHECK(std::memcmp(a.total_kpis.data(), b.total_kpis.data(), sizeof(KpiValues)) == 0);
    CHECK(std::memcmp(a.total_kpis.data(), c.total_kpis.data(), sizeof(KpiValues)) == 0);
    CHECK(a.agents->first_job_day == b.agents->first_job_day);
    RunOptions other = one;
    other.replication = 3;
    CHECK(run(s, other).total_kpis[kKpiIdentified] != a.total_kpis[kKpiIdentified]);
}

TEST_CASE("KPIs are consistent with the agent table and the series") {
    const Scenario s = fixtures::small_scenario();
    RunOptions options;
    options.seed = 8;
    options.record_agents = true;
    const RunResult result = run(s, options);
    const AgentTable& a = *result.agents;
    const int last_day = result.series.n_days() - 1;
    std::vector<double> waits, to_job;
    double eligible_90 = 0, within_90 = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a.entry_day[i] < 0) continue;
        waits.push_back(a.entry_day[i] - a.identified_day[i]);
        if (a.first_job_day[i] >= 0) to_job.push_back(a.first_job_day[i] - a.entry_day[i]);
        if (a.entry_day[i] <= last_day - 90) {
            ++eligible_90;
            within_90 += a.first_job_day[i] >= 0 && a.first_job_day[i] - a.entry_day[i] <= 90;
        }
    }
    const KpiValues& k = result.total_kpis;
    CHECK(k[kKpiIdentified] == static_cast<double>(a.size()));
    CHECK(k[kKpiEntries] == static_cast<double>(waits.size()));
    CHECK(k[kKpiMeanWaitingDays] ==
          doctest::Approx(std::accumulate(waits.begin(), waits.end(), 0.0) / waits.size()));
    CHECK(k[kKpiMeanDaysToFirstJob] ==
          doctest::Approx(std::accumulate(to_job.begin(), to_job.end(), 0.0) / to_job.size()));
    CHECK(k[kKpiShareJobWithin90d] == doctest::Approx(within_90 / eligible_90));
    CHECK(k[kKpiPositiveExitRate] ==
          doctest::Approx(k[kKpiExitsPositive] /
                          (k[kKpiExitsPositive] + k[kKpiExitsNeutral] + k[kKpiDropouts])));
    CHECK(k[kKpiCostPerEntry] == doctest::Approx(k[kKpiTotalCost] / k[kKpiEntries]));
    double sum_territories = 0;
    for (const auto& tk : result.territory_kpis) sum_territories += tk[kKpiTotalCost];
    CHECK(k[kKpiTotalCost] == doctest::Approx(sum_territories));
    // Costs: coaches and hub for each open day plus solutions per barrier resolved.
    double expected_cost = 0;
    for (int t = 0; t < result.series.n_units(); ++t)
        for (int d = 0; d <= last_day; ++d) {
            const double* r = result.series.row(d, t);
            if (r[kCoaches] > 0)
                expected_cost +=
                    (48000.0 * r[kCoaches] + 60000.0) / 365 + 400.0 * r[kBarriersResolved];
        }
    CHECK(k[kKpiTotalCost] == doctest::Approx(expected_cost));
    CHECK(k[kKpiCapacityUtilisation] > 0.0);
    CHECK(k[kKpiCapacityUtilisation] <= 1.0);
}

TEST_CASE("give-up times of people who wait: geometric with p = 1 - exp(-1/patience)") {
    // One place, taken on day 0 by someone who never leaves within the run: everyone else waits
    // until they give up, and returns to the pool.
    Scenario s = fixtures::closed_form_scenario(5000);
    s.end = Date{2020, 12, 31};  // shorter than one parcours
    s.parameters.caseload = s.parameters.caseload_ref = 1;
    s.parameters.h0_drop = 0;
    s.parameters.outreach_per_coach = 8;
    s.parameters.pool_half = 1;
    s.parameters.patience_days = 90;
    const int horizon = 150;  // follow each person's first 150 days of waiting
    const Pooled pooled = run_replications(s, 4);
    const double p = probability(1.0 / 90);
    std::vector<double> observed(horizon + 1, 0.0), expected(horizon + 1, 0.0);
    const int last_day = Calendar(s.start, s.end).last_day();
    double n = 0;
    for (std::size_t i = 0; i < pooled.agents.identified_day.size(); ++i) {
        const int identified = pooled.agents.identified_day[i];
        if (pooled.agents.entry_day[i] >= 0 || identified + horizon > last_day) continue;
        n += 1;
        const bool gave_up = pooled.agents.final_state[i] == kGaveUp;
        const int wait = gave_up ? pooled.agents.end_day[i] - identified : horizon + 1;
        REQUIRE(wait >= 1);  // nobody gives up on the day they are identified
        observed[std::min(wait, horizon + 1) - 1] += 1;
    }
    double tail = 1;
    for (int k = 1; k <= horizon; ++k) {
        expected[k - 1] = std::pow(1 - p, k - 1) * p;
        tail -= expected[k - 1];
    }
    expected[horizon] = tail;
    REQUIRE(n > 4000);
    CHECK(essaim::test::chi2_pooled_ok(observed, expected));
}

TEST_CASE("follow-up under a crisis: employment 6 months after exit with a time-varying job loss") {
    Scenario s = fixtures::closed_form_scenario(4000);
    Crisis shock;
    shock.name = "shock";
    shock.start = Date{2021, 5, 1};  // inside most people's first six months after exit
    shock.end = Date{2021, 7, 31};
    shock.jobloss = 6.0;
    s.crises = {shock};
    s.sectors = {
        {"only", 1.0, 1e9}};  // jobs in the parcours (almost) never end: many exit employed
    const Pooled pooled = run_replications(s, 4);
    const Calendar calendar(s.start, s.end);
    const int crisis_from = calendar.day_of(shock.start), crisis_to = calendar.day_of(shock.end);
    const Parameters& p = s.parameters;
    const double find = probability(p.h0_post);
    // Each exit's chance of being employed 182 days later, from its own exit state and dates.
    double expected = 0, variance = 0, observed = 0;
    for (std::size_t i = 0; i < pooled.agents.exit_day.size(); ++i) {
        const int exit = pooled.agents.exit_day[i];
        if (exit < 0 || exit + 182 > calendar.last_day()) continue;
        double e = pooled.agents.outcome[i] == 1 ? 1.0 : 0.0;
        for (int d = exit + 1; d <= exit + 182; ++d) {
            const double m = (d >= crisis_from && d <= crisis_to) ? shock.jobloss : 1.0;
            e = e * (1 - probability(m / p.post_job_days)) + (1 - e) * find;
        }
        expected += e;
        variance += e * (1 - e);
        observed += pooled.agents.state_6m[i] == kPostEmployed;
    }
    REQUIRE(variance > 100);
    CHECK(std::abs(observed - expected) < essaim::test::kZ * std::sqrt(variance));
}

TEST_CASE("zero intensity: everyone active drops out, unless the base dropout hazard is zero") {
    Scenario s = fixtures::closed_form_scenario(500);
    Crisis silence;
    silence.name = "no contact at all";
    silence.start = Date{2020, 2, 1};
    silence.end = Date{2020, 2, 1};
    silence.contacts = 0;
    s.crises = {silence};
    RunOptions options;
    options.seed = 1;
    const RunResult with_dropout = run(s, options);
    const int day = Calendar(s.start, s.end).day_of(silence.start);
    double active_before = 0;
    for (int t = 0; t < with_dropout.series.n_units(); ++t) {
        const double* before = with_dropout.series.row(day - 1, t);
        active_before += before[kCountRemob] + before[kCountEmployed];
        CHECK(with_dropout.series.row(day, t)[kDropouts] == active_before);
    }
    CHECK(active_before > 0);
    s.crises[0].dropout = 0;  // base hazard 0: no dropout, and no NaN anywhere
    const RunResult without = run(s, options);
    CHECK(without.series.row(day, 0)[kDropouts] == 0);
    for (double v : without.series.values()) REQUIRE_FALSE(std::isnan(v));
}
