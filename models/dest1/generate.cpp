#include "models/dest1/generate.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "sim/random.hpp"

namespace essaim::dest1 {
namespace {

// Layout of a synthetic country: 13 regions (as mainland France) in a 1000 km square; territories
// scattered around their region's centre. Pools have a log-normal shape (median 20,000, clipped to
// 2,000..200,000 before scaling: some employment basins are far larger than others), rescaled so
// that they add up to the national eligible total; coaches follow the pool (one per 400 people).
constexpr int kRegions = 13;
constexpr double kSquareKm = 1000, kRegionSpreadKm = 60, kNeighbourKm = 100;
constexpr int kNearest = 4;
constexpr double kPoolMedian = 20000, kPoolSigma = 0.6, kInflowShare = 0.0003,
                 kPeoplePerCoach = 400;
constexpr double kInitialHubShare = 0.05;
constexpr int kWaves = 12, kWaveDays = 91;

enum Purpose : std::uint32_t { kRegion = 1, kPlace = 2, kPool = 3, kOrder = 4 };

double normal(const RandomSource& random, std::uint32_t purpose, std::uint64_t index, int which) {
    const auto words = random.block({0, purpose, index, 0});
    const double u1 = unit_open(words[2 * which]), u2 = unit_open(words[2 * which + 1]);
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);  // Box-Muller
}

// Whole pools proportional to `shape` that add up to `total` exactly: floors, then one more person
// for the largest remainders (ties to the lower index).
std::vector<std::int64_t> scale_to_total(const std::vector<double>& shape, std::int64_t total) {
    const double sum = std::accumulate(shape.begin(), shape.end(), 0.0);
    std::vector<std::int64_t> pool(shape.size());
    std::vector<std::pair<double, std::size_t>> by_remainder(shape.size());
    std::int64_t assigned = 0;
    for (std::size_t t = 0; t < shape.size(); ++t) {
        const double exact = static_cast<double>(total) * shape[t] / sum;
        pool[t] = static_cast<std::int64_t>(std::floor(exact));
        assigned += pool[t];
        by_remainder[t] = {-(exact - static_cast<double>(pool[t])), t};
    }
    std::sort(by_remainder.begin(), by_remainder.end());
    // Rounding leaves fewer than one person per territory to place (either way).
    for (std::size_t i = 0; assigned < total; ++i, ++assigned)
        ++pool[by_remainder[i % pool.size()].second];
    for (std::size_t i = pool.size(); assigned > total; --assigned)
        --pool[by_remainder[--i].second];
    return pool;
}

std::string date_text(Date start, long days) {
    return to_iso(civil_from_days(days_from_civil(start) + days));
}

}  // namespace

