#include "models/dest1/parameters.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "models/dest1/scenario.hpp"

namespace essaim::dest1 {
namespace {

using experiment::ParameterInfo;
constexpr double kInf = std::numeric_limits<double>::infinity();
// Bounds of scenario_toml.cpp's validation (tested against it in test_parameters.cpp).
constexpr double kMaxDays = 36500;

// The shortest text that reads back as the same double, as TOML reads it.
std::string toml_number(double value) {
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buffer[32];
    std::string text(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
    if (text.find_first_of(".e") == std::string::npos) text += ".0";
    return text;
}

struct Range {
    double min;
    bool min_inclusive;
    double max;
};
constexpr Range kPositive{0, false, kInf};
constexpr Range kNonNegative{0, true, kInf};
constexpr Range kAtLeastOne{1, true, kInf};
constexpr Range kUnit{0, true, 1};

ParameterInfo number(std::string name, std::string key, std::string unit, double value, Range range,
                     std::string en, std::string fr) {
    ParameterInfo p;
    p.name = std::move(name);
    p.key = std::move(key);
    p.unit = std::move(unit);
    p.default_value = toml_number(value);
    p.min = range.min;
    p.min_inclusive = range.min_inclusive;
    p.max = range.max;
    p.description_en = std::move(en);
    p.description_fr = std::move(fr);
    return p;
}

ParameterInfo integer(std::string name, std::string key, std::string unit, int value, double min,
                      double max, std::string en, std::string fr) {
    ParameterInfo p = number(std::move(name), std::move(key), std::move(unit), value,
                             {min, true, max}, std::move(en), std::move(fr));
    p.type = ParameterInfo::Type::integer;
    p.default_value = std::to_string(value);
    return p;
}

void add_parcours(std::vector<ParameterInfo>& r, const Parameters& p) {
    ParameterInfo mode;
    mode.name = "mode";
    mode.key = "parcours.mode";
    mode.type = ParameterInfo::Type::choice;
    mode.default_value = "\"integrated\"";
    mode.choices = {kParcoursModeNames.begin(), kParcoursModeNames.end()};
    mode.description_en = "integrated (barriers and job at the same time) or sequential parcours";
    mode.description_fr = "parcours intégré (freins et emploi en même temps) ou séquentiel";
    r.push_back(mode);
    r.push_back(integer("parcours_days", "parcours.duration_days", "days", p.parcours_days, 1,
                        kMaxDays, "time in the parcours before exit",
                        "durée du parcours avant la sortie"));
    r.push_back(integer("followup_days", "parcours.followup_days", "days", p.followup_days, 0,
                        kMaxDays, "follow-up after exit", "suivi après la sortie"));
    r.push_back(number("caseload", "parcours.caseload", "persons/coach", p.caseload, kAtLeastOne,
                       "places per coach (capacity)", "places par référent (capacité)"));
    r.push_back(number("caseload_ref", "parcours.caseload_ref", "persons/coach", p.caseload_ref,
                       kPositive, "caseload above which intensity falls",
                       "portefeuille au-delà duquel l'intensité baisse"));
    r.push_back(number("contacts_per_week", "parcours.contacts_per_week", "contacts/week",
                       p.contacts_per_week, kPositive, "contacts per person and week",
                       "contacts par personne et par semaine"));
    r.push_back(number("contacts_ref", "parcours.contacts_ref", "contacts/week", p.contacts_ref,
                       kPositive, "reference contacts per week (intensity 1)",
                       "contacts hebdomadaires de référence (intensité 1)"));
    r.push_back(number("alpha", "parcours.alpha", "", p.alpha, kNonNegative,
                       "elasticity of intensity to contacts",
                       "élasticité de l'intensité aux contacts"));
    r.push_back(number("kappa", "parcours.kappa", "", p.kappa, kNonNegative,
                       "elasticity of dropout to intensity",
                       "élasticité des ruptures à l'intensité"));
    r.push_back(number("patience_days", "parcours.patience_days", "days", p.patience_days,
                       kPositive, "mean wait before giving up", "attente moyenne avant abandon"));
    // MODEL.md §7.2: absent by default; `inf` spells "no limit" where a number is needed.
    r.push_back(number("contacts_capacity_per_coach_week",
                       "parcours.contacts_capacity_per_coach_week", "contacts/coach/week",
                       p.contacts_capacity_per_coach_week.value_or(kInf), kPositive,
                       "contacts one coach can hold in a week (inf: no limit)",
                       "contacts qu'un référent peut assurer par semaine (inf : sans limite)"));
}

void add_hazards(std::vector<ParameterInfo>& r, const Parameters& p) {
    r.push_back(number("h0_job", "hazards.h0_job", "1/day", p.h0_job, kNonNegative,
                       "base daily hazard of a job start", "risque journalier de base d'embauche"));
    r.push_back(number("h0_drop", "hazards.h0_drop", "1/day", p.h0_drop, kNonNegative,
                       "base daily hazard of dropout", "risque journalier de base de rupture"));
    r.push_back(number("gamma_confidence", "hazards.gamma_confidence", "", p.gamma_confidence,
                       kNonNegative, "dropout multiplier while confidence is a barrier",
                       "multiplicateur de rupture tant que la confiance est un frein"));
    r.push_back(number("rho_employed", "hazards.rho_employed", "", p.rho_employed, kNonNegative,
                       "dropout multiplier while employed", "multiplicateur de rupture en emploi"));
    r.push_back(number("h0_post", "hazards.h0_post", "1/day", p.h0_post, kNonNegative,
                       "daily hazard of finding a job after exit",
                       "risque journalier de retrouver un emploi après la sortie"));
    r.push_back(number("post_job_days", "hazards.post_job_days", "days", p.post_job_days, kPositive,
                       "mean length of a job after exit",
                       "durée moyenne d'un emploi après la sortie"));
    r.push_back(number("digital_penalty", "hazards.digital_penalty", "", p.digital_penalty, kUnit,
                       "intensity multiplier for remote coaching with a digital barrier",
                       "multiplicateur d'intensité à distance avec un frein numérique"));
    r.push_back(
        number("employability_variance", "hazards.employability_variance", "",
               p.employability_variance, {0, true, 100},
               "variance of the unobserved employability Z (mean 1) on job-finding hazards",
               "variance de l'employabilité inobservée Z (moyenne 1) des risques d'embauche"));
}

void add_outreach_rampup_costs(std::vector<ParameterInfo>& r, const Parameters& p) {
    r.push_back(number("outreach_per_coach", "outreach.per_coach_per_day", "persons/coach/day",
                       p.outreach_per_coach, {0, true, 1e4}, "people identified per coach a day",
                       "personnes repérées par référent et par jour"));
    r.push_back(number("pool_half", "outreach.pool_half", "persons", p.pool_half, kPositive,
                       "pool at which outreach is halved",
                       "vivier pour lequel le repérage est réduit de moitié"));
    r.push_back(number("maturity_days", "rampup.maturity_days", "days", p.maturity_days, kPositive,
                       "days for a new hub to reach full effect",
                       "jours pour qu'un nouveau site atteigne son plein effet"));
    r.push_back(number("r0_adjacent", "rampup.r0_adjacent", "", p.r0_adjacent, kUnit,
                       "initial ramp next to a mature hub",
                       "montée en charge initiale près d'un site mûr"));
    r.push_back(number("r0_isolated", "rampup.r0_isolated", "", p.r0_isolated, kUnit,
                       "initial ramp of an isolated hub",
                       "montée en charge initiale d'un site isolé"));
    r.push_back(number("coach_cost_per_year", "costs.coach_per_year", "EUR/year",
                       p.coach_cost_per_year, kNonNegative, "cost of a coach a year",
                       "coût annuel d'un référent"));
    r.push_back(number("hub_fixed_cost_per_year", "costs.hub_fixed_per_year", "EUR/year",
                       p.hub_fixed_cost_per_year, kNonNegative, "fixed cost of a hub a year",
                       "coût fixe annuel d'un site"));
    r.push_back(number("solution_cost", "costs.solution", "EUR", p.solution_cost, kNonNegative,
                       "cost of a barrier resolved", "coût d'un frein levé"));
}

void add_profile_and_effects(std::vector<ParameterInfo>& r, const Parameters& p,
                             const Profile& profile) {
    for (int c = 0; c < kDurationClasses; ++c) {
        const std::string n = kDurationNames[c];
        r.push_back(number("share_duration_" + n, "profile.duration." + n, "share",
                           profile.duration[c], kUnit,
                           "share identified unemployed " + n + " (shares sum to 1)",
                           "part des repérés au chômage " + n + " (somme 1)"));
        r.push_back(number("delta_duration_" + n, "effects.duration." + n, "", p.delta_duration[c],
                           kNonNegative, "job hazard multiplier, " + n,
                           "multiplicateur du risque d'embauche, " + n));
    }
    for (int l = 0; l < kDiplomaLevels; ++l) {
        const std::string n = kDiplomaNames[l];
        r.push_back(number("share_diploma_" + n, "profile.diploma." + n, "share",
                           profile.diploma[l], kUnit, "share with diploma level " + n + " (sum 1)",
                           "part de niveau de diplôme " + n + " (somme 1)"));
        r.push_back(number("delta_diploma_" + n, "effects.diploma." + n, "", p.delta_diploma[l],
                           kNonNegative, "job hazard multiplier, diploma " + n,
                           "multiplicateur du risque d'embauche, diplôme " + n));
    }
    static constexpr std::array<const char*, kBarriers> kFrench{"mobilité", "confiance",
                                                                "numérique", "logement", "santé"};
    for (int b = 0; b < kBarriers; ++b) {
        const std::string n = kBarrierNames[b], fr = kFrench[b], key = "barriers." + n;
        r.push_back(number("prevalence_" + n, key + ".prevalence", "probability",
                           profile.prevalence[b], kUnit, "probability of a " + n + " barrier",
                           "probabilité d'un frein " + fr));
        r.push_back(number("beta_" + n, key + ".beta", "", p.beta[b], kNonNegative,
                           "job hazard multiplier while " + n + " is a barrier",
                           "multiplicateur du risque d'embauche tant que " + fr + " est un frein"));
        r.push_back(number("resolve_" + n, key + ".resolve_per_day", "1/day", p.resolve_per_day[b],
                           kNonNegative,
                           "daily hazard of resolving the " + n + " barrier at intensity 1",
                           "risque journalier de lever le frein " + fr + " à intensité 1"));
    }
}

}  // namespace

const std::vector<ParameterInfo>& parameter_registry() {
    static const std::vector<ParameterInfo> registry = [] {
        std::vector<ParameterInfo> r;
        const Parameters p;
        add_parcours(r, p);
        add_hazards(r, p);
        add_outreach_rampup_costs(r, p);
        add_profile_and_effects(r, p, Profile{});
        return r;
    }();
    return registry;
}

}  // namespace essaim::dest1
