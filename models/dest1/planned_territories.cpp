#include "models/dest1/planned_territories.hpp"

#include <span>
#include <string>

#include "models/dest1/output_hdf5.hpp"
#include "models/dest1/rollout.hpp"

namespace essaim::dest1 {
namespace {

void write_point_rollouts(const hdf5::Group& root, const std::vector<const Scenario*>& points,
                          const std::vector<const RolloutPlan*>& plans) {
    const Scenario& first = *points.front();
    const std::size_t n_territories = first.territories.size();
    std::vector<RolloutDecision> common = plans.front()->decisions;
    std::vector<std::string> varying;
    for (std::size_t t = 0; t < n_territories; ++t)
        for (const RolloutPlan* plan : plans)
            if (plan->decisions[t].open != common[t].open) {
                common[t].open.reset();
                varying.push_back(first.territories[t].name);
                break;
            }
    const hdf5::Group territories = write_territories(root, first, &common);
    // "" in open_date there means "never opens" except for these, whose date depends on the point.
    territories.set_attr_strings("open_date_varies_by_point", varying);

    const hdf5::Group group = root.create_group("rollout");
    group.set_attr_string("policy", kRolloutPolicyNames[static_cast<int>(first.rollout.policy)]);
    std::vector<std::string> names, dates, reasons;
    std::vector<std::int32_t> waves;
    std::vector<std::int8_t> candidates;
    std::vector<double> max_run_rate;
    for (std::size_t p = 0; p < points.size(); ++p) {
        max_run_rate.push_back(plans[p]->max_run_rate);
        for (const auto& d : plans[p]->decisions) {
            const Territory& territory = points[p]->territories[d.territory];
            names.push_back(territory.name);
            dates.push_back(d.open ? to_iso(*d.open) : "");
            reasons.push_back(d.reason);
            waves.push_back(d.wave);
            candidates.push_back(territory.candidate ? 1 : 0);
        }
    }
    for (const auto& [name, values] :
         {std::pair{"territory", &names}, std::pair{"open_date", &dates},
          std::pair{"reason", &reasons}})
        group.write_strings(name, *values).set_attr_string("dimensions", "point,territory");
    group.write_dataset("wave", std::span<const std::int32_t>(waves))
        .set_attr_string("dimensions", "point,territory");
    group.write_dataset("candidate", std::span<const std::int8_t>(candidates))
        .set_attr_string("dimensions", "point,territory");
    group.write_dataset("max_run_rate", std::span<const double>(max_run_rate))
        .set_attr_string("dimensions", "point");
    group.set_attr_uint("n_points", points.size());
    group.set_attr_uint("n_territories", n_territories);
}

}  // namespace

void write_planned_territories(const hdf5::Group& root, const std::vector<const Scenario*>& points,
                               const std::vector<const RolloutPlan*>& plans) {
    if (points.size() == 1) {
        write_territories(root, *points.front(), &plans.front()->decisions);
        write_rollout(root, *points.front(), plans.front()->decisions, plans.front()->max_run_rate);
        return;
    }
    write_point_rollouts(root, points, plans);
}

}  // namespace essaim::dest1
