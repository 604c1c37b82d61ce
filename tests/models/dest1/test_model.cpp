// The Dest1 process against MODEL.md: closed forms where they exist, invariants on every day,
// determinism. Tolerances come from tests/stat_check.hpp (false-alarm rate ~1e-6 per check).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "models/dest1/run.hpp"
#include "models/dest1/submodels.hpp"
#include "tests/models/dest1/scenario_fixtures.hpp"
#include "tests/stat_check.hpp"

using namespace essaim;
using namespace essaim::dest1;
using essaim::dest1::fixtures::DailyEngine;
using essaim::dest1::fixtures::EventEngine;
using essaim::test::chi2_critical;
using essaim::test::chi2_statistic;
using essaim::test::pooled_chi2;
using essaim::test::proportion_close;

namespace {


// Pooled agent table of R replications.
struct Pooled {
    AgentTable agents;
    std::vector<KpiValues> kpis;
};

Pooled run_replications(const Scenario& s, int replications, Engine engine) {
    Pooled pooled;
    for (int r = 0; r < replications; ++r) {
        RunOptions options;
        options.engine = engine;
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

TEST_CASE_TEMPLATE("closed form: counts, waiting, first job, exits and follow-up", E, EventEngine,
                   DailyEngine) {
    const Scenario s = fixtures::closed_form_scenario(3000);
    const int replications = 8;
    const Pooled pooled = run_replications(s, replications, E::value);
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
        if (first >= 0) REQUIRE(first > pooled.agents.entry_day[i]);  // never on the entry day
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

TEST_CASE_TEMPLATE("full house: every factor of the job and dropout hazards, and the repérage rate",
                   E, EventEngine, DailyEngine) {
    const Scenario s = fixtures::full_house_scenario();
    const Parameters& p = s.parameters;
    const int replications = 8;
    const int horizon = 100;  // days of each entrant's parcours observed (entry <= last day - K)
    const int last_day = Calendar(s.start, s.end).last_day();
    REQUIRE(last_day == 199);
    const Crisis& crisis = s.crises.at(0);

    // The hazards of MODEL.md §4, written out from the scenario's numbers:
    // I = (contacts x m_contacts / contacts_ref)^alpha x min(1, caseload_ref / L) x penalty,
    // with L = 1200 / 20 = 60 (capacity full, checked below) and the digital barrier unresolved
    // on remote crisis days;
    const double load = std::min(1.0, p.caseload_ref / (1200.0 / 20.0));
    REQUIRE(load == 0.5);
    const double I = std::pow(p.contacts_per_week * crisis.contacts / p.contacts_ref, p.alpha) *
                     load * p.digital_penalty;
    CHECK(I == doctest::Approx(std::pow(1.6, 0.7) * 0.25).epsilon(1e-14));
    // the ramp r = r0 + (1 - r0) d / maturity: 0.5 within 1e-9 over 200 days;
    const double r = p.r0_isolated;
    CHECK(ramp(p.r0_isolated, last_day, 0, p.maturity_days) - r < 1e-9);
    // sum over sectors of w_s x m_hire_s = 0.35 x 0.5 + 0.25 x 0.8 + 0.20 x 0.1 + 0.20 x 1.2;
    double hire = 0;
    for (std::size_t k = 0; k < s.sectors.size(); ++k) hire += s.sectors[k].weight * crisis.hire[k];
    CHECK(hire == doctest::Approx(0.635).epsilon(1e-14));
    // h_job = h0_job I r beta_confidence beta_digital delta_gt2y delta_high sum_s w_s m_s and
    // h_drop = h0_drop m_dropout gamma_confidence I^-kappa.
    const double h_job = p.h0_job * I * r * p.beta[kConfidence] * p.beta[kDigital] *
                         p.delta_duration[2] * p.delta_diploma[2] * hire;
    const double h_drop = p.h0_drop * crisis.dropout * p.gamma_confidence * std::pow(I, -p.kappa);
    const double H = h_job + h_drop, q = probability(H);
    MESSAGE("full house: I = " << I << ", h_job = " << h_job << ", h_drop = " << h_drop);

    // First event after entry: K ~ Geometric(q) turns, a job with probability h_job / H, a
    // dropout otherwise. Bins: job on day k, dropout on day k (k = 1..K), nothing within K days.
    std::vector<double> observed(2 * horizon + 1, 0.0), expected(2 * horizon + 1, 0.0);
    double tail = 1;
    for (int k = 1; k <= horizon; ++k) {
        const double first_event = std::pow(1 - q, k - 1) * q;
        expected[k - 1] = first_event * h_job / H;
        expected[horizon + k - 1] = first_event * h_drop / H;
        tail -= first_event;
    }
    expected[2 * horizon] = tail;

    double n = 0, job_first = 0, dropped_first = 0, identified_sum = 0, dispersion = 0;
    int days_observed = 0;
    std::vector<double> first_sectors(s.sectors.size(), 0.0);  // sector of every first job
    const double lambda = p.outreach_per_coach * 20 * r * crisis.outreach * 1.0;  // P/(P+0) = 1
    for (int rep = 0; rep < replications; ++rep) {
        RunOptions options;
        options.engine = E::value;
        options.seed = s.seed;
        options.replication = static_cast<std::uint64_t>(rep);
        options.record_agents = true;
        const RunResult result = run(s, options);
        // The design's premise: capacity is full at the end of every day, so active_t at step 1
        // is 1200 on every day after the first, and the load factor is the constant 0.5.
        for (int d = 0; d <= last_day; ++d) {
            const double* row = result.series.row(d, 0);
            CAPTURE(d);
            REQUIRE(row[kCapacity] == 1200);
            REQUIRE(row[kCountRemob] + row[kCountEmployed] == 1200);
            REQUIRE(row[kCountWaiting] > 0);
            REQUIRE(row[kExitsPositive] + row[kExitsNeutral] == 0);
            identified_sum += row[kIdentified];
            dispersion += (row[kIdentified] - lambda) * (row[kIdentified] - lambda) / lambda;
            ++days_observed;
        }
        const AgentTable& a = *result.agents;
        for (std::size_t i = 0; i < a.size(); ++i) {
            const int entry = a.entry_day[i];
            if (entry < 0 || entry > last_day - horizon) continue;
            REQUIRE(a.duration[i] == 2);
            REQUIRE(a.diploma[i] == 2);
            REQUIRE(a.barriers_at_identification[i] == ((1u << kConfidence) | (1u << kDigital)));
            REQUIRE(a.barriers_at_end[i] == a.barriers_at_identification[i]);  // never resolved
            n += 1;
            const int first_job = a.first_job_day[i];
            REQUIRE((first_job >= 0) == (a.first_job_sector[i] >= 0));
            if (first_job >= 0)
                first_sectors.at(static_cast<std::size_t>(a.first_job_sector[i])) += 1;
            if (first_job >= 0) {
                REQUIRE(first_job > entry);
                if (first_job - entry <= horizon) {
                    observed[first_job - entry - 1] += 1;
                    job_first += 1;
                } else {
                    observed[2 * horizon] += 1;
                }
            } else if (a.final_state[i] == kDropped) {
                const int k = a.end_day[i] - entry;
                REQUIRE(k >= 1);
                if (k <= horizon) {
                    observed[horizon + k - 1] += 1;
                    dropped_first += 1;
                } else {
                    observed[2 * horizon] += 1;
                }
            } else {
                observed[2 * horizon] += 1;
            }
        }
    }
    REQUIRE(n > 20000);
    const auto [statistic, df] = pooled_chi2(observed, expected);
    MESSAGE("full house: first event (job or dropout) by day, n = "
            << n << ": chi2 = " << statistic << " on " << df << " df, critical "
            << chi2_critical(df));
    CHECK(df >= 50);
    CHECK(statistic < chi2_critical(df));
    CHECK(essaim::test::chi2_pooled_ok(observed, expected));
    // The shares with a first job, and dropping out before any job, within K days: one degree of
    // freedom each, sharper than the omnibus test against a single wrong factor of one hazard.
    const double p_job_first = h_job / H * (1 - std::pow(1 - q, horizon));
    MESSAGE("full house: first job within " << horizon << " days: " << job_first / n << " vs "
                                            << p_job_first);
    CHECK(proportion_close(job_first / n, p_job_first, n));
    // The sector of a job start: probability w_s m_hire_s / sum (MODEL.md §4), here
    // 0.175, 0.2, 0.02, 0.24 over 0.635.
    std::vector<double> sector_share;
    for (std::size_t k = 0; k < s.sectors.size(); ++k)
        sector_share.push_back(s.sectors[k].weight * crisis.hire[k] / hire);
    CHECK(essaim::test::chi2_pooled_ok(first_sectors, sector_share));
    const double p_drop_first = h_drop / H * (1 - std::pow(1 - q, horizon));
    MESSAGE("full house: dropout before a first job within "
            << horizon << " days: " << dropped_first / n << " vs " << p_drop_first);
    CHECK(proportion_close(dropped_first / n, p_drop_first, n));

    // Repérage: identified a day ~ Poisson(lambda), lambda = 200 x 20 x 0.5 x 0.9 = 1800 (the
    // pool of 10^7 never runs out).
    CHECK(lambda == doctest::Approx(1800.0));
    const double mean_identified = identified_sum / days_observed;
    MESSAGE("full house: mean identified a day "
            << mean_identified << " vs lambda " << lambda << " (tolerance "
            << essaim::test::kZ * std::sqrt(lambda / days_observed) << "); dispersion chi2 "
            << dispersion << " on " << days_observed << " df");
    CHECK(std::abs(mean_identified - lambda) <=
          essaim::test::kZ * std::sqrt(lambda / days_observed));
    CHECK(dispersion < chi2_critical(days_observed));  // Poisson variance, not more
}

TEST_CASE_TEMPLATE("barriers: resolution draws, the job factor beta and sequential mode", E,
                   EventEngine, DailyEngine) {
    Scenario s = fixtures::closed_form_scenario(2000);
    s.profile.prevalence = {1, 0, 0, 0, 0};  // everyone starts with a mobility barrier
    const Parameters& p = s.parameters;
    const double n = 2000.0 * 4;

    SUBCASE("resolution before exit or dropout") {
        s.parameters.h0_job = 0;  // only dropout competes
        const Pooled pooled = run_replications(s, 4, E::value);
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
        const Pooled pooled = run_replications(s, 4, E::value);
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
        for (const auto& k : run_replications(s, 2, E::value).kpis) CHECK(k[kKpiJobStarts] == 0);
    }
}

TEST_CASE_TEMPLATE("invariants on every day: nobody lost or double-counted, capacity, FIFO", E,
                   EventEngine, DailyEngine) {
    const Scenario s = fixtures::small_scenario();
    for (std::uint64_t replication = 0; replication < 5; ++replication) {
        RunOptions options;
        options.engine = E::value;
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

TEST_CASE_TEMPLATE(
    "a run is a pure function of (scenario, seed, replication), whatever the threads", E,
    EventEngine, DailyEngine) {
    const Scenario s = fixtures::small_scenario();
    RunOptions one;
    one.engine = E::value;
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

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// KPIs of MODEL.md §6 recomputed from the agent table rows of territory `t` (every row if t < 0):
// the ones the table determines.
struct AgentKpis {
    double identified = 0, entries = 0, dropouts = 0, gave_up = 0, exits_positive = 0,
           exits_neutral = 0;
    double mean_waiting = kNaN, mean_to_job = kNaN, median_to_job = kNaN, within_90 = kNaN;
    double employed_6m = kNaN, employed_12m = kNaN;
    double entrants_with_job = 0, share_entrants_with_job = kNaN;  // version 1.1
};

AgentKpis kpis_from_agents(const AgentTable& a, int t, int last_day) {
    AgentKpis k;
    std::vector<double> waits, to_job;
    double eligible_90 = 0, within_90 = 0, followed_6m = 0, employed_6m = 0, followed_12m = 0,
           employed_12m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (t >= 0 && a.territory[i] != t) continue;
        k.identified += 1;
        k.dropouts += a.final_state[i] == kDropped;
        k.gave_up += a.final_state[i] == kGaveUp;
        k.exits_positive += a.outcome[i] == 1;
        k.exits_neutral += a.outcome[i] == 0;
        const int exit = a.exit_day[i];
        // Employment 6 (12) months after exit: exits with exit + 182 (365) <= last day, state at
        // the end of that day; a state not observed (follow-up shorter) does not count.
        if (exit >= 0 && exit + 182 <= last_day && a.state_6m[i] >= 0) {
            ++followed_6m;
            employed_6m += a.state_6m[i] == kPostEmployed;
        }
        if (exit >= 0 && exit + 365 <= last_day && a.state_12m[i] >= 0) {
            ++followed_12m;
            employed_12m += a.state_12m[i] == kPostEmployed;
        }
        if (a.entry_day[i] < 0) continue;
        waits.push_back(a.entry_day[i] - a.identified_day[i]);
        if (a.first_job_day[i] >= 0) to_job.push_back(a.first_job_day[i] - a.entry_day[i]);
        if (a.entry_day[i] <= last_day - 90) {
            ++eligible_90;
            within_90 += a.first_job_day[i] >= 0 && a.first_job_day[i] - a.entry_day[i] <= 90;
        }
    }
    k.entries = static_cast<double>(waits.size());
    if (!waits.empty())
        k.mean_waiting = std::accumulate(waits.begin(), waits.end(), 0.0) / waits.size();
    if (!to_job.empty()) {
        k.mean_to_job = std::accumulate(to_job.begin(), to_job.end(), 0.0) / to_job.size();
        std::sort(to_job.begin(), to_job.end());
        const std::size_t m = to_job.size() / 2;
        k.median_to_job = to_job.size() % 2 == 1 ? to_job[m] : (to_job[m - 1] + to_job[m]) / 2;
    }
    if (eligible_90 > 0) k.within_90 = within_90 / eligible_90;
    if (followed_6m > 0) k.employed_6m = employed_6m / followed_6m;
    if (followed_12m > 0) k.employed_12m = employed_12m / followed_12m;
    k.entrants_with_job = static_cast<double>(to_job.size());
    if (k.entries > 0) k.share_entrants_with_job = k.entrants_with_job / k.entries;
    return k;
}

// Equal, or both NaN (a ratio with a zero denominator).
void check_kpi(const char* name, int territory, double kpi, double expected) {
    CAPTURE(name);
    CAPTURE(territory);
    CAPTURE(kpi);
    CAPTURE(expected);
    if (std::isnan(expected))
        CHECK(std::isnan(kpi));
    else
        CHECK(kpi == doctest::Approx(expected).epsilon(1e-12));
}

void check_kpis_against_agents(const KpiValues& k, const AgentKpis& e, int territory) {
    check_kpi("identified", territory, k[kKpiIdentified], e.identified);
    check_kpi("entries", territory, k[kKpiEntries], e.entries);
    check_kpi("dropouts", territory, k[kKpiDropouts], e.dropouts);
    check_kpi("gave_up", territory, k[kKpiGaveUp], e.gave_up);
    check_kpi("exits_positive", territory, k[kKpiExitsPositive], e.exits_positive);
    check_kpi("exits_neutral", territory, k[kKpiExitsNeutral], e.exits_neutral);
    check_kpi("mean_waiting_days", territory, k[kKpiMeanWaitingDays], e.mean_waiting);
    check_kpi("mean_days_to_first_job", territory, k[kKpiMeanDaysToFirstJob], e.mean_to_job);
    check_kpi("median_days_to_first_job", territory, k[kKpiMedianDaysToFirstJob], e.median_to_job);
    check_kpi("share_job_within_90d", territory, k[kKpiShareJobWithin90d], e.within_90);
    check_kpi("employed_6m_after_exit", territory, k[kKpiEmployed6mAfterExit], e.employed_6m);
    check_kpi("employed_12m_after_exit", territory, k[kKpiEmployed12mAfterExit], e.employed_12m);
    check_kpi("entrants_with_job", territory, k[kKpiEntrantsWithJob], e.entrants_with_job);
    check_kpi("share_entrants_with_job", territory, k[kKpiShareEntrantsWithJob],
              e.share_entrants_with_job);
}

}  // namespace

TEST_CASE_TEMPLATE("KPIs are consistent with the agent table and the series", E, EventEngine,
                   DailyEngine) {
    const Scenario s = fixtures::small_scenario();
    RunOptions options;
    options.engine = E::value;
    options.seed = 8;
    options.record_agents = true;
    const RunResult result = run(s, options);
    const AgentTable& a = *result.agents;
    const int last_day = result.series.n_days() - 1;
    const int n_territories = result.series.n_units();
    REQUIRE(result.territory_kpis.size() == static_cast<std::size_t>(n_territories));

    // Every KPI the agent table determines, in total and per territory.
    const AgentKpis all = kpis_from_agents(a, -1, last_day);
    check_kpis_against_agents(result.total_kpis, all, -1);
    for (int t = 0; t < n_territories; ++t)
        check_kpis_against_agents(result.territory_kpis[t], kpis_from_agents(a, t, last_day), t);
    // The run is long enough for each of them to be defined in total (not a NaN-vs-NaN pass).
    for (double v : {all.mean_waiting, all.mean_to_job, all.median_to_job, all.within_90,
                     all.employed_6m, all.employed_12m})
        CHECK_FALSE(std::isnan(v));
    // Beta and Gamma open on day 366: their first exits (day 822 or later) have no 12-month
    // milestone by day 1095, so that KPI is NaN there, defined for Alpha.
    CHECK_FALSE(std::isnan(result.territory_kpis[0][kKpiEmployed12mAfterExit]));
    CHECK(std::isnan(result.territory_kpis[1][kKpiEmployed12mAfterExit]));
    CHECK(std::isnan(result.territory_kpis[2][kKpiEmployed12mAfterExit]));

    const KpiValues& k = result.total_kpis;
    CHECK(k[kKpiPositiveExitRate] ==
          doctest::Approx(k[kKpiExitsPositive] /
                          (k[kKpiExitsPositive] + k[kKpiExitsNeutral] + k[kKpiDropouts])));
    CHECK(k[kKpiCostPerEntry] == doctest::Approx(k[kKpiTotalCost] / k[kKpiEntries]));
    CHECK(k[kKpiCostPerPositiveExit] == doctest::Approx(k[kKpiTotalCost] / k[kKpiExitsPositive]));
    double sum_territories = 0;
    for (const auto& tk : result.territory_kpis) sum_territories += tk[kKpiTotalCost];
    CHECK(k[kKpiTotalCost] == doctest::Approx(sum_territories));
    // Costs: coaches and hub for each open day plus solutions per barrier resolved.
    double expected_cost = 0;
    for (int t = 0; t < n_territories; ++t)
        for (int d = 0; d <= last_day; ++d) {
            const double* r = result.series.row(d, t);
            if (r[kCoaches] > 0)
                expected_cost +=
                    (48000.0 * r[kCoaches] + 60000.0) / 365 + 400.0 * r[kBarriersResolved];
        }
    CHECK(k[kKpiTotalCost] == doctest::Approx(expected_cost));

    // Capacity utilisation (§6): per territory, the mean over its open days of active / capacity
    // at the end of the day; in total, over the days on which at least one territory is open,
    // the mean of sum active / sum capacity.
    const Calendar calendar(s.start, s.end);
    double total_sum = 0;
    int total_days = 0;
    std::vector<double> sum(n_territories, 0.0);
    std::vector<int> open_days(n_territories, 0);
    for (int d = 0; d <= last_day; ++d) {
        double active = 0, capacity = 0;
        bool any_open = false;
        for (int t = 0; t < n_territories; ++t) {
            const double* r = result.series.row(d, t);
            if (d < calendar.day_of(s.territories[t].open)) {
                REQUIRE(r[kCapacity] == 0);
                continue;
            }
            any_open = true;
            active += r[kCountRemob] + r[kCountEmployed];
            capacity += r[kCapacity];
            sum[t] += (r[kCountRemob] + r[kCountEmployed]) / r[kCapacity];
            ++open_days[t];
        }
        if (any_open) {
            total_sum += active / capacity;
            ++total_days;
        }
    }
    CHECK(open_days[0] == 1096);
    CHECK(open_days[1] == 730);
    for (int t = 0; t < n_territories; ++t)
        check_kpi("capacity_utilisation", t, result.territory_kpis[t][kKpiCapacityUtilisation],
                  sum[t] / open_days[t]);
    check_kpi("capacity_utilisation", -1, k[kKpiCapacityUtilisation], total_sum / total_days);
    CHECK(k[kKpiCapacityUtilisation] > 0.0);
    CHECK(k[kKpiCapacityUtilisation] <= 1.0);
}

TEST_CASE_TEMPLATE("follow-up shorter than a year: milestones, stocks and follow-up ends", E,
                   EventEngine, DailyEngine) {
    Scenario s = fixtures::closed_form_scenario(3000);
    const Calendar calendar(s.start, s.end);
    const int last_day = calendar.last_day();
    for (const int followup : {200, 0}) {
        CAPTURE(followup);
        s.parameters.followup_days = followup;
        RunOptions options;
        options.engine = E::value;
        options.seed = 21;
        options.record_agents = true;
        const RunResult result = run(s, options);
        const AgentTable& a = *result.agents;
        const KpiValues& k = result.total_kpis;
        // 6 months (182 days) is within a 200-day follow-up, 12 months is not; with no follow-up
        // neither milestone is observed, so both ratios have a zero denominator.
        if (followup == 200) {
            CHECK_FALSE(std::isnan(k[kKpiEmployed6mAfterExit]));
            CHECK(k[kKpiEmployed6mAfterExit] > 0.0);
        } else {
            CHECK(std::isnan(k[kKpiEmployed6mAfterExit]));
        }
        CHECK(std::isnan(k[kKpiEmployed12mAfterExit]));
        check_kpis_against_agents(k, kpis_from_agents(a, -1, last_day), -1);

        // Expected stocks and flows from the exit days: a person is followed at the end of days
        // exit .. exit + followup - 1 and leaves at the end of day exit + followup.
        std::vector<double> followed(last_day + 1, 0.0), ends(last_day + 1, 0.0);
        int exits = 0, latest_exit = -1;
        for (std::size_t i = 0; i < a.size(); ++i) {
            const int exit = a.exit_day[i];
            if (exit < 0) {
                CHECK(a.state_6m[i] == -1);
                continue;
            }
            ++exits;
            latest_exit = std::max(latest_exit, exit);
            for (int d = exit; d < exit + followup && d <= last_day; ++d) followed[d] += 1;
            REQUIRE(exit + followup <= last_day);  // every follow-up ends within the run
            ends[exit + followup] += 1;
            CHECK(a.final_state[i] == kDone);
            CHECK(a.end_day[i] == exit + followup);
            CHECK(a.state_12m[i] == -1);
            if (followup == 200)
                CHECK((a.state_6m[i] == kPostEmployed || a.state_6m[i] == kPostUnemployed));
            else
                CHECK(a.state_6m[i] == -1);
        }
        REQUIRE(exits > 2000);
        REQUIRE(latest_exit + followup < last_day);
        double followup_ends = 0;
        for (int d = 0; d <= last_day; ++d) {
            const double* r = result.series.row(d, 0);
            CAPTURE(d);
            REQUIRE(r[kCountPostEmployed] + r[kCountPostUnemployed] == followed[d]);
            REQUIRE(r[kFollowupEnds] == ends[d]);
            if (d >= latest_exit + followup) {
                REQUIRE(r[kCountPostEmployed] == 0);
                REQUIRE(r[kCountPostUnemployed] == 0);
            }
            if (followup == 0) REQUIRE(r[kFollowupEnds] == r[kExitsPositive] + r[kExitsNeutral]);
            followup_ends += r[kFollowupEnds];
        }
        CHECK(followup_ends == exits);
    }
}

TEST_CASE_TEMPLATE("give-up times of people who wait: geometric with p = 1 - exp(-1/patience)", E,
                   EventEngine, DailyEngine) {
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
    const Pooled pooled = run_replications(s, 4, E::value);
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

TEST_CASE_TEMPLATE(
    "follow-up under a crisis: employment 6 months after exit with a time-varying job loss", E,
    EventEngine, DailyEngine) {
    Scenario s = fixtures::closed_form_scenario(4000);
    Crisis shock;
    shock.name = "shock";
    shock.start = Date{2021, 5, 1};  // inside most people's first six months after exit
    shock.end = Date{2021, 7, 31};
    shock.jobloss = 6.0;
    s.crises = {shock};
    s.sectors = {
        {"only", 1.0, 1e9}};  // jobs in the parcours (almost) never end: many exit employed
    const Pooled pooled = run_replications(s, 4, E::value);
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

TEST_CASE_TEMPLATE(
    "zero intensity: everyone active drops out, unless the base dropout hazard is zero", E,
    EventEngine, DailyEngine) {
    Scenario s = fixtures::closed_form_scenario(500);
    Crisis silence;
    silence.name = "no contact at all";
    silence.start = Date{2020, 2, 1};
    silence.end = Date{2020, 2, 1};
    silence.contacts = 0;
    s.crises = {silence};
    RunOptions options;
    options.engine = E::value;
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
