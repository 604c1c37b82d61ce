#pragma once
// The pure formulas of MODEL.md §3-4, as free functions so that tests check them against the text
// and the daily loop uses exactly what was checked.
#include <algorithm>
#include <cmath>
#include <vector>

#include "models/dest1/scenario.hpp"

namespace essaim::dest1 {

// A daily hazard as the probability of at least one event in the day: 1 - exp(-h). exp rather
// than expm1: it is several times faster in the per-agent loop, and its absolute error (about
// 1e-16) is far below the 2^-32 resolution of the uniforms it is compared with.
inline double probability(double hazard) { return 1.0 - std::exp(-hazard); }

// Competing events with hazards h_i: event i has probability (h_i / H)(1 - exp(-H)).
inline double competing_probability(double hazard, double total_hazard) {
    return total_hazard > 0 ? probability(total_hazard) * (hazard / total_hazard) : 0.0;
}

// Ramp-up of a hub opened on `open_day`: r0 + (1 - r0)(d - open)/maturity, capped at 1.
inline double ramp(double r0, int day, int open_day, double maturity_days) {
    if (maturity_days <= 0) return 1.0;
    return std::min(1.0, r0 + (1.0 - r0) * (day - open_day) / maturity_days);
}

// Coaching intensity before any digital penalty (MODEL.md §4 and §7.2):
// (c / contacts_ref)^alpha * min(1, caseload_ref / (active / coaches)), with c the effective
// contacts per person and week and the caseload factor 1 when nobody is active.
// Requested contacts c_req = contacts_per_week * m_contacts; with coach time limited (K, contacts
// one coach holds in a week), c = min(c_req, K * m_contacts * coaches / active), no limit when
// nobody is active; without K, c = c_req (version 1).
inline double requested_contacts(const Parameters& p, double m_contacts) {
    return p.contacts_per_week * m_contacts;
}
inline double effective_contacts(const Parameters& p, double m_contacts, int active,
                                 double coaches) {
    const double requested = requested_contacts(p, m_contacts);
    if (!p.contacts_capacity_per_coach_week || active == 0) return requested;
    return std::min(requested, *p.contacts_capacity_per_coach_week * m_contacts * coaches / active);
}
inline double contacts_factor(const Parameters& p, double contacts) {
    return std::pow(contacts / p.contacts_ref, p.alpha);
}
inline double load_factor(const Parameters& p, int active, double coaches) {
    return active == 0 ? 1.0 : std::min(1.0, p.caseload_ref * coaches / active);
}
inline double intensity(const Parameters& p, double m_contacts, int active, double coaches) {
    return contacts_factor(p, effective_contacts(p, m_contacts, active, coaches)) *
           load_factor(p, active, coaches);
}

// Daily repérage rate: outreach_per_coach * C * r * m_outreach * P / (P + pool_half).
inline double outreach_rate(const Parameters& p, double coaches, double ramp_factor,
                            double m_outreach, double pool) {
    if (pool <= 0) return 0.0;
    return p.outreach_per_coach * coaches * ramp_factor * m_outreach * pool / (pool + p.pool_half);
}

// r0 of each territory from the undirected territory graph (Boost.Graph): r0_adjacent when, on
// its opening day, some neighbour has been open for at least maturity_days, else r0_isolated.
std::vector<double> initial_ramps(const Scenario& scenario, const std::vector<int>& open_days);

}  // namespace essaim::dest1
