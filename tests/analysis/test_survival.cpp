#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "analysis/survival.hpp"
#include "tests/stat_check.hpp"

using namespace essaim::analysis;
using essaim::test::kZ;
using essaim::test::proportion_close;

namespace {

constexpr double kZ975 = 1.959963984540054;

struct Band {
    double lower, upper;
};

// The log-log band from the formulas, independently of the implementation.
Band log_log_band(double s, double greenwood_sum) {
    const double v = greenwood_sum / (std::log(s) * std::log(s));
    return {std::pow(s, std::exp(kZ975 * std::sqrt(v))),
            std::pow(s, std::exp(-kZ975 * std::sqrt(v)))};
}

// Index of the last event time <= t, or -1 before the first one (where S = 1).
long step_index(const SurvivalCurve& c, double t) {
    return static_cast<long>(std::upper_bound(c.time.begin(), c.time.end(), t) - c.time.begin()) -
           1;
}

double first_at_or_below_half(const std::vector<double>& time, const std::vector<double>& curve) {
    for (std::size_t i = 0; i < curve.size(); ++i)
        if (curve[i] <= 0.5 + 1e-12) return time[i];
    return std::numeric_limits<double>::quiet_NaN();
}

std::vector<SurvivalObservation> exponential_sample(std::mt19937_64& rng, int n, double rate,
                                                    double censoring_rate) {
    std::exponential_distribution<double> event_time(rate), censoring_time(censoring_rate);
    std::vector<SurvivalObservation> obs(n);
    for (auto& o : obs) {
        const double t = event_time(rng), c = censoring_time(rng);
        o = t <= c ? SurvivalObservation{t, true} : SurvivalObservation{c, false};
    }
    return obs;
}

}  // namespace

TEST_CASE("Kaplan-Meier on a hand example with an event tied with a censoring") {
    //  time  n_i  d_i  censored  S                        Greenwood sum Σ d/(n(n-d))
    //   1    10   1    0         9/10       = 0.9         1/90
    //   2     9   1    1         0.9 * 8/9  = 0.8         + 1/72  = 0.025
    //   3     -   0    1         (censoring only: not a row)
    //   4     6   2    0         0.8 * 4/6  = 0.53333     + 2/24  = 0.108333
    //   5     -   0    1
    //   6     3   1    0         0.5333*2/3 = 0.35556     + 1/6   = 0.275
    //   7     -   0    1
    //   8     1   1    0         0                        infinite: lower 0, upper = upper at 6
    // At time 2 the censored subject is still at risk (events first), hence n = 9, not 8.
    const std::vector<SurvivalObservation> obs{{4, true},  {2, false}, {8, true}, {1, true},
                                               {3, false}, {6, true},  {2, true}, {7, false},
                                               {4, true},  {5, false}};
    const SurvivalCurve c = kaplan_meier(obs);
    CHECK(c.n == 10);
    CHECK(c.n_events == 6);
    REQUIRE(c.time == std::vector<double>{1, 2, 4, 6, 8});
    CHECK(c.at_risk == std::vector<double>{10, 9, 6, 3, 1});
    CHECK(c.events == std::vector<double>{1, 1, 2, 1, 1});

    const std::vector<double> s{0.9, 0.8, 0.8 * 4 / 6, 0.8 * 4 / 6 * 2 / 3, 0};
    const std::vector<double> greenwood{1.0 / 90, 1.0 / 90 + 1.0 / 72,
                                        1.0 / 90 + 1.0 / 72 + 2.0 / 24,
                                        1.0 / 90 + 1.0 / 72 + 2.0 / 24 + 1.0 / 6};
    std::vector<double> lower, upper;
    for (int i = 0; i < 4; ++i) {
        const Band b = log_log_band(s[i], greenwood[i]);
        lower.push_back(b.lower);
        upper.push_back(b.upper);
    }
    lower.push_back(0);
    upper.push_back(upper.back());
    for (int i = 0; i < 5; ++i) {
        CAPTURE(i);
        CHECK(c.survival[i] == doctest::Approx(s[i]).epsilon(1e-12));
        CHECK(c.lower[i] == doctest::Approx(lower[i]).epsilon(1e-9));
        CHECK(c.upper[i] == doctest::Approx(upper[i]).epsilon(1e-9));
        CHECK(c.lower[i] <= c.survival[i]);
        CHECK(c.survival[i] <= c.upper[i]);
    }
    // Spot values, worked out by hand: at time 2, v = 0.025 / log(0.8)^2 = 0.502078,
    // lower = 0.8^exp(1.96 * 0.708575) = 0.8^4.009959 = 0.408691.
    CHECK(c.lower[1] == doctest::Approx(0.408691).epsilon(1e-5));

    CHECK(c.median == 6);  // S(4) = 0.533 > 0.5, S(6) = 0.356
    CHECK(c.median_lower == first_at_or_below_half(c.time, lower));
    CHECK(c.median_lower == 1);         // the band is wide at n = 10: lower(1) = 0.9^7.1 = 0.47
    CHECK(std::isnan(c.median_upper));  // upper stays at 0.68 after time 6
}

