#include "models/dest1/outputs.hpp"

namespace essaim::dest1 {

const std::vector<VariableInfo>& series_variables() {
    static const std::vector<VariableInfo> variables{
        {"pool", "persons", "eligible pool (not yet identified)", "vivier éligible (non repéré)"},
        {"waiting", "persons", "identified, waiting for a place", "repérés en attente d'entrée"},
        {"remob", "persons", "in the parcours, no job", "en parcours, sans emploi"},
        {"employed", "persons", "in the parcours, in an employment solution",
         "en parcours, en emploi"},
        {"post_employed", "persons", "followed up after exit, employed",
         "suivis après sortie, en emploi"},
        {"post_unemployed", "persons", "followed up after exit, not employed",
         "suivis après sortie, sans emploi"},
        {"identified", "persons/day", "identified (repérage)", "repérés"},
        {"admitted", "persons/day", "entries into the parcours", "entrées en parcours"},
        {"gave_up", "persons/day", "gave up waiting", "abandons en attente"},
        {"job_starts", "persons/day", "job starts", "reprises d'emploi"},
        {"job_ends", "persons/day", "job ends", "fins d'emploi"},
        {"dropouts", "persons/day", "dropouts (rupture de parcours)", "ruptures de parcours"},
        {"exits_positive", "persons/day", "exits in employment", "sorties positives"},
        {"exits_neutral", "persons/day", "exits without employment", "sorties neutres"},
        {"barriers_resolved", "barriers/day", "barriers resolved", "freins levés"},
        {"inflow", "persons/day", "pool inflow", "entrées dans le vivier"},
        {"followup_ends", "persons/day", "end of post-exit follow-up", "fins de suivi post-sortie"},
        {"coaches", "coaches", "coach headcount", "effectif de référents"},
        {"capacity", "persons", "capacity floor(coaches x caseload)", "capacité d'accompagnement"},
        {"cost", "EUR/day", "cost of the day", "coût du jour"},
        {"effective_contacts", "contacts/week", "effective contacts per person",
         "contacts effectifs par personne"},
    };
    return variables;
}

const std::vector<VariableInfo>& kpi_variables() {
    static const std::vector<VariableInfo> kpis{
        {"identified", "persons", "people identified", "personnes repérées"},
        {"entries", "persons", "entries into the parcours", "entrées en parcours"},
        {"job_starts", "events", "job starts", "reprises d'emploi"},
        {"dropouts", "persons", "dropouts", "ruptures de parcours"},
        {"gave_up", "persons", "gave up waiting", "abandons en attente"},
        {"exits_positive", "persons", "positive exits", "sorties positives"},
        {"exits_neutral", "persons", "neutral exits", "sorties neutres"},
        {"positive_exit_rate", "ratio", "positive exit rate", "taux de sortie positive"},
        // Among entrants who found a job only: not the Kaplan-Meier median of ensemble files,
        // which also counts (as censored) the entrants still searching.
        {"mean_days_to_first_job", "days",
         "mean days from entry to first job, among entrants who found one",
         "délai moyen entrée - premier emploi, parmi les entrants qui en ont trouvé un"},
        {"median_days_to_first_job", "days",
         "median days from entry to first job, among entrants who found one",
         "délai médian entrée - premier emploi, parmi les entrants qui en ont trouvé un"},
        {"share_job_within_90d", "ratio", "share with a job within 90 days of entry",
         "part en emploi sous 90 jours"},
        {"employed_6m_after_exit", "ratio", "employed 6 months after exit",
         "en emploi 6 mois après la sortie"},
        {"employed_12m_after_exit", "ratio", "employed 12 months after exit",
         "en emploi 12 mois après la sortie"},
        {"mean_waiting_days", "days", "mean days waiting before entry",
         "attente moyenne avant entrée"},
        {"capacity_utilisation", "ratio", "capacity utilisation", "taux d'occupation"},
        {"total_cost", "EUR", "total cost", "coût total"},
        {"cost_per_entry", "EUR", "cost per entry", "coût par entrée"},
        {"cost_per_positive_exit", "EUR", "cost per positive exit", "coût par sortie positive"},
        {"entrants_with_job", "persons", "entrants with at least one job start",
         "entrants ayant repris au moins un emploi"},
        {"share_entrants_with_job", "ratio", "share of entrants with at least one job start",
         "part des entrants ayant repris au moins un emploi"},
    };
    return kpis;
}

namespace {

// MODEL.md §7.2 in total: the contacts a person of the open territories received on average.
template <class Value>
Value total_effective_contacts(const Value* today, const Value* yesterday, int n_territories) {
    double weighted = 0, active = 0;
    const Value* open = nullptr;  // a territory open today
    for (int t = 0; t < n_territories; ++t) {
        const Value* row = today + static_cast<std::size_t>(t) * kSeriesCount;
        if (!(row[kCoaches] > 0)) continue;
        if (!open) open = row;
        double a = 0;  // active_t(d) at step 1: nobody before day 0
        if (yesterday) {
            const Value* before = yesterday + static_cast<std::size_t>(t) * kSeriesCount;
            a = static_cast<double>(before[kCountRemob]) + before[kCountEmployed];
        }
        weighted += a * row[kEffectiveContacts];
        active += a;
    }
    if (active > 0) return static_cast<Value>(weighted / active);
    return open ? open[kEffectiveContacts] : Value(0);  // c_req(d) where nobody is active
}

}  // namespace

template <class Value>
void series_total(const Value* today, const Value* yesterday, int n_territories, Value* total) {
    for (int v = 0; v < kSeriesCount; ++v) total[v] = 0;
    for (int t = 0; t < n_territories; ++t)
        for (int v = 0; v < kSeriesCount; ++v)
            total[v] += today[static_cast<std::size_t>(t) * kSeriesCount + v];
    total[kEffectiveContacts] = total_effective_contacts(today, yesterday, n_territories);
}

template void series_total<float>(const float*, const float*, int, float*);
template void series_total<double>(const double*, const double*, int, double*);

}  // namespace essaim::dest1
