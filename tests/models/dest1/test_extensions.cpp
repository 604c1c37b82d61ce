// MODEL.md §7, version 1.1: unobserved employability (frailty, §7.1) and coach time (§7.2),
// against closed forms on both engines, and version 1 bit for bit when both are off. Tolerances
// come from tests/stat_check.hpp (false-alarm rate about 1e-6 per check); each closed-form check
// is paired with the same statistic against the model without the extension, which it must
// reject, so that the check is known to be able to fail.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "models/dest1/outputs.hpp"
#include "models/dest1/run.hpp"
#include "models/dest1/scenario_toml.hpp"
#include "models/dest1/submodels.hpp"
#include "sim/calendar.hpp"
#include "tests/models/dest1/scenario_fixtures.hpp"
#include "tests/stat_check.hpp"

using namespace essaim;
using namespace essaim::dest1;
using essaim::dest1::fixtures::DailyEngine;
using essaim::dest1::fixtures::EventEngine;
using essaim::test::kZ;
using essaim::test::proportion_close;

namespace {


RunResult run_one(const Scenario& s, Engine engine, int replication, bool agents = true) {
    RunOptions options;
    options.engine = engine;
    options.seed = s.seed;
    options.replication = static_cast<std::uint64_t>(replication);
    options.record_agents = agents;
    return run(s, options);
}

// (1 + v h t)^(-1/v): P(no job within t turns) when the daily job hazard is h Z, Z ~ Gamma with
// mean 1 and variance v. Given Z, no job in t daily draws has probability exp(-h Z t) exactly,
// and E[exp(-s Z)] = (1 + v s)^(-1/v) (the Laplace transform of the gamma distribution).
double frailty_survival(double v, double h, double t) { return std::pow(1 + v * h * t, -1 / v); }

struct Moments {
    double n = 0, sum = 0, sum2 = 0;
    void add(double x) {
        n += 1;
        sum += x;
        sum2 += x * x;
    }
    double mean() const { return sum / n; }
    double variance() const { return (sum2 - sum * sum / n) / (n - 1); }
};

// Every byte of two runs' series, KPIs and agent tables.
void check_identical(const RunResult& a, const RunResult& b) {
    REQUIRE(a.series.values().size() == b.series.values().size());
    CHECK(std::memcmp(a.series.values().data(), b.series.values().data(),
                      a.series.values().size() * sizeof(double)) == 0);
    CHECK(std::memcmp(a.total_kpis.data(), b.total_kpis.data(), sizeof(KpiValues)) == 0);
    REQUIRE(a.territory_kpis.size() == b.territory_kpis.size());
    for (std::size_t t = 0; t < a.territory_kpis.size(); ++t)
        CHECK(std::memcmp(a.territory_kpis[t].data(), b.territory_kpis[t].data(),
                          sizeof(KpiValues)) == 0);
    REQUIRE(a.agents.has_value() == b.agents.has_value());
    if (!a.agents) return;
    CHECK(a.agents->first_job_day == b.agents->first_job_day);
    CHECK(a.agents->end_day == b.agents->end_day);
    CHECK(a.agents->state_12m == b.agents->state_12m);
    CHECK(a.agents->barriers_at_end == b.agents->barriers_at_end);
    CHECK(a.agents->employability == b.agents->employability);
}

// m_contacts(d) from the scenario's crisis periods (MODEL.md §3 step 1), written out again.
double contacts_multiplier(const Scenario& s, int day) {
    const long date = days_from_civil(s.start) + day;
    double m = 1;
    for (const Crisis& c : s.crises)
        if (date >= days_from_civil(c.start) && date <= days_from_civil(c.end)) m *= c.contacts;
    return m;
}

}  // namespace

