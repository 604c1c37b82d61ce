#pragma once
// Kaplan-Meier survival curves with Greenwood confidence bands, for times from entry to an event
// (first job, dropout) with right censoring (exit, the other event, the end of the run).
#include <vector>

namespace essaim::analysis {

struct SurvivalObservation {
    double time;  // days from entry to the event or to censoring
    bool event;   // true: the event happened at `time`; false: censored at `time`
};

// The estimate at each distinct event time (censoring-only times are folded into the risk sets).
struct SurvivalCurve {
    std::vector<double> time;      // distinct event times, increasing
    std::vector<double> at_risk;   // n_i: still at risk just before time_i
    std::vector<double> events;    // d_i
    std::vector<double> survival;  // S(time_i) = Π_{j<=i} (1 - d_j / n_j)
    // 95% band (log-log transform of Greenwood's variance): with v = Σ d/(n(n-d)) / (log S)^2,
    // lower = S^exp(1.96 sqrt v), upper = S^exp(-1.96 sqrt v). Where S drops to 0 (d = n) the
    // variance is infinite: lower = 0 and upper keeps its previous value (1 at the first time).
    std::vector<double> lower, upper;
    double n = 0, n_events = 0;
    // Median: the first time S <= 0.5; its 95% interval: the first times the upper and the lower
    // band reach 0.5 (Brookmeyer-Crowley by inversion of the band). NaN when not reached.
    double median, median_lower, median_upper;
};

// Ties: events at a time come before censorings at that time (the censored are still at risk).
// Observations with a NaN time are left out (and not counted in n). O(N log N).
SurvivalCurve kaplan_meier(std::vector<SurvivalObservation> observations);

// The same estimate from counts at integer times (index = time): events_at[t] events and
// censored_at[t] censorings at time t. Memory does not grow with the number of people, which is
// what pooling the entrants of many large replications needs.
SurvivalCurve kaplan_meier_counts(const std::vector<double>& events_at,
                                  const std::vector<double>& censored_at);

}  // namespace essaim::analysis