TEST_CASE("Kaplan-Meier median when S lands exactly on 0.5") {
    // 5/6 * 4/5 * 3/4 = 1/2 exactly, though the floating-point product may round above it.
    std::vector<SurvivalObservation> obs;
    for (int t = 1; t <= 6; ++t) obs.push_back({static_cast<double>(t), true});
    const SurvivalCurve c = kaplan_meier(obs);
    CHECK(c.median == 3);
    CHECK(c.survival.back() == 0);
    CHECK(c.lower.back() == 0);
    CHECK(c.upper.back() == c.upper[4]);
}

TEST_CASE("Kaplan-Meier degenerate inputs") {
    const SurvivalCurve empty = kaplan_meier({});
    CHECK(empty.n == 0);
    CHECK(empty.n_events == 0);
    CHECK(empty.time.empty());
    CHECK(std::isnan(empty.median));
    CHECK(std::isnan(empty.median_lower));
    CHECK(std::isnan(empty.median_upper));

    // No event: S = 1 everywhere, so the curve has no rows.
    const SurvivalCurve censored = kaplan_meier({{1, false}, {2, false}, {2, false}});
    CHECK(censored.n == 3);
    CHECK(censored.n_events == 0);
    CHECK(censored.time.empty());
    CHECK(std::isnan(censored.median));

    // Everyone fails at once: S = 0, and with no earlier step the upper bound stays at 1.
    const SurvivalCurve at_once = kaplan_meier({{5, true}, {5, true}, {5, true}, {5, true}});
    REQUIRE(at_once.time.size() == 1);
    CHECK(at_once.at_risk[0] == 4);
    CHECK(at_once.events[0] == 4);
    CHECK(at_once.survival[0] == 0);
    CHECK(at_once.lower[0] == 0);
    CHECK(at_once.upper[0] == 1);
    CHECK(at_once.median == 5);
    CHECK(at_once.median_lower == 5);
    CHECK(std::isnan(at_once.median_upper));

    // NaN times are dropped.
    const SurvivalCurve with_nan =
        kaplan_meier({{std::numeric_limits<double>::quiet_NaN(), true}, {1, true}, {2, false}});
    CHECK(with_nan.n == 2);
    CHECK(with_nan.at_risk == std::vector<double>{2});
}

TEST_CASE("Kaplan-Meier agrees with a brute-force count on heavily tied data") {
    std::mt19937_64 rng(5);
    std::uniform_int_distribution<int> day(0, 30);
    std::bernoulli_distribution is_event(0.6);
    std::vector<SurvivalObservation> obs(3000);
    for (auto& o : obs) o = {static_cast<double>(day(rng)), is_event(rng)};
    const SurvivalCurve c = kaplan_meier(obs);
    double s = 1, events_total = 0;
    std::size_t row = 0;
    for (int t = 0; t <= 30; ++t) {
        double n = 0, d = 0;
        for (const auto& o : obs) {
            n += o.time >= t;
            d += o.time == t && o.event;
        }
        if (d == 0) continue;
        REQUIRE(row < c.time.size());
        CHECK(c.time[row] == t);
        CHECK(c.at_risk[row] == n);
        CHECK(c.events[row] == d);
        s *= 1 - d / n;
        CHECK(c.survival[row] == doctest::Approx(s).epsilon(1e-12));
        events_total += d;
        ++row;
    }
    CHECK(row == c.time.size());
    CHECK(c.n_events == events_total);
}

