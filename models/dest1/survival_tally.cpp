#include "models/dest1/survival_tally.hpp"

#include <algorithm>

namespace essaim::dest1 {

experiment::SurvivalTally survival_tally(const Scenario& scenario, const AgentTable& agents,
                                         int n_days) {
    experiment::SurvivalTally tally;
    tally.curves = {"time_to_first_job", "time_to_dropout"};
    tally.groups.push_back("all");
    for (const auto& t : scenario.territories) tally.groups.push_back("territory/" + t.name);
    for (const char* d : kDurationNames) tally.groups.push_back(std::string("duration/") + d);
    for (const char* d : kDiplomaNames) tally.groups.push_back(std::string("diploma/") + d);
    for (int k = 0; k <= kBarriers; ++k) tally.groups.push_back("barriers/" + std::to_string(k));
    // Times since entry never exceed the parcours nor the run.
    tally.times = static_cast<std::size_t>(std::min(scenario.parameters.parcours_days, n_days)) + 1;
    const std::size_t cells = tally.curves.size() * tally.groups.size() * tally.times;
    tally.events.assign(cells, 0.0);
    tally.censored.assign(cells, 0.0);

    const int last_day = n_days - 1;
    const std::size_t territories = scenario.territories.size();
    const std::size_t duration0 = 1 + territories, diploma0 = duration0 + kDurationClasses,
                      barriers0 = diploma0 + kDiplomaLevels;
    for (std::size_t i = 0; i < agents.size(); ++i) {
        const int entry = agents.entry_day[i];
        if (entry < 0) continue;
        const bool dropped = agents.final_state[i] == kDropped;
        // The parcours ends at exit, dropout or the run's end, whichever comes first.
        const int end =
            agents.exit_day[i] >= 0 ? agents.exit_day[i] : (dropped ? agents.end_day[i] : last_day);
        const bool job = agents.first_job_day[i] >= 0;
        const auto job_time =
            static_cast<std::size_t>((job ? agents.first_job_day[i] : end) - entry);
        const auto dropout_time = static_cast<std::size_t>(end - entry);
        const std::size_t groups[] = {0, 1 + static_cast<std::size_t>(agents.territory[i]),
                                      duration0 + static_cast<std::size_t>(agents.duration[i]),
                                      diploma0 + static_cast<std::size_t>(agents.diploma[i]),
                                      barriers0 + static_cast<std::size_t>(__builtin_popcount(
                                                      agents.barriers_at_identification[i]))};
        for (const std::size_t g : groups) {
            (job ? tally.events : tally.censored)[tally.index(0, g, job_time)] += 1;
            (dropped ? tally.events : tally.censored)[tally.index(1, g, dropout_time)] += 1;
        }
    }
    return tally;
}

}  // namespace essaim::dest1
