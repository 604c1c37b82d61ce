#pragma once
// Synthetic national scenarios for essaimage studies: N territories clustered in regions, with
// varied pools and inflows, coach recruitment ramps, opening waves or a roll-out policy, and a
// proximity graph from their coordinates. The result is a complete scenario (no `extends`) in the
// schema of docs/SCENARIOS.md, a pure function of the options (seed included).
#include <cstdint>
#include <string>

#include "models/dest1/scenario.hpp"

namespace essaim::dest1 {

// People in France who want a job but are not counted as unemployed, end of 2019.
inline constexpr std::int64_t kHaloAroundUnemployment2019 = 1'700'000;
inline constexpr std::int64_t kMaxEligibleTotal = 1'000'000'000;

struct NationalOptions {
    int territories = 1000;
    std::uint64_t seed = 1;
    Date start{2024, 1, 1};
    int years = 6;
    RolloutPolicy policy = RolloutPolicy::dates;
    double budget_per_year = 0;  // with need / proximity: the yearly run-rate ceiling (0: none)
    // Eligible people in all territories together at the start. Default: France's "halo around
    // unemployment" at the end of 2019 (Dares Analyses no. 19, July 2020; ../shared/DOMAIN.md).
    std::int64_t eligible_total = kHaloAroundUnemployment2019;
};

// TOML text of the scenario. Throws std::invalid_argument for options out of range.
std::string generate_national(const NationalOptions& options);

}  // namespace essaim::dest1