TEST_CASE("Kaplan-Meier recovers an exponential survival under independent censoring") {
    // Events at rate 0.1, censoring at rate 0.05: two thirds of the 20000 times are events.
    // S-hat is asymptotically normal around exp(-0.1 t) with Greenwood's standard error, so each
    // check below has a false-alarm rate of about 2e-6 (kZ).
    const double rate = 0.1;
    std::mt19937_64 rng(2024);
    const SurvivalCurve c = kaplan_meier(exponential_sample(rng, 20000, rate, 0.05));
    CHECK(c.n == 20000);
    for (double t : {1.0, 3.0, 6.931, 10.0, 20.0}) {
        CAPTURE(t);
        const long i = step_index(c, t);
        REQUIRE(i >= 0);
        double greenwood = 0;
        for (long j = 0; j <= i; ++j)
            greenwood += c.events[j] / (c.at_risk[j] * (c.at_risk[j] - c.events[j]));
        const double se = c.survival[i] * std::sqrt(greenwood);
        CHECK(std::abs(c.survival[i] - std::exp(-rate * t)) <= kZ * se);
    }
    // The Brookmeyer-Crowley interval is a 95% interval: with this fixed seed it contains the
    // true median (a 1-in-20 seed would not), and the kZ-widened interval must in any case.
    const double true_median = std::log(2.0) / rate;
    MESSAGE("median " << c.median << " [" << c.median_lower << ", " << c.median_upper << "], true "
                      << true_median);
    CHECK(c.median_lower <= true_median);
    CHECK(true_median <= c.median_upper);
    const double widen = kZ / kZ975;
    CHECK(c.median - widen * (c.median - c.median_lower) <= true_median);
    CHECK(true_median <= c.median + widen * (c.median_upper - c.median));
}

TEST_CASE("the log-log band covers the true survival about 95% of the time") {
    // 20000 samples of size 200 (rate 0.1, censoring 0.05), at the true quartiles and median.
    // The band is asymptotic, not exact: at n = 200 the log-log band is known to stay within about
    // a point of nominal (Borgan & Liestol 1990), so the check allows 0.01 on top of kZ binomial
    // standard errors (0.0073 at 20000 samples): coverage in about [0.933, 0.967].
    const double rate = 0.1;
    const int samples = 20000;
    const std::vector<double> s_true{0.75, 0.5, 0.25};
    std::vector<int> covered(s_true.size(), 0);
    std::mt19937_64 rng(77);
    for (int k = 0; k < samples; ++k) {
        const SurvivalCurve c = kaplan_meier(exponential_sample(rng, 200, rate, 0.05));
        for (std::size_t q = 0; q < s_true.size(); ++q) {
            const long i = step_index(c, -std::log(s_true[q]) / rate);
            const double lower = i < 0 ? 1.0 : c.lower[i], upper = i < 0 ? 1.0 : c.upper[i];
            covered[q] += lower <= s_true[q] && s_true[q] <= upper;
        }
    }
    for (std::size_t q = 0; q < s_true.size(); ++q) {
        const double coverage = static_cast<double>(covered[q]) / samples;
        MESSAGE("band coverage at S = " << s_true[q] << ": " << coverage);
        CHECK(std::abs(coverage - 0.95) <= kZ * std::sqrt(0.95 * 0.05 / samples) + 0.01);
    }
}

TEST_CASE("kaplan_meier_counts equals kaplan_meier on integer times") {
    // Random integer times with ties between events and censorings, and gaps.
    std::mt19937_64 engine(12345);
    for (int sample = 0; sample < 50; ++sample) {
        std::uniform_int_distribution<int> time(0, 40), size(1, 300);
        std::bernoulli_distribution event(0.6);
        std::vector<essaim::analysis::SurvivalObservation> observations;
        std::vector<double> events(41, 0.0), censored(41, 0.0);
        const int n = size(engine);
        for (int i = 0; i < n; ++i) {
            const int t = time(engine);
            const bool e = event(engine);
            observations.push_back({static_cast<double>(t), e});
            (e ? events : censored)[t] += 1;
        }
        const auto a = essaim::analysis::kaplan_meier(observations);
        const auto b = essaim::analysis::kaplan_meier_counts(events, censored);
        REQUIRE(a.time == b.time);
        CHECK(a.at_risk == b.at_risk);
        CHECK(a.events == b.events);
        CHECK(a.survival == b.survival);
        CHECK(a.lower == b.lower);
        CHECK(a.upper == b.upper);
        CHECK(a.n == b.n);
        CHECK(a.n_events == b.n_events);
        CHECK((a.median == b.median || (std::isnan(a.median) && std::isnan(b.median))));
    }
    const auto empty = essaim::analysis::kaplan_meier_counts({}, {});
    CHECK(empty.time.empty());
    CHECK(std::isnan(empty.median));
}