TEST_CASE_TEMPLATE(
    "frailty: survival to a first job is (1 + v h t)^(-1/v), Z has mean 1 and "
    "variance v",
    E, EventEngine, DailyEngine) {
    // One territory, intensity 1, ramp 1, no barriers, no dropout: h_job = h0_job Σ w_s Z for
    // every turn of the 455 (MODEL.md §4 and §7.1).
    Scenario s = fixtures::closed_form_scenario(3000);
    Parameters& p = s.parameters;
    p.h0_drop = 0;
    p.employability_variance = 1.5;
    const double v = p.employability_variance;
    double weights = 0;
    for (const auto& sector : s.sectors) weights += sector.weight;
    const double h = p.h0_job * weights;
    const int horizon = 150, replications = 8, turns = p.parcours_days - 1;

    std::vector<double> observed(horizon + 1, 0.0);
    Moments z;
    double entries = 0, with_job = 0, kpi_with_job = 0;
    for (int r = 0; r < replications; ++r) {
        const RunResult result = run_one(s, E::value, r);
        const AgentTable& a = *result.agents;
        for (std::size_t i = 0; i < a.size(); ++i) {
            z.add(a.employability[i]);
            REQUIRE(a.entry_day[i] >= 0);
            entries += 1;
            const int k = a.first_job_day[i] < 0 ? -1 : a.first_job_day[i] - a.entry_day[i];
            with_job += k >= 0;
            observed[(k >= 1 && k <= horizon) ? k - 1 : horizon] += 1;
        }
        kpi_with_job += result.total_kpis[kKpiEntrantsWithJob];
        CHECK(result.total_kpis[kKpiShareEntrantsWithJob] ==
              doctest::Approx(result.total_kpis[kKpiEntrantsWithJob] /
                              result.total_kpis[kKpiEntries]));
    }
    REQUIRE(entries == 3000.0 * replications);
    CHECK(kpi_with_job == with_job);

    // First job on turn k: S(k - 1) - S(k); no job within the horizon: S(horizon).
    std::vector<double> frailty(horizon + 1), homogeneous(horizon + 1);
    for (int k = 1; k <= horizon; ++k) {
        frailty[k - 1] = frailty_survival(v, h, k - 1) - frailty_survival(v, h, k);
        homogeneous[k - 1] = std::exp(-h * (k - 1)) - std::exp(-h * k);
    }
    frailty[horizon] = frailty_survival(v, h, horizon);
    homogeneous[horizon] = std::exp(-h * horizon);
    const auto [statistic, df] = test::pooled_chi2(observed, frailty);
    MESSAGE("frailty: first job by turn, chi2 = "
            << statistic << " on " << df << " df, critical " << test::chi2_critical(df)
            << "; against Z = 1: " << test::pooled_chi2(observed, homogeneous).first);
    CHECK(df >= 50);
    CHECK(statistic < test::chi2_critical(df));
    CHECK_FALSE(test::chi2_pooled_ok(observed, homogeneous));  // the test can tell Z = 1 apart
    // Entrants with a job by the end of their 455 turns (every parcours ends within the run).
    const double p_job = 1 - frailty_survival(v, h, turns);
    MESSAGE("frailty: entrants with a job " << with_job / entries << " vs " << p_job
                                            << " (Z = 1: " << 1 - std::exp(-h * turns) << ")");
    CHECK(proportion_close(with_job / entries, p_job, entries));
    CHECK_FALSE(proportion_close(with_job / entries, 1 - std::exp(-h * turns), entries));

    // Z itself: mean 1 (sd sqrt(v / n)) and variance v, whose estimate has variance
    // (mu4 - v^2) / n = v^2 (2 + 6 v) / n for a gamma of shape 1 / v.
    MESSAGE("employability: mean " << z.mean() << ", variance " << z.variance() << " over " << z.n);
    CHECK(std::abs(z.mean() - 1) <= kZ * std::sqrt(v / z.n));
    CHECK(std::abs(z.variance() - v) <= kZ * std::sqrt(v * v * (2 + 6 * v) / z.n));
}

