#pragma once
// Peak counts of live people in a run's daily series, for the memory figures of the benchmarks.
#include <algorithm>

#include "models/dest1/outputs.hpp"

namespace essaim::bench {

struct PeakLive {
    double live = 0;  // waiting, active or followed up: the agent-day definition
    double stored =
        0;  // waiting or active: the only ones that occupy memory (follow-up is drawn at exit)
};

inline PeakLive peak_live(const DailySeries& series) {
    PeakLive peak;
    for (int d = 0; d < series.n_days(); ++d) {
        double live = 0, stored = 0;
        for (int t = 0; t < series.n_units(); ++t) {
            const double* r = series.row(d, t);
            stored += r[dest1::kCountWaiting] + r[dest1::kCountRemob] + r[dest1::kCountEmployed];
            live += r[dest1::kCountPostEmployed] + r[dest1::kCountPostUnemployed];
        }
        peak.live = std::max(peak.live, live + stored);
        peak.stored = std::max(peak.stored, stored);
    }
    return peak;
}

}  // namespace essaim::bench
