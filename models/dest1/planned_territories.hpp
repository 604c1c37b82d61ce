#pragma once
// /territories and /rollout of ensemble and sweep files: the roll-out is planned before any
// replication (it depends on the scenario only), so a file records each design point's actual
// openings, the same in all its replications.
#include <vector>

#include "models/dest1/rollout.hpp"
#include "models/dest1/scenario.hpp"
#include "sim/hdf5_file.hpp"

namespace essaim::dest1 {

// One scenario: /territories with the planned openings and /rollout as in run files. Several
// (the points of a sweep, with the same territories): /territories with the openings every point
// agrees on (attribute `open_date_varies_by_point` lists the others) and /rollout with each
// point's decisions, (point, territory) row-major.
void write_planned_territories(const hdf5::Group& root, const std::vector<const Scenario*>& points,
                               const std::vector<const RolloutPlan*>& plans);

}  // namespace essaim::dest1