TEST_CASE_TEMPLATE("frailty: the re-employment hazard after exit is h0_post Z, with the agent's Z",
                   E, EventEngine, DailyEngine) {
    // Nobody finds a job in the parcours (h0_job = 0) nor loses one after exit (post_job_days
    // 1e12): a neutral exit is employed 182 days later with probability 1 - exp(-h0_post Z 182).
    Scenario s = fixtures::closed_form_scenario(2000);
    Parameters& p = s.parameters;
    p.h0_job = 0;
    p.h0_drop = 0;
    p.post_job_days = 1e12;
    p.employability_variance = 1.5;
    const double v = p.employability_variance;
    double exits = 0, employed = 0, expected = 0, variance = 0, expected_z1 = 0;
    for (int r = 0; r < 4; ++r) {
        const AgentTable a = *run_one(s, E::value, r).agents;
        for (std::size_t i = 0; i < a.size(); ++i) {
            REQUIRE(a.outcome[i] == 0);
            REQUIRE(a.state_6m[i] >= 0);
            const double e = 1 - std::exp(-p.h0_post * a.employability[i] * 182);
            exits += 1;
            employed += a.state_6m[i] == kPostEmployed;
            expected += e;
            variance += e * (1 - e);
            expected_z1 += 1 - std::exp(-p.h0_post * 182);
        }
    }
    REQUIRE(exits == 8000);
    // Each agent with its own Z: the count against Σ e_i, variance Σ e_i (1 - e_i).
    const double z = (employed - expected) / std::sqrt(variance);
    MESSAGE("follow-up with frailty: employed 6 months after exit "
            << employed << " vs " << expected << ", z = " << z << " (Z = 1: " << expected_z1
            << ")");
    CHECK(std::abs(z) <= kZ);
    CHECK(std::abs(employed - expected_z1) > kZ * std::sqrt(variance));
    // Over the population: 1 - (1 + v h0_post 182)^(-1/v).
    CHECK(proportion_close(employed / exits, 1 - frailty_survival(v, p.h0_post, 182), exits));
}

TEST_CASE_TEMPLATE("frailty off: v = 0 is version 1 bit for bit, and v > 0 moves no other draw", E,
                   EventEngine, DailyEngine) {
    const std::string docking = std::string(ESSAIM_SOURCE_DIR) + "/scenarios/docking.toml";
    const Scenario plain = load_scenario(docking);
    const Scenario zero = load_scenario(docking, {"hazards.employability_variance=0"});
    const RunResult a = run_one(plain, E::value, 1), b = run_one(zero, E::value, 1);
    check_identical(a, b);
    for (float z : a.agents->employability) REQUIRE(z == 1.0f);

    // Identification, attributes, give-up and admission do not depend on Z: with capacity for
    // everyone, the same people enter on the same days with the same barriers.
    Scenario s = fixtures::closed_form_scenario(2000);
    s.profile.prevalence = {0.5, 0.5, 0.5, 0.5, 0.5};
    const RunResult off = run_one(s, E::value, 0);
    s.parameters.employability_variance = 1.5;
    const RunResult on = run_one(s, E::value, 0);
    CHECK(on.agents->identified_day == off.agents->identified_day);
    CHECK(on.agents->entry_day == off.agents->entry_day);
    CHECK(on.agents->duration == off.agents->duration);
    CHECK(on.agents->barriers_at_identification == off.agents->barriers_at_identification);
    CHECK(on.agents->first_job_day != off.agents->first_job_day);
}

