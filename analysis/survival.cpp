#include "analysis/survival.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace essaim::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kZ975 = 1.959963984540054;  // standard normal 0.975 quantile
// A survival that is 0.5 in exact arithmetic (e.g. 5/6 * 4/5 * 3/4) may round to just above it;
// the slack keeps such a median from sliding to the next event time. Real survival values are
// ratios of risk-set sizes and never fall this close above 0.5 for realistic sample sizes.
constexpr double kHalf = 0.5 + 1e-12;

double first_time_at_or_below_half(const std::vector<double>& time,
                                   const std::vector<double>& curve) {
    for (std::size_t i = 0; i < curve.size(); ++i)
        if (curve[i] <= kHalf) return time[i];
    return kNaN;
}

}  // namespace

namespace {

// Observations at one time: `events` events and `leaving` people leaving the risk set (events
// and censorings), at increasing times.
struct Step {
    double time, events, leaving;
};

SurvivalCurve from_steps(const std::vector<Step>& steps, double n) {
    SurvivalCurve c;
    c.n = n;
    double at_risk = n;
    double survival = 1;
    double greenwood = 0;   // Σ d / (n (n - d))
    double last_upper = 1;  // the band before the first event time is [1, 1]
    for (const Step& step : steps) {
        const double events = step.events;
        if (events > 0) {
            // Censorings tied with events at t are still in the risk set at t (events first).
            survival *= 1 - events / at_risk;
            double lower, upper;
            if (events == at_risk) {
                // S falls to 0 and Greenwood's term is infinite: the band has no information
                // left, so the lower bound drops to 0 and the upper one keeps its last value
                // rather than claiming certainty that nobody survives.
                lower = 0;
                upper = last_upper;
            } else {
                greenwood += events / (at_risk * (at_risk - events));
                const double log_s = std::log(survival);
                if (log_s == 0) {
                    lower = upper = 1;
                } else {
                    const double spread = kZ975 * std::sqrt(greenwood) / std::abs(log_s);
                    lower = std::pow(survival, std::exp(spread));
                    upper = std::pow(survival, std::exp(-spread));
                }
            }
            c.time.push_back(step.time);
            c.at_risk.push_back(at_risk);
            c.events.push_back(events);
            c.survival.push_back(survival);
            c.lower.push_back(lower);
            c.upper.push_back(upper);
            c.n_events += events;
            last_upper = upper;
        }
        at_risk -= step.leaving;
    }
    c.median = first_time_at_or_below_half(c.time, c.survival);
    c.median_lower = first_time_at_or_below_half(c.time, c.lower);
    c.median_upper = first_time_at_or_below_half(c.time, c.upper);
    return c;
}

}  // namespace

SurvivalCurve kaplan_meier(std::vector<SurvivalObservation> observations) {
    std::erase_if(observations, [](const SurvivalObservation& o) { return std::isnan(o.time); });
    std::sort(
        observations.begin(), observations.end(),
        [](const SurvivalObservation& a, const SurvivalObservation& b) { return a.time < b.time; });
    std::vector<Step> steps;
    for (std::size_t i = 0; i < observations.size();) {
        Step step{observations[i].time, 0, 0};
        for (; i < observations.size() && observations[i].time == step.time; ++i) {
            step.events += observations[i].event ? 1 : 0;
            step.leaving += 1;
        }
        steps.push_back(step);
    }
    return from_steps(steps, static_cast<double>(observations.size()));
}

SurvivalCurve kaplan_meier_counts(const std::vector<double>& events_at,
                                  const std::vector<double>& censored_at) {
    std::vector<Step> steps;
    double n = 0;
    const std::size_t times = std::max(events_at.size(), censored_at.size());
    for (std::size_t t = 0; t < times; ++t) {
        const double events = t < events_at.size() ? events_at[t] : 0;
        const double censored = t < censored_at.size() ? censored_at[t] : 0;
        if (events + censored == 0) continue;
        steps.push_back({static_cast<double>(t), events, events + censored});
        n += events + censored;
    }
    return from_steps(steps, n);
}

}  // namespace essaim::analysis