std::string generate_national(const NationalOptions& o) {
    if (o.territories < 1 || o.territories > 20000)
        throw std::invalid_argument("--territories must be in 1..20000");
    if (o.years < 1 || o.years > 50) throw std::invalid_argument("--years must be in 1..50");
    if (o.eligible_total < o.territories || o.eligible_total > kMaxEligibleTotal)
        throw std::invalid_argument(
            "--eligible-total must be at least the number of territories and at most 1e9");
    const RandomSource random(o.seed, 0);
    const int n = o.territories;
    std::vector<double> cx(kRegions), cy(kRegions);
    for (int r = 0; r < kRegions; ++r) {
        const auto words = random.block({0, kRegion, static_cast<std::uint64_t>(r), 0});
        cx[r] = 100 + 800 * unit_open(words[0]);
        cy[r] = 100 + 800 * unit_open(words[1]);
    }
    std::vector<double> x(n), y(n);
    std::vector<int> region(n);
    std::vector<double> shape(n);
    std::vector<int> coaches(n);
    for (int t = 0; t < n; ++t) {
        region[t] = t % kRegions;
        x[t] = std::clamp(cx[region[t]] + kRegionSpreadKm * normal(random, kPlace, t, 0), 0.0,
                          kSquareKm);
        y[t] = std::clamp(cy[region[t]] + kRegionSpreadKm * normal(random, kPlace, t, 1), 0.0,
                          kSquareKm);
        shape[t] = std::clamp(kPoolMedian * std::exp(kPoolSigma * normal(random, kPool, t, 0)),
                              2000.0, 200000.0);
    }
    const std::vector<std::int64_t> pool = scale_to_total(shape, o.eligible_total);
    for (int t = 0; t < n; ++t)
        coaches[t] = std::max(3, static_cast<int>(std::lround(pool[t] / kPeoplePerCoach)));
    // Proximity graph: each territory to its nearest few within kNeighbourKm, each edge listed
    // once.
    std::vector<std::vector<int>> listed(n);
    for (int t = 0; t < n; ++t) {
        std::vector<std::pair<double, int>> near;
        for (int u = 0; u < n; ++u) {
            const double d = std::hypot(x[t] - x[u], y[t] - y[u]);
            if (u != t && d <= kNeighbourKm) near.emplace_back(d, u);
        }
        std::partial_sort(near.begin(), near.begin() + std::min<std::size_t>(kNearest, near.size()),
                          near.end());
        for (std::size_t i = 0; i < near.size() && i < kNearest; ++i) {
            const int a = std::min(t, near[i].second), b = std::max(t, near[i].second);
            if (std::find(listed[a].begin(), listed[a].end(), b) == listed[a].end())
                listed[a].push_back(b);
        }
    }
    // Initial hubs: the largest pools; the others open later, in waves or by policy.
    std::vector<int> by_pool(n);
    std::iota(by_pool.begin(), by_pool.end(), 0);
    std::stable_sort(by_pool.begin(), by_pool.end(),
                     [&](int a, int b) { return pool[a] > pool[b]; });
    const int hubs = std::max(1, static_cast<int>(std::lround(n * kInitialHubShare)));
    std::vector<int> wave(n, -1);  // -1: initial hub
    std::vector<std::pair<std::uint32_t, int>> order;
    for (int i = hubs; i < n; ++i)
        order.emplace_back(random.block({0, kOrder, static_cast<std::uint64_t>(by_pool[i]), 0})[0],
                           by_pool[i]);
    std::sort(order.begin(), order.end());
    for (std::size_t i = 0; i < order.size(); ++i)
        wave[order[i].second] = static_cast<int>(i % kWaves);
    const bool by_policy = o.policy != RolloutPolicy::dates;
    // "From year 2": the same day one calendar year later (29 February becomes 1 March).
    const Date year_two = civil_from_days(
        days_from_civil(Date{o.start.year + 1, o.start.month, 1}) + o.start.day - 1);
    const long days = days_from_civil(Date{o.start.year + o.years, o.start.month, o.start.day}) -
                      days_from_civil(o.start) - 1;
    auto name = [&](int t) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "R%02d-T%05d", region[t] + 1, t + 1);
        return std::string(buffer);
    };

    std::ostringstream out;
    out << "# Synthetic national scenario generated by `essaim generate national --territories "
        << n << " --seed " << o.seed << " --eligible-total " << o.eligible_total
        << "`.\n"
           "# Territories: 13 regions in a 1000 km square, territories scattered around each "
           "region's centre\n"
           "# (sd 60 km). Eligible pools: "
        << o.eligible_total
        << " people in all, spread over the territories\n"
           "# with a log-normal shape (sigma 0.6, clipped to a 1:100 range). "
        << (o.eligible_total == kHaloAroundUnemployment2019 ? "This is the default"
                                                            : "The default is")
        << ", 1.7 million:\n"
           "# the people of France's \"halo around unemployment\" (who want a job but are not "
           "counted as\n"
           "# unemployed) at the end of 2019 (Dares Analyses no. 19, July 2020; Insee Première no. "
           "1844,\n"
           "# March 2021). Inflow 0.03 % of the pool a day; one coach per 400 people (at least 3), "
           "recruited\n"
           "# over 8 months; neighbours: the 4 nearest within 100 km. The 5 % largest pools open "
           "on "
           "day 0;\n"
           "# the others "
        << (by_policy ? "are candidates opened by the roll-out policy from year 2.\n"
                      : "open in 12 quarterly waves from year 2, in random order.\n")
        << "# Model parameters: those of scenarios/dest1.toml (calibrated), no crisis.\n\n";
    out << "[scenario]\nname = \"national-" << n
        << "\"\ndescription = \"Synthetic national roll-out, " << n
        << " territories\"\nmodel = \"dest1\"\nstart = " << to_iso(o.start)
        << "\nend = " << date_text(o.start, days) << "\nseed = " << o.seed << "\n\n";
    out << "[parcours]\nmode = \"integrated\"\nduration_days = 456\nfollowup_days = 365\ncaseload "
           "= 30\n"
           "caseload_ref = 30\ncontacts_per_week = 1.0\ncontacts_ref = 1.0\nalpha = 0.5\nkappa = "
           "0.5\n"
           "patience_days = 90\n\n"
           // dest1.toml's calibrated values (docs/CALIBRATION.md)
           "[hazards]\nh0_job = 0.0274\nh0_drop = 0.000685\nemployability_variance = 4.57\n"
           "gamma_confidence = 1.8\nrho_employed = 0.4\n"
           "h0_post = 0.00437\npost_job_days = 692\ndigital_penalty = 0.5\n\n"
           "[outreach]\nper_coach_per_day = 0.0989\npool_half = 500\n\n"
           "[rampup]\nmaturity_days = 270\nr0_adjacent = 0.6\nr0_isolated = 0.3\n\n"
           "[profile.duration]\nlt1y = 0.30\n1to2y = 0.16\ngt2y = 0.54\n\n"
           "[profile.diploma]\nlow = 0.54\nmid = 0.36\nhigh = 0.10\n\n"
           "[effects.duration]\nlt1y = 1.3\n1to2y = 1.0\ngt2y = 0.75\n\n"
           "[effects.diploma]\nlow = 0.85\nmid = 1.0\nhigh = 1.2\n\n";
    const char* barriers[] = {"mobility", "confidence", "digital", "housing", "health"};
    const double prevalence[] = {0.75, 0.70, 0.45, 0.20, 0.25}, beta[] = {0.6, 0.7, 0.85, 0.7, 0.6},
                 resolve[] = {0.00833333, 0.0111111, 0.0166667, 0.00555556, 0.00416667};
    for (int b = 0; b < 5; ++b)
        out << "[barriers." << barriers[b] << "]\nprevalence = " << prevalence[b]
            << "\nbeta = " << beta[b] << "\nresolve_per_day = " << resolve[b] << "\n\n";
    out << "[sectors.cleaning]\nweight = 0.35\ncontract_days = "
           "180\n\n[sectors.green_spaces]\nweight = 0.25\n"
           "contract_days = 180\n\n[sectors.catering]\nweight = 0.20\ncontract_days = "
           "120\n\n[sectors.other]\n"
           "weight = 0.20\ncontract_days = 240\n\n"
           "[costs]\ncoach_per_year = 48000.0\nhub_fixed_per_year = 60000.0\nsolution = 400.0\n\n";
    if (by_policy) {
        out << "[rollout]\npolicy = \"" << kRolloutPolicyNames[static_cast<int>(o.policy)]
            << "\"\nstart = " << to_iso(year_two) << "\nwave_every_days = " << kWaveDays
            << "\nmax_per_wave = " << (n - hubs + kWaves - 1) / kWaves
            << "\nbudget_per_year = " << o.budget_per_year << "\n\n";
    }
    for (int t = 0; t < n; ++t) {
        const int c = coaches[t];
        out << "[[territory]]  # x = " << std::lround(x[t]) << " km, y = " << std::lround(y[t])
            << " km\nname = \"" << name(t) << "\"\n";
        if (wave[t] < 0)
            out << "open = " << to_iso(o.start) << "\n";
        else if (by_policy)
            out << "candidate = true\n";
        else
            out << "open = " << date_text(year_two, kWaveDays * wave[t]) << "\n";
        // Recruitment ramp: a third of the coaches at opening, two thirds after 4 months, all
        // after 8.
        std::vector<std::pair<int, int>> ramp{{0, (c + 2) / 3}, {120, (2 * c + 2) / 3}, {240, c}};
        out << "coaches_after_open = [";
        int last = -1;
        bool first = true;
        for (const auto& [day, headcount] : ramp) {
            if (headcount == last) continue;
            out << (first ? "" : ", ") << "[" << day << ", " << headcount << "]";
            last = headcount;
            first = false;
        }
        out << "]\npool = " << pool[t]
            << "\ninflow_per_day = " << std::round(pool[t] * kInflowShare * 100) / 100
            << "\nneighbours = [";
        for (std::size_t i = 0; i < listed[t].size(); ++i)
            out << (i ? ", " : "") << "\"" << name(listed[t][i]) << "\"";
        out << "]\n\n";
    }
    return out.str();
}

}  // namespace essaim::dest1