TEST_CASE_TEMPLATE(
    "coach time: effective contacts are min(c_req, K m C / active) from the "
    "recorded counts",
    E, EventEngine, DailyEngine) {
    // Three territories, a crisis with contacts 0.6, K = 20 against caseloads 30 and 25: the
    // limit binds when more than 20 people per coach are active.
    Scenario s = fixtures::small_scenario();
    s.parameters.contacts_per_week = 1.5;
    s.parameters.contacts_capacity_per_coach_week = 20.0;
    const double K = 20, cpw = 1.5;
    int bound = 0, free = 0;
    for (int r = 0; r < 2; ++r) {
        const RunResult result = run_one(s, E::value, r, false);
        const DailySeries& series = result.series;
        for (int t = 0; t < series.n_units(); ++t) {
            for (int d = 0; d < series.n_days(); ++d) {
                const double* row = series.row(d, t);
                CAPTURE(t);
                CAPTURE(d);
                if (row[kCoaches] == 0) {  // not open yet
                    REQUIRE(row[kEffectiveContacts] == 0);
                    continue;
                }
                // active_t at step 1 = REMOB + EMPLOYED at the end of the day before.
                const double active = d == 0 ? 0
                                             : series.row(d - 1, t)[kCountRemob] +
                                                   series.row(d - 1, t)[kCountEmployed];
                const double m = contacts_multiplier(s, d), requested = cpw * m;
                const double expected =
                    active == 0 ? requested : std::min(requested, K * m * row[kCoaches] / active);
                REQUIRE(row[kEffectiveContacts] == doctest::Approx(expected).epsilon(1e-12));
                (expected < requested ? bound : free) += 1;
            }
        }
    }
    MESSAGE("coach time: the limit binds on " << bound << " territory-days of " << bound + free);
    CHECK(bound > 100);
    CHECK(free > 100);
}

TEST_CASE_TEMPLATE("coach time: a limit that never binds changes nothing, bit for bit", E,
                   EventEngine, DailyEngine) {
    Scenario s = fixtures::small_scenario();
    const RunResult unlimited = run_one(s, E::value, 2);
    s.parameters.contacts_capacity_per_coach_week = 1e9;
    check_identical(unlimited, run_one(s, E::value, 2));
}

TEST_CASE_TEMPLATE("coach time: with the limit binding, intensity uses K m C / active", E,
                   EventEngine, DailyEngine) {
    // The full house (tests/models/dest1/scenario_fixtures.hpp): 1200 active every day from day 1
    // with 20 coaches, contacts 2 x m_contacts 0.8 = 1.6 requested, alpha 0.7, load factor 0.5,
    // remote crisis with the digital barrier unresolved (penalty 0.5). K = 90: the coaches hold
    // 90 x 0.8 x 20 / 1200 = 1.2 contacts per person and week, fewer than requested.
    Scenario s = fixtures::full_house_scenario();
    s.parameters.contacts_capacity_per_coach_week = 90.0;
    const Parameters& p = s.parameters;
    const Crisis& crisis = s.crises.at(0);
    const int last_day = Calendar(s.start, s.end).last_day(), horizon = 60;
    const double c = 90 * crisis.contacts * 20 / 1200.0;
    REQUIRE(c == doctest::Approx(1.2));
    double hire = 0;
    for (std::size_t k = 0; k < s.sectors.size(); ++k) hire += s.sectors[k].weight * crisis.hire[k];
    auto first_job_share = [&](double contacts) {
        const double I = std::pow(contacts / p.contacts_ref, p.alpha) * 0.5 *
                         p.digital_penalty;  // load, digital
        const double h_job = p.h0_job * I * p.r0_isolated * p.beta[kConfidence] * p.beta[kDigital] *
                             p.delta_duration[2] * p.delta_diploma[2] * hire;
        const double h_drop =
            p.h0_drop * crisis.dropout * p.gamma_confidence * std::pow(I, -p.kappa);
        const double H = h_job + h_drop;
        return h_job / H * (1 - std::pow(1 - probability(H), horizon));
    };
    double n = 0, job_first = 0;
    for (int r = 0; r < 3; ++r) {
        const RunResult result = run_one(s, E::value, r);
        REQUIRE(result.series.row(0, 0)[kEffectiveContacts] == doctest::Approx(1.6));  // nobody yet
        for (int d = 1; d <= last_day; ++d) {
            REQUIRE(result.series.row(d - 1, 0)[kCountRemob] +
                        result.series.row(d - 1, 0)[kCountEmployed] ==
                    1200);
            REQUIRE(result.series.row(d, 0)[kEffectiveContacts] == doctest::Approx(c));
        }
        const AgentTable& a = *result.agents;
        for (std::size_t i = 0; i < a.size(); ++i) {
            const int entry = a.entry_day[i];
            if (entry < 0 || entry > last_day - horizon) continue;
            n += 1;
            job_first += a.first_job_day[i] >= 0 && a.first_job_day[i] - entry <= horizon;
        }
    }
    REQUIRE(n > 10000);
    const double expected = first_job_share(c), unlimited = first_job_share(1.6);
    MESSAGE("coach time: first job within " << horizon << " days " << job_first / n << " vs "
                                            << expected << " (no limit: " << unlimited
                                            << "), n = " << n);
    CHECK(proportion_close(job_first / n, expected, n));
    CHECK_FALSE(proportion_close(job_first / n, unlimited, n));
}

