#pragma once
// What one Dest1 run adds to the survival curves of an ensemble (experiment::SurvivalTally):
// for every entrant, the days from entry to the first job and to dropout, each an event or
// censored (at exit, dropout or the run's end for the first job; at exit or the run's end for
// dropout), counted in five groups: all, its territory, its duration class, its diploma level and
// its number of barriers at identification.
#include "experiment/unit_result.hpp"
#include "models/dest1/outputs.hpp"
#include "models/dest1/scenario.hpp"

namespace essaim::dest1 {

experiment::SurvivalTally survival_tally(const Scenario& scenario, const AgentTable& agents,
                                         int n_days);

}  // namespace essaim::dest1
