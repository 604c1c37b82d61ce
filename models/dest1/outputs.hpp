#pragma once
// What a Dest1 run gives (MODEL.md §6), declared once: daily series variables, run KPIs and the
// optional per-agent table. The HDF5 writer, the JSON printer and the summary all read these lists.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/dest1/rollout.hpp"
#include "sim/daily_series.hpp"

namespace essaim::dest1 {

// Agent states. WAITING..EMPLOYED and POST_* are counted daily; the others are final.
enum State : std::uint8_t {
    kWaiting = 0,
    kRemob = 1,
    kEmployed = 2,
    kPostEmployed = 3,
    kPostUnemployed = 4,
    kDropped = 5,
    kGaveUp = 6,
    kDone = 7,  // exited and no longer followed
};
inline constexpr std::array<const char*, 8> kStateNames{
    "WAITING",         "REMOB",   "EMPLOYED", "POST_EMPLOYED",
    "POST_UNEMPLOYED", "DROPPED", "GAVE_UP",  "DONE"};

// Daily series variables, in storage order.
enum Series : int {
    kPool,
    kCountWaiting,
    kCountRemob,
    kCountEmployed,
    kCountPostEmployed,
    kCountPostUnemployed,
    kIdentified,
    kAdmitted,
    kGaveUpFlow,
    kJobStarts,
    kJobEnds,
    kDropouts,
    kExitsPositive,
    kExitsNeutral,
    kBarriersResolved,
    kInflow,
    kFollowupEnds,
    kCoaches,
    kCapacity,
    kCost,
    kEffectiveContacts,  // MODEL.md §7.2 (version 1.1): c_t(d), contacts per person and week
    kSeriesCount
};
const std::vector<VariableInfo>& series_variables();

// The total row of one day's series over the territories (ensembles report one):
// each variable's sum, except `effective_contacts`, which is the mean of c_t(d) weighted by
// active_t(d) (REMOB + EMPLOYED at step 1, that is at the end of the previous day; 0 on day 0)
// over the open territories (coaches > 0): c_req(d) when nobody is active in any of them, 0 when
// none is open. `today` and `yesterday` are day x territory rows of kSeriesCount values
// (`yesterday` null on day 0); `total` receives kSeriesCount values.
template <class Value>
void series_total(const Value* today, const Value* yesterday, int n_territories, Value* total);

// Run KPIs of MODEL.md §6 in the order of `essaim run --json`.
enum Kpi : int {
    kKpiIdentified,
    kKpiEntries,
    kKpiJobStarts,
    kKpiDropouts,
    kKpiGaveUp,
    kKpiExitsPositive,
    kKpiExitsNeutral,
    kKpiPositiveExitRate,
    kKpiMeanDaysToFirstJob,
    kKpiMedianDaysToFirstJob,
    kKpiShareJobWithin90d,
    kKpiEmployed6mAfterExit,
    kKpiEmployed12mAfterExit,
    kKpiMeanWaitingDays,
    kKpiCapacityUtilisation,
    kKpiTotalCost,
    kKpiCostPerEntry,
    kKpiCostPerPositiveExit,
    kKpiEntrantsWithJob,       // version 1.1
    kKpiShareEntrantsWithJob,  // version 1.1
    kKpiCount
};
const std::vector<VariableInfo>& kpi_variables();
using KpiValues = std::array<double, kKpiCount>;  // NaN where a ratio has a zero denominator

// One row per beneficiary ever identified, ordered by (territory, local id). Days are day
// indices of the run (-1: did not happen); states are State codes, -1 where not observed.
struct AgentTable {
    std::vector<std::int32_t> territory, local_id;
    std::vector<std::int8_t> duration, diploma;
    std::vector<std::uint8_t> barriers_at_identification,
        barriers_at_end;  // bit b: barrier b unresolved
    std::vector<std::int32_t> identified_day, entry_day, first_job_day, exit_day, end_day;
    std::vector<std::int8_t> outcome;  // 1 positive, 0 neutral, -1 no exit
    std::vector<std::int8_t> final_state, state_6m, state_12m;
    std::vector<std::int8_t> first_job_sector;  // index into the scenario's sectors, -1 no job
    std::vector<float> employability;           // Z of MODEL.md §7.1 (1 when v = 0)
    std::size_t size() const { return territory.size(); }
};

struct RunResult {
    DailySeries series;                     // day x territory x Series
    std::vector<KpiValues> territory_kpis;  // one per territory
    KpiValues total_kpis{};
    std::optional<AgentTable> agents;      // with RunOptions::record_agents
    std::uint64_t agent_days = 0;          // waiting + active + followed-up person-days simulated
    std::vector<RolloutDecision> rollout;  // when and why each territory opened
    double rollout_max_run_rate = 0;       // highest yearly run-rate cost of coaches and hubs
};

}  // namespace essaim::dest1