TEST_CASE("coach time: the formulas of MODEL.md §7.2") {
    Parameters p;  // contacts_per_week 1, contacts_ref 1, alpha 0.5, caseload_ref 30
    CHECK(effective_contacts(p, 0.6, 50, 2) == 0.6);  // no K: c_req
    p.contacts_capacity_per_coach_week = 20.0;
    CHECK(requested_contacts(p, 0.6) == doctest::Approx(0.6));
    CHECK(effective_contacts(p, 0.6, 50, 2) == doctest::Approx(20 * 0.6 * 2 / 50.0));  // 0.48
    CHECK(effective_contacts(p, 0.6, 30, 2) == doctest::Approx(0.6));  // 0.8 held, 0.6 asked
    CHECK(effective_contacts(p, 0.6, 0, 2) == doctest::Approx(0.6));   // nobody active
    // I = (c / contacts_ref)^alpha x min(1, caseload_ref C / active): 50 people on 2 coaches.
    CHECK(intensity(p, 0.6, 50, 2) == doctest::Approx(std::sqrt(0.48)));
    CHECK(intensity(p, 1.0, 90, 2) == doctest::Approx(std::sqrt(20 * 2 / 90.0) * 60 / 90.0));
}

TEST_CASE("series total: sums, and effective contacts weighted by the people active at step 1") {
    // Three territories; the third not open (coaches 0).
    constexpr int n = 3;
    std::vector<double> yesterday(n * kSeriesCount, 0.0), today(n * kSeriesCount, 0.0),
        total(kSeriesCount);
    auto at = [](std::vector<double>& rows, int t, int v) -> double& {
        return rows[static_cast<std::size_t>(t) * kSeriesCount + v];
    };
    at(yesterday, 0, kCountRemob) = 30;
    at(yesterday, 0, kCountEmployed) = 10;  // 40 active at step 1 today
    at(yesterday, 1, kCountRemob) = 10;     // 10 active
    at(today, 0, kCoaches) = 2;
    at(today, 1, kCoaches) = 1;
    at(today, 0, kEffectiveContacts) = 0.5;
    at(today, 1, kEffectiveContacts) = 1.0;
    at(today, 0, kAdmitted) = 3;
    at(today, 1, kAdmitted) = 4;
    series_total(today.data(), yesterday.data(), n, total.data());
    CHECK(total[kAdmitted] == 7);
    CHECK(total[kCoaches] == 3);
    CHECK(total[kEffectiveContacts] == doctest::Approx((40 * 0.5 + 10 * 1.0) / 50));
    // Nobody active anywhere (day 0, or empty hubs): c_req, the value of every open territory.
    at(today, 0, kEffectiveContacts) = at(today, 1, kEffectiveContacts) = 0.8;
    series_total(today.data(), static_cast<const double*>(nullptr), n, total.data());
    CHECK(total[kEffectiveContacts] == 0.8);
    // Nothing open: 0, like every territory's value.
    std::vector<double> closed(n * kSeriesCount, 0.0);
    series_total(closed.data(), yesterday.data(), n, total.data());
    CHECK(total[kEffectiveContacts] == 0);
    // In float, as ensembles keep series: the sums are those of a float loop in territory order.
    std::vector<float> f_today(today.begin(), today.end()), f_total(kSeriesCount);
    series_total(f_today.data(), static_cast<const float*>(nullptr), n, f_total.data());
    CHECK(f_total[kAdmitted] == 7.0f);
}
