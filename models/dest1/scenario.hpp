#pragma once
// The validated, immutable description of a Dest1 run (../shared/MODEL.md). Built from TOML by
// load_scenario() (scenario_toml.hpp); the model never reads files. Field names follow the TOML
// keys of scenarios/docking.toml; docs/SCENARIOS.md documents each one.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/calendar.hpp"

namespace essaim::dest1 {

inline constexpr int kBarriers = 5;
inline constexpr std::array<const char*, kBarriers> kBarrierNames{"mobility", "confidence",
                                                                  "digital", "housing", "health"};
enum Barrier : int { kMobility = 0, kConfidence = 1, kDigital = 2, kHousing = 3, kHealth = 4 };

inline constexpr int kDurationClasses = 3;
inline constexpr std::array<const char*, kDurationClasses> kDurationNames{"lt1y", "1to2y", "gt2y"};
inline constexpr int kDiplomaLevels = 3;
inline constexpr std::array<const char*, kDiplomaLevels> kDiplomaNames{"low", "mid", "high"};

enum class ParcoursMode { integrated, sequential };
inline constexpr std::array<const char*, 2> kParcoursModeNames{"integrated", "sequential"};

// Who is identified in a territory: shares sum to 1, prevalences are independent probabilities.
struct Profile {
    std::array<double, kDurationClasses> duration{0.30, 0.16, 0.54};
    std::array<double, kDiplomaLevels> diploma{0.54, 0.36, 0.10};
    std::array<double, kBarriers> prevalence{0.75, 0.70, 0.45, 0.20, 0.25};
};

struct Sector {
    std::string name;
    double weight = 0.0;         // global hiring weight w_s
    double contract_days = 1.0;  // mean length of a job in this sector
};

// Reference values of MODEL.md §5; a scenario overrides what it states.
struct Parameters {
    ParcoursMode mode = ParcoursMode::integrated;
    int parcours_days = 456;  // [parcours] duration_days
    int followup_days = 365;
    double caseload = 30;
    double caseload_ref = 30;
    double contacts_per_week = 1.0;
    double contacts_ref = 1.0;
    // MODEL.md §7.2 (version 1.1): contacts one coach can hold in a week, K. Absent: no limit.
    std::optional<double> contacts_capacity_per_coach_week;
    double alpha = 0.5;
    double kappa = 0.5;
    double patience_days = 90;

    double h0_job = 1.0 / 45;
    double h0_drop = 1.0 / 900;
    double gamma_confidence = 1.8;
    double rho_employed = 0.4;
    double h0_post = 1.0 / 240;
    double post_job_days = 540;
    double digital_penalty = 0.5;
    // MODEL.md §7.1 (version 1.1): variance v of the unobserved employability Z ~ Gamma(1/v, v);
    // 0: Z = 1 for everyone (version 1).
    double employability_variance = 0;

    double outreach_per_coach = 0.12;  // [outreach] per_coach_per_day
    double pool_half = 500;

    double maturity_days = 270;
    double r0_adjacent = 0.6;
    double r0_isolated = 0.3;

    std::array<double, kDurationClasses> delta_duration{1.3, 1.0, 0.75};
    std::array<double, kDiplomaLevels> delta_diploma{0.85, 1.0, 1.2};
    std::array<double, kBarriers> beta{0.6, 0.7, 0.85, 0.7, 0.6};
    std::array<double, kBarriers> resolve_per_day{1.0 / 120, 1.0 / 90, 1.0 / 60, 1.0 / 180,
                                                  1.0 / 240};

    double coach_cost_per_year = 48000;  // [costs] coach_per_year
    double hub_fixed_cost_per_year = 60000;
    double solution_cost = 400;
};

struct Territory {
    std::string name;
    Date open;  // for a candidate under a "need" or "proximity" roll-out: the earliest opening date
    std::vector<std::pair<Date, double>> coaches;  // step schedule, strictly increasing dates
    std::int64_t pool = 0;                         // eligible people at the start
    double inflow_per_day = 0;
    std::vector<int> neighbours;     // indices into Scenario::territories (validated)
    std::optional<double> caseload;  // overrides Parameters::caseload (capacity only)
    std::optional<std::vector<double>> sector_weights;  // per Scenario::sectors; replaces globals
    std::optional<Profile> profile;                     // overrides Scenario::profile
    // Coach recruitment ramp relative to the opening day: (days since opening, headcount), the
    // first at day 0, strictly increasing. Used instead of `coaches` when non-empty; required
    // for candidates whose opening date a roll-out policy decides.
    std::vector<std::pair<int, double>> coaches_after_open;
    bool candidate = false;  // opening decided by the roll-out policy (Scenario::rollout)
};

// How candidate territories open (essaimage). Non-candidates always open on their `open` date.
enum class RolloutPolicy {
    dates,      // candidates open on their own `open` dates (the budget is only reported)
    need,       // in waves, largest initial pool first
    proximity,  // in waves, next to a mature hub first (fastest ramp-up), then largest pool
};

inline constexpr std::array<const char*, 3> kRolloutPolicyNames{"dates", "need", "proximity"};

// The code of `name` in `names` (the spelling of scenario files and options), if it is one.
template <std::size_t N>
std::optional<int> code_of(std::string_view name, const std::array<const char*, N>& names) {
    for (std::size_t i = 0; i < N; ++i)
        if (name == names[i]) return static_cast<int>(i);
    return std::nullopt;
}

struct Rollout {
    RolloutPolicy policy = RolloutPolicy::dates;
    std::optional<Date> start;  // first wave (default: the scenario's start)
    int wave_every_days = 91;   // a wave every N days
    int max_per_wave = 0;       // at most N openings per wave (0: no limit)
    // Yearly run-rate ceiling for coaches and hubs: a territory opens only if the yearly cost of
    // every open territory (coaches at their scheduled maximum, hub) stays within it. 0: none.
    double budget_per_year = 0;
};

struct Crisis {
    std::string name;
    Date start, end;  // both inclusive
    bool remote = false;
    double outreach = 1, contacts = 1, jobloss = 1, dropout = 1, inflow = 1;
    std::vector<double> hire;  // per Scenario::sectors; 1 for a sector the crisis does not name
};

struct Scenario {
    std::string name;
    std::string description;
    std::string model = "dest1";
    Date start, end;
    std::uint64_t seed = 0;

    Parameters parameters;
    Profile profile;
    std::vector<Sector> sectors;
    std::vector<Territory> territories;
    std::vector<Crisis> crises;
    Rollout rollout;

    // Provenance, stored in every output manifest.
    std::string source_path;
    std::string source_text;  // the effective document (after extends and --set), as TOML
};

}  // namespace essaim::dest1
