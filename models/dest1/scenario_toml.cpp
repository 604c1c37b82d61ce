#include "models/dest1/scenario_toml.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <sstream>

#include "sim/toml_document.hpp"

namespace essaim::dest1 {

// Every part is kept printable(): a path, key or value given on the command line may hold any
// bytes, and `validate --json` puts these parts in JSON, which needs UTF-8.
ScenarioError::ScenarioError(std::string file, int line, int column, std::string key,
                             std::string message)
    : std::runtime_error(format_located_message({file, line, column}, key, message)),
      file_(printable(file)),
      line_(line),
      column_(column),
      key_(printable(key)),
      message_(printable(message)) {}

namespace {

using Kind = TomlNode::Kind;

// Shares are probabilities that must add up to one; rounding in hand-written files is tolerated.
constexpr double kShareTolerance = 1e-6;

[[noreturn]] void fail(const SourcePosition& where, const std::string& key,
                       const std::string& message) {
    throw ScenarioError(where.file, where.line, where.column, key, message);
}

std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string place(const SourcePosition& where) {
    if (where.line == 0) return where.file;
    return where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
}

// Sums carry float noise (0.3 + 0.3 + 0.3 = 0.8999999999999999) that would distract in a message.
std::string rounded(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.10g", value);
    return buffer;
}

std::string number_text(double value) {
    TomlNode node;
    node.kind = Kind::floating;
    node.floating = value;
    return node.describe();
}

std::string list(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

std::string hint(std::string_view name, const std::vector<std::string>& candidates) {
    if (auto best = closest_name(name, candidates)) return ", did you mean '" + *best + "'?";
    return " (expected one of: " + list(candidates) + ")";
}

// An accepted interval, and how messages call a value in it: "expected a number > 0".
struct Range {
    double min;
    bool min_inclusive;
    double max;
    const char* noun;
    const char* text;

    bool contains(double x) const {
        return std::isfinite(x) && (min_inclusive ? x >= min : x > min) && x <= max;
    }
    std::string expected() const { return std::string("expected ") + noun + " " + text; }
};

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr Range kPositive{0, false, kInf, "a number", "> 0"};
constexpr Range kNonNegative{0, true, kInf, "a number", ">= 0"};
constexpr Range kAtLeastOne{1, true, kInf, "a number", ">= 1"};
constexpr Range kProbability{0, true, 1, "a probability", "in [0, 1]"};
constexpr Range kShare{0, true, 1, "a share", "in [0, 1]"};
constexpr Range kHeadcount{1, true, 1e6, "a headcount", ">= 1 and <= 1000000"};
// Upper bounds keep every count the model derives from a scenario far inside 64-bit integers and
// every run's memory finite; none binds a plausible scenario.
constexpr Range kMultiplier{0, true, 1000, "a multiplier", ">= 0 and <= 1000"};
constexpr Range kDailyInflow{0, true, 1e6, "a number", ">= 0 and <= 1000000 people a day"};
constexpr Range kOutreachRate{0, true, 1e4, "a number", ">= 0 and <= 10000 people a coach a day"};
// MODEL.md §7.1 allows any v >= 0; above 100 nearly everyone's Z is about 0 (at v = 100, 92 % of
// people have Z < 0.01) and the mean of 1 rests on a handful of agents: no use for calibration.
constexpr Range kEmployabilityVariance{0, true, 100, "a variance", ">= 0 and <= 100"};
constexpr double kMinPositiveVariance = 1e-12;
constexpr std::int64_t kMaxDays = 36500;  // 100 years: parcours, follow-up, run span
constexpr std::int64_t kMaxPool = 1'000'000'000'000;

double read_number(const TomlNode& node, const std::string& path, const Range& range) {
    const double value = node.kind == Kind::integer    ? static_cast<double>(node.integer)
                         : node.kind == Kind::floating ? node.floating
                                                       : std::nan("");
    if (!node.is_number() || !range.contains(value)) {
        fail(node.where, path, range.expected() + ", got " + node.describe());
    }
    return value;
}

std::int64_t read_integer(const TomlNode& node, const std::string& path, std::int64_t min,
                          std::int64_t max) {
    std::string expected = "expected an integer >= " + std::to_string(min);
    if (node.kind == Kind::integer && node.integer > max) {
        expected += " and <= " + std::to_string(max);
    }
    if (node.kind != Kind::integer || node.integer < min || node.integer > max) {
        fail(node.where, path, expected + ", got " + node.describe());
    }
    return node.integer;
}

Date read_date(const TomlNode& node, const std::string& path) {
    if (node.kind == Kind::date) {
        if (is_valid(node.date)) return node.date;
    } else if (node.kind == Kind::string) {
        if (auto date = parse_iso_date(node.text)) return *date;
    }
    fail(node.where, path, "expected a date like 2019-07-01, got " + node.describe());
}

std::string read_string(const TomlNode& node, const std::string& path, bool non_empty) {
    if (node.kind != Kind::string || (non_empty && node.text.empty())) {
        fail(node.where, path,
             std::string("expected ") + (non_empty ? "a non-empty string" : "a string") + ", got " +
                 node.describe());
    }
    return node.text;
}

// One of a fixed list of names (an enum's spelling in scenario files): its code.
template <std::size_t N>
int read_choice(const TomlNode& node, const std::string& path,
                const std::array<const char*, N>& names) {
    const std::string text = read_string(node, path, false);
    if (const auto code = code_of(text, names)) return *code;
    std::string expected;
    for (std::size_t i = 0; i < N; ++i)
        expected +=
            std::string(i == 0 ? "" : (i + 1 == N ? " or " : ", ")) + "\"" + names[i] + "\"";
    fail(node.where, path, "expected " + expected + ", got " + node.describe());
}

// A table of the scenario (possibly absent) and its path; absent keys leave targets unchanged.
class Section {
public:
    Section(const TomlNode* node, std::string path, SourcePosition where)
        : node_(node), path_(std::move(path)), where_(std::move(where)) {
        if (node_ && !node_->is_table()) {
            fail(node_->where, path_, "expected a table, got " + node_->describe());
        }
        // A table given by --set has no line, but its own source ("--set") is the right one.
        if (node_ && (node_->where.line > 0 || !node_->where.file.empty())) where_ = node_->where;
    }

    bool present() const { return node_ != nullptr; }
    const TomlNode* node() const { return node_; }
    const std::string& path() const { return path_; }
    const SourcePosition& where() const { return where_; }
    std::string path_of(std::string_view key) const { return join(path_, key); }
    const TomlNode* get(std::string_view key) const { return node_ ? node_->find(key) : nullptr; }

    const TomlNode& required(std::string_view key) const {
        if (const TomlNode* n = get(key)) return *n;
        fail(where_, path_of(key), "missing required key");
    }

    Section table(std::string_view key) const { return Section(get(key), path_of(key), where_); }

    void allow_only(const std::vector<std::string>& keys, const char* what = "key") const {
        if (!node_) return;
        for (const auto& m : node_->members) {
            if (std::find(keys.begin(), keys.end(), m.key) == keys.end()) {
                fail(m.key_where, path_of(m.key),
                     std::string("unknown ") + what + hint(m.key, keys));
            }
        }
    }

    void number(std::string_view key, double& target, const Range& range) const {
        if (const TomlNode* n = get(key)) target = read_number(*n, path_of(key), range);
    }
    template <class Int>
    void integer(std::string_view key, Int& target, std::int64_t min,
                 std::int64_t upper = std::numeric_limits<std::int64_t>::max()) const {
        const auto max = std::min<std::int64_t>(
            upper, static_cast<std::int64_t>(std::min<std::uint64_t>(
                       std::numeric_limits<Int>::max(), std::numeric_limits<std::int64_t>::max())));
        if (const TomlNode* n = get(key)) {
            target = static_cast<Int>(read_integer(*n, path_of(key), min, max));
        }
    }
    void date(std::string_view key, Date& target) const {
        if (const TomlNode* n = get(key)) target = read_date(*n, path_of(key));
    }
    void string(std::string_view key, std::string& target, bool non_empty) const {
        if (const TomlNode* n = get(key)) target = read_string(*n, path_of(key), non_empty);
    }
    void boolean(std::string_view key, bool& target) const {
        if (const TomlNode* n = get(key)) {
            if (n->kind != Kind::boolean) {
                fail(n->where, path_of(key), "expected true or false, got " + n->describe());
            }
            target = n->boolean;
        }
    }
    template <std::size_t N>
    void numbers(const std::array<const char*, N>& names, std::array<double, N>& target,
                 const Range& range) const {
        allow_only(std::vector<std::string>(names.begin(), names.end()));
        for (std::size_t i = 0; i < N; ++i) number(names[i], target[i], range);
    }

private:
    const TomlNode* node_;
    std::string path_;
    SourcePosition where_;
};

// A class distribution: missing keys keep the inherited share, and the result must sum to 1.
template <std::size_t N>
void read_shares(const Section& section, const std::array<const char*, N>& names,
                 std::array<double, N>& shares) {
    section.numbers(names, shares, kShare);
    if (!section.present()) return;
    double sum = 0;
    std::string terms;
    for (std::size_t i = 0; i < N; ++i) {
        sum += shares[i];
        terms += (i ? " + " : "") + std::string(names[i]) + " " + number_text(shares[i]);
    }
    if (std::abs(sum - 1.0) > kShareTolerance) {
        fail(section.where(), section.path(),
             "shares must sum to 1, got " + rounded(sum) + " (" + terms + ")");
    }
}

// How an item of an array of tables is addressed in key paths: by its name when it has a usable
// one (the same spelling `--set territory.Beta.caseload=20` accepts), else by its index.
std::string item_path(const std::string& array, const TomlNode& item, std::size_t index) {
    const TomlNode* name = item.is_table() ? item.find("name") : nullptr;
    if (name && name->kind == Kind::string && !name->text.empty() &&
        name->text.find('.') == std::string::npos) {
        return array + "." + name->text;
    }
    return array + "." + std::to_string(index);
}

const std::vector<TomlNode>& array_of_tables(const TomlNode& node, const std::string& path) {
    if (!node.is_array() ||
        !std::all_of(node.items.begin(), node.items.end(), [](auto& i) { return i.is_table(); })) {
        fail(node.where, path,
             "expected an array of tables ([[" + path + "]]), got " + node.describe());
    }
    return node.items;
}

std::vector<std::string> names_of(const std::vector<Sector>& sectors) {
    std::vector<std::string> names;
    for (const auto& s : sectors) names.push_back(s.name);
    return names;
}

// ---------------------------------------------------------------------------------------------

void read_scenario_table(const Section& top, Scenario& scenario) {
    const Section s = top.table("scenario");
    s.allow_only({"name", "description", "model", "start", "end", "seed"});
    scenario.name = read_string(s.required("name"), s.path_of("name"), true);
    s.string("description", scenario.description, false);
    if (const TomlNode* model = s.get("model")) {
        scenario.model = read_string(*model, s.path_of("model"), false);
        if (scenario.model != "dest1") {
            fail(model->where, s.path_of("model"),
                 "expected \"dest1\" (the only model), got " + model->describe());
        }
    }
    scenario.start = read_date(s.required("start"), s.path_of("start"));
    const TomlNode& end = s.required("end");
    scenario.end = read_date(end, s.path_of("end"));
    if (days_from_civil(scenario.end) < days_from_civil(scenario.start)) {
        fail(end.where, s.path_of("end"),
             "expected a date on or after scenario.start (" + to_iso(scenario.start) + "), got " +
                 to_iso(scenario.end));
    }
    if (days_from_civil(scenario.end) - days_from_civil(scenario.start) >= kMaxDays) {
        fail(end.where, s.path_of("end"),
             "expected a run shorter than " + std::to_string(kMaxDays) + " days (100 years), got " +
                 to_iso(scenario.start) + " to " + to_iso(scenario.end));
    }
    s.integer("seed", scenario.seed, 0);
}

// parcours.contacts_capacity_per_coach_week, K of MODEL.md §7.2: a number > 0, or `inf` (the
// registry's default), which means no limit, as when the key is absent.
void read_contacts_capacity(const Section& parcours, Parameters& p) {
    const TomlNode* node = parcours.get("contacts_capacity_per_coach_week");
    if (!node) return;
    if (node->kind == Kind::floating && node->floating == kInf) {
        p.contacts_capacity_per_coach_week.reset();
        return;
    }
    constexpr Range kCapacity{0, false, kInf, "a number", "> 0 (or inf: no limit)"};
    p.contacts_capacity_per_coach_week =
        read_number(*node, parcours.path_of("contacts_capacity_per_coach_week"), kCapacity);
}

void read_parameters(const Section& top, Scenario& scenario) {
    Parameters& p = scenario.parameters;

    const Section parcours = top.table("parcours");
    parcours.allow_only({"mode", "duration_days", "followup_days", "caseload", "caseload_ref",
                         "contacts_per_week", "contacts_ref", "alpha", "kappa", "patience_days",
                         "contacts_capacity_per_coach_week"});
    if (const TomlNode* mode = parcours.get("mode"))
        p.mode = static_cast<ParcoursMode>(
            read_choice(*mode, parcours.path_of("mode"), kParcoursModeNames));
    parcours.integer("duration_days", p.parcours_days, 1, kMaxDays);
    parcours.integer("followup_days", p.followup_days, 0, kMaxDays);
    parcours.number("caseload", p.caseload, kAtLeastOne);
    parcours.number("caseload_ref", p.caseload_ref, kPositive);
    parcours.number("contacts_per_week", p.contacts_per_week, kPositive);
    parcours.number("contacts_ref", p.contacts_ref, kPositive);
    parcours.number("alpha", p.alpha, kNonNegative);
    parcours.number("kappa", p.kappa, kNonNegative);
    parcours.number("patience_days", p.patience_days, kPositive);
    read_contacts_capacity(parcours, p);

    const Section hazards = top.table("hazards");
    hazards.allow_only({"h0_job", "h0_drop", "gamma_confidence", "rho_employed", "h0_post",
                        "post_job_days", "digital_penalty", "employability_variance"});
    hazards.number("h0_job", p.h0_job, kNonNegative);
    hazards.number("h0_drop", p.h0_drop, kNonNegative);
    hazards.number("gamma_confidence", p.gamma_confidence, kNonNegative);
    hazards.number("rho_employed", p.rho_employed, kNonNegative);
    hazards.number("h0_post", p.h0_post, kNonNegative);
    hazards.number("post_job_days", p.post_job_days, kPositive);
    hazards.number("digital_penalty", p.digital_penalty, kProbability);
    hazards.number("employability_variance", p.employability_variance, kEmployabilityVariance);
    // A positive v so small that the gamma's shape 1/v overflows would give non-finite Z.
    if (p.employability_variance > 0 && p.employability_variance < kMinPositiveVariance) {
        const TomlNode* v = hazards.get("employability_variance");
        fail(v->where, hazards.path_of("employability_variance"),
             "expected 0 or a variance >= 1e-12 (and <= 100), got " + v->describe());
    }

    const Section outreach = top.table("outreach");
    outreach.allow_only({"per_coach_per_day", "pool_half"});
    outreach.number("per_coach_per_day", p.outreach_per_coach, kOutreachRate);
    outreach.number("pool_half", p.pool_half, kPositive);

    const Section rampup = top.table("rampup");
    rampup.allow_only({"maturity_days", "r0_adjacent", "r0_isolated"});
    rampup.number("maturity_days", p.maturity_days, kPositive);
    rampup.number("r0_adjacent", p.r0_adjacent, kProbability);
    rampup.number("r0_isolated", p.r0_isolated, kProbability);

    const Section profile = top.table("profile");
    profile.allow_only({"duration", "diploma"});
    read_shares(profile.table("duration"), kDurationNames, scenario.profile.duration);
    read_shares(profile.table("diploma"), kDiplomaNames, scenario.profile.diploma);

    const Section effects = top.table("effects");
    effects.allow_only({"duration", "diploma"});
    effects.table("duration").numbers(kDurationNames, p.delta_duration, kNonNegative);
    effects.table("diploma").numbers(kDiplomaNames, p.delta_diploma, kNonNegative);

    const Section barriers = top.table("barriers");
    barriers.allow_only(std::vector<std::string>(kBarrierNames.begin(), kBarrierNames.end()),
                        "barrier");
    for (int b = 0; b < kBarriers; ++b) {
        const Section barrier = barriers.table(kBarrierNames[b]);
        barrier.allow_only({"prevalence", "beta", "resolve_per_day"});
        barrier.number("prevalence", scenario.profile.prevalence[b], kProbability);
        barrier.number("beta", p.beta[b], kNonNegative);
        barrier.number("resolve_per_day", p.resolve_per_day[b], kNonNegative);
    }

    const Section costs = top.table("costs");
    costs.allow_only({"coach_per_year", "hub_fixed_per_year", "solution"});
    costs.number("coach_per_year", p.coach_cost_per_year, kNonNegative);
    costs.number("hub_fixed_per_year", p.hub_fixed_cost_per_year, kNonNegative);
    costs.number("solution", p.solution_cost, kNonNegative);
}

void read_sectors(const Section& top, Scenario& scenario) {
    const Section sectors = top.table("sectors");
    if (!sectors.present()) {
        // MODEL.md §5 defaults, in its order.
        scenario.sectors = {{"cleaning", 0.35, 180},
                            {"green_spaces", 0.25, 180},
                            {"catering", 0.20, 120},
                            {"other", 0.20, 240}};
        return;
    }
    if (sectors.node()->members.empty()) {
        fail(sectors.where(), sectors.path(), "expected at least one sector");
    }
    double total = 0;
    for (const TomlNode& member : sectors.node()->members) {
        const Section sector(&member, sectors.path_of(member.key), sectors.where());
        sector.allow_only({"weight", "contract_days"});
        Sector s{member.key, 0, 0};
        s.weight = read_number(sector.required("weight"), sector.path_of("weight"), kNonNegative);
        s.contract_days = read_number(sector.required("contract_days"),
                                      sector.path_of("contract_days"), kPositive);
        total += s.weight;
        scenario.sectors.push_back(std::move(s));
    }
    if (!(total > 0)) {
        fail(sectors.where(), sectors.path(),
             "expected sector weights with a sum > 0 (they need not sum to 1), got all 0");
    }
}

// Weights or multipliers keyed by sector name; unknown names are errors, omitted ones keep `fill`.
std::vector<double> read_per_sector(const Section& section, const Scenario& scenario, double fill,
                                    const Range& range) {
    const std::vector<std::string> names = names_of(scenario.sectors);
    section.allow_only(names, "sector");
    std::vector<double> values(names.size(), fill);
    for (std::size_t s = 0; s < names.size(); ++s) section.number(names[s], values[s], range);
    return values;
}

void read_rollout(const Section& top, Scenario& scenario) {
    const Section r = top.table("rollout");
    r.allow_only({"policy", "start", "wave_every_days", "max_per_wave", "budget_per_year"});
    Rollout& rollout = scenario.rollout;
    if (const TomlNode* policy = r.get("policy"))
        rollout.policy = static_cast<RolloutPolicy>(
            read_choice(*policy, r.path_of("policy"), kRolloutPolicyNames));
    if (const TomlNode* start = r.get("start")) {
        const Date date = read_date(*start, r.path_of("start"));
        if (days_from_civil(date) < days_from_civil(scenario.start) ||
            days_from_civil(date) > days_from_civil(scenario.end)) {
            fail(start->where, r.path_of("start"),
                 "expected a date within the run [scenario.start, scenario.end] (" +
                     to_iso(scenario.start) + " to " + to_iso(scenario.end) + "), got " +
                     to_iso(date));
        }
        rollout.start = date;
    }
    r.integer("wave_every_days", rollout.wave_every_days, 1);
    r.integer("max_per_wave", rollout.max_per_wave, 0);
    r.number("budget_per_year", rollout.budget_per_year, kNonNegative);
}

// `coaches`: [date, headcount] steps, strictly increasing, the first on or before `open`.
void read_dated_coaches(const TomlNode& coaches, const std::string& coaches_path,
                        Territory& territory) {
    if (!coaches.is_array() || coaches.items.empty()) {
        fail(coaches.where, coaches_path,
             "expected a non-empty array of [date, headcount] steps, got " + coaches.describe());
    }
    for (std::size_t k = 0; k < coaches.items.size(); ++k) {
        const TomlNode& step = coaches.items[k];
        const std::string step_path = coaches_path + "." + std::to_string(k);
        if (!step.is_array() || step.items.size() != 2) {
            fail(step.where, step_path,
                 "expected a [date, headcount] pair, got " + step.describe());
        }
        const Date date = read_date(step.items[0], step_path);
        const double headcount = read_number(step.items[1], step_path, kHeadcount);
        if (k > 0 && days_from_civil(date) <= days_from_civil(territory.coaches.back().first)) {
            fail(step.items[0].where, step_path,
                 "step " + to_iso(date) + " is out of date order (expected a date after " +
                     to_iso(territory.coaches.back().first) + ")");
        }
        territory.coaches.emplace_back(date, headcount);
    }
    if (days_from_civil(territory.coaches.front().first) > days_from_civil(territory.open)) {
        fail(coaches.items[0].where, coaches_path + ".0",
             "the first step (" + to_iso(territory.coaches.front().first) +
                 ") must be on or before open (" + to_iso(territory.open) +
                 "): a territory has at least one coach from its open date on");
    }
}

// `coaches_after_open`: [days since opening, headcount] steps, from day 0, strictly increasing.
void read_coaches_after_open(const TomlNode& steps, const std::string& path, Territory& territory) {
    if (!steps.is_array() || steps.items.empty()) {
        fail(steps.where, path,
             "expected a non-empty array of [days since opening, headcount] steps, got " +
                 steps.describe());
    }
    for (std::size_t k = 0; k < steps.items.size(); ++k) {
        const TomlNode& step = steps.items[k];
        const std::string step_path = path + "." + std::to_string(k);
        if (!step.is_array() || step.items.size() != 2) {
            fail(step.where, step_path,
                 "expected a [days since opening, headcount] pair, got " + step.describe());
        }
        const int day = static_cast<int>(read_integer(step.items[0], step_path, 0, INT_MAX));
        const double headcount = read_number(step.items[1], step_path, kHeadcount);
        if (k == 0 && day != 0) {
            fail(step.items[0].where, step_path,
                 "the first step must start at day 0 (the opening day), got day " +
                     std::to_string(day) + ": a territory has at least one coach from its opening");
        }
        if (k > 0 && day <= territory.coaches_after_open.back().first) {
            fail(step.items[0].where, step_path,
                 "day " + std::to_string(day) + " is out of order (expected a day after " +
                     std::to_string(territory.coaches_after_open.back().first) + ")");
        }
        territory.coaches_after_open.emplace_back(day, headcount);
    }
}

void read_territories(const Section& top, Scenario& scenario) {
    const Rollout& rollout = scenario.rollout;  // read first: it decides which keys are required
    const TomlNode* array = top.get("territory");
    if (!array) {
        fail(top.where(), "territory", "missing: at least one [[territory]] is required");
    }
    const auto& items = array_of_tables(*array, "territory");
    if (items.empty()) fail(array->where, "territory", "expected at least one territory");

    // Names first: neighbours may refer to territories listed later.
    std::vector<std::string> names;
    std::map<std::string, const TomlNode*> first_of;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const Section t(&items[i], item_path("territory", items[i], i), array->where);
        const TomlNode& name = t.required("name");
        names.push_back(read_string(name, t.path_of("name"), true));
        auto [it, inserted] = first_of.emplace(names.back(), &name);
        if (!inserted) {
            fail(name.where, t.path_of("name"),
                 "duplicate territory name \"" + names.back() + "\" (first given at " +
                     place(it->second->where) + ")");
        }
    }

    for (std::size_t i = 0; i < items.size(); ++i) {
        const Section t(&items[i], item_path("territory", items[i], i), array->where);
        t.allow_only({"name", "candidate", "open", "coaches", "coaches_after_open", "pool",
                      "inflow_per_day", "neighbours", "caseload", "sectors", "profile"});
        Territory territory;
        territory.name = names[i];
        t.boolean("candidate", territory.candidate);
        // A candidate whose opening a policy decides may leave `open` out: it then means "as soon
        // as the roll-out allows".
        const bool decided = territory.candidate && rollout.policy != RolloutPolicy::dates;
        if (const TomlNode* open = t.get("open"); open || !decided) {
            if (!open && territory.candidate) {
                fail(t.where(), t.path_of("open"),
                     "missing required key (a candidate opens on its own date under "
                     "rollout.policy \"dates\")");
            }
            territory.open = read_date(t.required("open"), t.path_of("open"));
        } else {
            territory.open = rollout.start.value_or(scenario.start);
        }

        const TomlNode* coaches = t.get("coaches");
        const TomlNode* after_open = t.get("coaches_after_open");
        if (coaches && after_open) {
            fail(after_open->where, t.path_of("coaches_after_open"),
                 "give either coaches (dated steps) or coaches_after_open (days since opening), "
                 "not both");
        }
        if (!coaches && !after_open) {
            fail(t.where(), t.path_of("coaches"),
                 "missing required key: give either coaches (dated steps) or coaches_after_open "
                 "(days since opening)");
        }
        if (coaches && decided) {
            fail(coaches->where, t.path_of("coaches"),
                 "a candidate under rollout.policy \"" +
                     std::string(kRolloutPolicyNames[static_cast<int>(rollout.policy)]) +
                     "\" opens on a date the roll-out decides: give its schedule as "
                     "coaches_after_open = [[0, headcount], [days, headcount], ...]");
        }
        if (coaches) {
            read_dated_coaches(*coaches, t.path_of("coaches"), territory);
        } else {
            read_coaches_after_open(*after_open, t.path_of("coaches_after_open"), territory);
        }

        territory.pool = read_integer(t.required("pool"), t.path_of("pool"), 0, kMaxPool);
        t.number("inflow_per_day", territory.inflow_per_day, kDailyInflow);

        if (const TomlNode* neighbours = t.get("neighbours")) {
            const std::string path = t.path_of("neighbours");
            if (!neighbours->is_array()) {
                fail(neighbours->where, path,
                     "expected an array of territory names, got " + neighbours->describe());
            }
            for (std::size_t k = 0; k < neighbours->items.size(); ++k) {
                const TomlNode& item = neighbours->items[k];
                const std::string item_key = path + "." + std::to_string(k);
                const std::string name = read_string(item, item_key, true);
                auto found = std::find(names.begin(), names.end(), name);
                if (found == names.end()) {
                    fail(item.where, item_key,
                         "no territory named \"" + name + "\"" + hint(name, names));
                }
                const int index = static_cast<int>(found - names.begin());
                if (index == static_cast<int>(i)) {
                    fail(item.where, item_key, "a territory cannot be its own neighbour");
                }
                if (std::find(territory.neighbours.begin(), territory.neighbours.end(), index) !=
                    territory.neighbours.end()) {
                    fail(item.where, item_key, "neighbour \"" + name + "\" is listed twice");
                }
                territory.neighbours.push_back(index);
            }
        }

        if (t.get("caseload")) {
            double caseload = 0;
            t.number("caseload", caseload, kAtLeastOne);
            territory.caseload = caseload;
        }

        const Section sectors = t.table("sectors");
        if (sectors.present()) {
            // A territory's table replaces the global weights: a sector it omits has weight 0.
            std::vector<double> weights = read_per_sector(sectors, scenario, 0.0, kNonNegative);
            double total = 0;
            for (double w : weights) total += w;
            if (!(total > 0)) {
                fail(sectors.where(), sectors.path(),
                     "expected sector weights with a sum > 0, got all 0");
            }
            territory.sector_weights = std::move(weights);
        }

        const Section profile = t.table("profile");
        if (profile.present()) {
            profile.allow_only({"duration", "diploma", "prevalence"});
            Profile own = scenario.profile;  // what it does not state, it inherits
            read_shares(profile.table("duration"), kDurationNames, own.duration);
            read_shares(profile.table("diploma"), kDiplomaNames, own.diploma);
            profile.table("prevalence").numbers(kBarrierNames, own.prevalence, kProbability);
            territory.profile = own;
        }
        scenario.territories.push_back(std::move(territory));
    }
}

void read_crises(const Section& top, Scenario& scenario) {
    const TomlNode* array = top.get("crisis");
    if (!array) return;
    const auto& items = array_of_tables(*array, "crisis");
    for (std::size_t i = 0; i < items.size(); ++i) {
        const Section c(&items[i], item_path("crisis", items[i], i), array->where);
        c.allow_only({"name", "start", "end", "remote", "outreach", "contacts", "jobloss",
                      "dropout", "inflow", "hire"});
        Crisis crisis;
        crisis.name = read_string(c.required("name"), c.path_of("name"), true);
        crisis.start = read_date(c.required("start"), c.path_of("start"));
        const TomlNode& end = c.required("end");
        crisis.end = read_date(end, c.path_of("end"));
        if (days_from_civil(crisis.end) < days_from_civil(crisis.start)) {
            fail(end.where, c.path_of("end"),
                 "expected a date on or after start (" + to_iso(crisis.start) + "), got " +
                     to_iso(crisis.end));
        }
        c.boolean("remote", crisis.remote);
        c.number("outreach", crisis.outreach, kMultiplier);
        c.number("contacts", crisis.contacts, kMultiplier);
        c.number("jobloss", crisis.jobloss, kMultiplier);
        c.number("dropout", crisis.dropout, kMultiplier);
        c.number("inflow", crisis.inflow, kMultiplier);
        crisis.hire = read_per_sector(c.table("hire"), scenario, 1.0, kMultiplier);
        scenario.crises.push_back(std::move(crisis));
    }
}

Scenario build(const TomlNode& root) {
    Scenario scenario;
    const Section top(&root, "", root.where);
    top.allow_only({"scenario", "parcours", "hazards", "outreach", "rampup", "profile", "effects",
                    "barriers", "sectors", "costs", "rollout", "territory", "crisis"});
    read_scenario_table(top, scenario);
    read_parameters(top, scenario);
    read_sectors(top, scenario);
    read_rollout(top, scenario);
    read_territories(top, scenario);
    read_crises(top, scenario);
    return scenario;
}

Scenario finish(TomlNode document, const std::string& source_path,
                const std::vector<std::string>& overrides) {
    try {
        for (const auto& assignment : overrides) apply_override(document, assignment);
        Scenario scenario = build(document);
        scenario.source_path = source_path;
        scenario.source_text = to_toml_text(document);
        return scenario;
    } catch (const TomlError& error) {
        fail(error.where(), error.key(), error.message());
    }
}

}  // namespace

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
    TomlNode document;
    try {
        document = load_toml_file(path);
    } catch (const TomlError& error) {
        fail(error.where(), error.key(), error.message());
    }
    return finish(std::move(document), path, overrides);
}

Scenario parse_scenario(std::string_view text, const std::string& source_name,
                        const std::vector<std::string>& overrides) {
    TomlNode document;
    try {
        document = parse_toml_text(text, source_name);
    } catch (const TomlError& error) {
        fail(error.where(), error.key(), error.message());
    }
    return finish(std::move(document), source_name, overrides);
}

}  // namespace essaim::dest1
