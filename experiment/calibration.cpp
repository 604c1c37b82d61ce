#include "experiment/calibration.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "experiment/distributed.hpp"
#include "experiment/sensitivity_analysis.hpp"
#include "sim/progress.hpp"
#include "sim/sha256.hpp"
#include "sim/variable_attributes.hpp"

namespace essaim::experiment {
namespace {

namespace abc = analysis::abc;

constexpr double kInfinity = std::numeric_limits<double>::infinity();
// The calibration's own random numbers (proposals, observation dates, predictive draws) use keys
// that no model run uses: a run is keyed (seed, unit id), these (seed ^ key, ...).
constexpr std::uint64_t kProposalKey = 0x63616c6962726174ull;  // "calibrat"
constexpr std::uint64_t kDateKey = 0x6f62736461746573ull;      // "obsdates"
constexpr std::uint32_t kPurposeProposal = 1, kPurposeDate = 2;
constexpr std::uint64_t kProposalBits = 40;

std::string exact(double value) {
    std::ostringstream out;
    out.precision(17);
    out << value;
    return out.str();
}

std::vector<std::uint8_t> bytes_of(const std::vector<double>& values) {
    std::vector<std::uint8_t> bytes(values.size() * sizeof(double));
    if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
}

std::string targets_text(const std::vector<CalibrationTarget>& targets) {
    std::string out;
    for (const auto& t : targets)
        out += t.name + "\t" + t.kpi_text() + "\t" + t.date_text() + "\t" + exact(t.value) +
               "\t" + exact(t.scale) + "\n";
    return out;
}

}  // namespace

std::uint64_t calibration_unit_id(std::uint64_t generation, std::uint64_t proposal,
                                  std::uint64_t replications, std::uint64_t replication) {
    return (generation << kProposalBits) | (proposal * replications + replication);
}

// What the generations share while they run: the units already stored (a resumed run), the
// previous population and its kernel.
struct Calibration::State {
    std::set<std::uint64_t> stored;
    const abc::Population* previous = nullptr;
    std::unique_ptr<abc::Kernel> kernel;
    std::vector<double> cumulative;  // of the previous population's weights
    double last_rate = 1;
    std::uint64_t used = 0;  // simulations of the generations kept
    std::string stopped;
};

Calibration::Calibration(const Model& model, std::string base_text, std::string base_path,
                         std::vector<SpaceParameter> space, std::vector<CalibrationTarget> targets,
                         CalibrationOptions options)
    : model_(model),
      base_text_(std::move(base_text)),
      base_path_(std::move(base_path)),
      space_(std::move(space)),
      targets_(std::move(targets)),
      options_(std::move(options)) {
    if (space_.empty()) throw std::invalid_argument("a calibration needs at least one parameter");
    if (options_.particles < 2) throw std::invalid_argument("--particles must be at least 2");
    if (options_.replications < 1) throw std::invalid_argument("-r must be at least 1");
    if (!(options_.quantile > 0 && options_.quantile < 1))
        throw std::invalid_argument("--quantile must lie in (0, 1)");
    if (!(options_.min_acceptance > 0 && options_.min_acceptance <= 1))
        throw std::invalid_argument("--min-acceptance must lie in (0, 1]");
    // Proposals of one generation, times replications, must fit below the generation's bits.
    const double proposals_limit =
        std::ceil(static_cast<double>(options_.particles) / options_.min_acceptance);
    if (proposals_limit * static_cast<double>(options_.replications) >=
        static_cast<double>(1ull << kProposalBits))
        throw std::invalid_argument(
            "--particles / --min-acceptance x --replications exceeds 2^40 runs in a generation");
    // Generation numbers fill the unit ids' bits above kProposalBits, below the predictive
    // check's.
    if (options_.max_generations < 1 || options_.max_generations >= kPredictiveGeneration)
        throw std::invalid_argument("--max-generations must lie in [1, " +
                                    std::to_string(kPredictiveGeneration - 1) + "]");
    base_ = model_.load_text(base_text_, base_path_);
    resolve_targets(targets_, model_, *base_);
    if (std::any_of(targets_.begin(), targets_.end(), [](auto& t) { return t.dated; }) &&
        model_.end_key().empty())
        throw std::invalid_argument("the " + model_.name() + " model cannot be cut at a date");
    for (const auto& t : targets_) {
        if (!t.dated) {
            target_cut_.push_back(-1);
            continue;
        }
        const std::pair<long, long> cut{days_from_civil(t.from), days_from_civil(t.to)};
        auto it = std::find(cuts_.begin(), cuts_.end(), cut);
        if (it == cuts_.end()) it = cuts_.insert(cuts_.end(), cut);
        target_cut_.push_back(static_cast<int>(it - cuts_.begin()));
    }
    // Every parameter must make a valid scenario over its whole range: checked at its ends now
    // rather than as a failed run in the middle of a generation.
    for (const auto& p : space_)
        for (double u : {1e-9, 1 - 1e-9}) model_.load_text(base_text_, base_path_, {p.override_at(u)});
}

std::string Calibration::fingerprint() const {
    const auto& o = options_;
    std::string text = "essaim-calibration\nessaim " ESSAIM_VERSION "\nmodel " + model_.name() +
                       "\nseed " + std::to_string(o.seed) + "\nparticles " +
                       std::to_string(o.particles) + "\nreplications " +
                       std::to_string(o.replications) + "\nquantile " + exact(o.quantile) +
                       "\nfinal " + exact(o.final_tolerance) + "\nmin_acceptance " +
                       exact(o.min_acceptance) + "\nmax_simulations " +
                       std::to_string(o.max_simulations) + "\nmax_generations " +
                       std::to_string(o.max_generations) + "\npredictive " +
                       std::to_string(o.predictive) + "\nengine " + o.engine + "\nspace\n" +
                       space_text(space_) + "targets\n" + targets_text(targets_) + "scenario\n" +
                       base_text_;
    return sha256_hex(text);
}

std::map<std::string, std::string> Calibration::store_meta() const {
    return {{"fingerprint", fingerprint()},
            {"kind", "calibration"},
            {"essaim_version", ESSAIM_VERSION},
            {"model", model_.name()},
            {"scenario_name", base_->name()},
            {"scenario_path", base_path_},
            {"scenario_text", sha256_hex(base_text_)},
            {"space", space_text(space_)},
            {"targets", targets_text(targets_)},
            {"seed", std::to_string(options_.seed)},
            {"replications", std::to_string(options_.replications)},
            {"particles", std::to_string(options_.particles)},
            {"engine", options_.engine},
            {"shard", "1"},
            {"shards", "1"}};
}

std::vector<double> Calibration::simulate(const std::vector<double>& u, std::uint64_t id) const {
    std::vector<std::string> overrides;
    for (std::size_t i = 0; i < space_.size(); ++i) overrides.push_back(space_[i].override_at(u[i]));
    // The date of each observation: fixed, or uniform over its range (per unit).
    const RandomSource dates(options_.seed ^ kDateKey, id);
    std::vector<long> cut_day(cuts_.size());
    for (std::size_t c = 0; c < cuts_.size(); ++c) {
        const auto [from, to] = cuts_[c];
        RandomStream stream(dates, {0, kPurposeDate, c, 0});
        cut_day[c] = from + std::min<long>(to - from, static_cast<long>(std::floor(
                                                          stream.uniform() * double(to - from + 1))));
    }
    std::vector<long> runs;  // distinct cut days; -1: the scenario's own end
    for (int cut : target_cut_) runs.push_back(cut < 0 ? -1 : cut_day[static_cast<std::size_t>(cut)]);
    std::sort(runs.begin(), runs.end());
    runs.erase(std::unique(runs.begin(), runs.end()), runs.end());
    std::vector<double> values(targets_.size(), std::numeric_limits<double>::quiet_NaN());
    const UnitRequest request{false, false, options_.engine};
    for (long day : runs) {
        auto run_overrides = overrides;
        if (day >= 0)
            run_overrides.push_back(model_.end_key() + "=" + to_iso(civil_from_days(day)));
        const auto scenario = model_.load_text(base_text_, base_path_, run_overrides);
        const UnitResult result = model_.run(*scenario, options_.seed, id, request);
        for (std::size_t t = 0; t < targets_.size(); ++t) {
            const long wanted =
                target_cut_[t] < 0 ? -1 : cut_day[static_cast<std::size_t>(target_cut_[t])];
            if (wanted == day) values[t] = target_value(targets_[t], result.kpis);
        }
    }
    return values;
}

double Calibration::distance(const double* simulated) const {
    double sum = 0;
    for (std::size_t t = 0; t < targets_.size(); ++t) {
        if (!std::isfinite(simulated[t])) return kInfinity;
        const double z = (simulated[t] - targets_[t].value) / targets_[t].scale;
        sum += z * z;
    }
    return std::sqrt(sum);
}

std::vector<double> Calibration::proposal(const State& state, std::size_t g,
                                          std::uint64_t a) const {
    const RandomSource source(options_.seed ^ kProposalKey, g);
    RandomStream stream(source, {0, kPurposeProposal, a, 0});
    if (g == 0) {
        std::vector<double> u(space_.size());
        for (auto& v : u) v = stream.uniform();
        return u;
    }
    if (g == kPredictiveGeneration) {
        const std::size_t i = abc::draw_index(state.cumulative, stream.uniform());
        const double* p = state.previous->particle(i);
        return {p, p + space_.size()};
    }
    return state.kernel->propose(stream);
}

std::vector<double> Calibration::batch_values(State& state, const std::vector<std::uint64_t>& ids,
                                              UnitStore* store, const std::string& label) const {
    const bool root = distributed::rank() == 0;
    std::vector<std::uint64_t> missing;
    if (root)
        for (std::uint64_t id : ids)
            if (!state.stored.count(id)) missing.push_back(id);
    Progress progress(label, missing.size(),
                      options_.quiet || !root ? Progress::Mode::quiet : Progress::Mode::automatic,
                      1.0);
    const std::uint64_t shift = kProposalBits;
    distributed::compute(
        store, missing, options_.threads,
        [&](std::uint64_t id) {
            const std::uint64_t g = id >> shift, within = id & ((1ull << shift) - 1);
            const std::uint64_t r = g == kPredictiveGeneration ? 1 : options_.replications;
            return bytes_of(simulate(proposal(state, g, within / r), id));
        },
        &progress);
    progress.finish();
    // Rank 0 reads the batch and sends it to every rank, behind one status byte: a failure on
    // rank 0 alone must reach the others, which would otherwise wait in the broadcast forever.
    std::vector<std::uint8_t> bytes{0};
    const std::size_t per_unit = targets_.size() * sizeof(double);
    std::exception_ptr failure;
    if (root) {
        try {
            bytes.reserve(1 + ids.size() * per_unit);
            for (std::uint64_t id : ids) {
                const auto unit = store->get(id);
                if (unit.size() != per_unit)
                    throw StoreError("unit " + std::to_string(id) +
                                     " does not hold this calibration's targets");
                bytes.insert(bytes.end(), unit.begin(), unit.end());
                state.stored.insert(id);
            }
        } catch (...) {
            failure = std::current_exception();
            bytes.assign(1, 1);
        }
    }
    distributed::broadcast(bytes);
    if (failure) std::rethrow_exception(failure);
    if (bytes.empty() || bytes[0] != 0)
        throw std::runtime_error("rank 0 failed while reading the batch (its message says why)");
    std::vector<double> values((bytes.size() - 1) / sizeof(double));
    if (!values.empty()) std::memcpy(values.data(), bytes.data() + 1, bytes.size() - 1);
    return values;
}

// Proposes particles in order, in batches sized from the acceptance rate so far, until N are
// accepted; false (with state.stopped saying why) when the acceptance floor or the simulation
// budget is reached first.
bool Calibration::run_generation(State& state, std::size_t g, double tolerance, UnitStore* store,
                                 CalibrationGeneration& out) const {
    const std::size_t n = options_.particles, s = targets_.size();
    const std::uint64_t r = options_.replications;
    const std::uint64_t floor_limit = g == 0 ? n
                                             : static_cast<std::uint64_t>(std::ceil(
                                                   static_cast<double>(n) / options_.min_acceptance));
    std::uint64_t limit = floor_limit;
    if (options_.max_simulations > 0)
        limit = std::min(limit, (options_.max_simulations - std::min(options_.max_simulations,
                                                                      state.used)) / r);
    out = CalibrationGeneration{};
    out.tolerance = tolerance;
    out.population.dimensions = space_.size();
    std::uint64_t a = 0;
    while (out.population.size() < n) {
        if (a >= limit) {
            state.stopped = limit < floor_limit
                                ? "the simulation budget (--max-simulations) was reached"
                                : "the acceptance rate fell below --min-acceptance";
            return false;
        }
        const double accepted = static_cast<double>(out.population.size());
        const double rate = a > 0 && accepted > 0 ? accepted / static_cast<double>(a) : state.last_rate;
        const auto wanted = static_cast<std::uint64_t>(
            std::ceil((static_cast<double>(n) - accepted) / std::max(rate, options_.min_acceptance) *
                      1.15) +
            4 * static_cast<double>(std::max(1, options_.threads)));
        const std::uint64_t batch = std::min(wanted, limit - a);
        std::vector<std::uint64_t> ids;
        for (std::uint64_t p = a; p < a + batch; ++p)
            for (std::uint64_t k = 0; k < r; ++k) ids.push_back(calibration_unit_id(g, p, r, k));
        const std::vector<double> values = batch_values(
            state, ids, store,
            "calibration generation " + std::to_string(g) + " (" +
                std::to_string(out.population.size()) + "/" + std::to_string(n) + " accepted)");
        for (std::uint64_t p = 0; p < batch && out.population.size() < n; ++p) {
            std::vector<double> d(r);
            std::uint64_t within = 0;
            for (std::uint64_t k = 0; k < r; ++k) {
                d[k] = distance(values.data() + (p * r + k) * s);
                within += d[k] <= tolerance;
            }
            if (within == 0) continue;
            const std::vector<double> u = proposal(state, g, a + p);
            const double likelihood = static_cast<double>(within) / static_cast<double>(r);
            const double weight =
                g == 0 ? likelihood : likelihood / state.kernel->proposal_density(u.data());
            out.population.u.insert(out.population.u.end(), u.begin(), u.end());
            out.population.weights.push_back(weight);
            out.distances.insert(out.distances.end(), d.begin(), d.end());
            out.simulated.insert(out.simulated.end(), values.begin() + (p * r) * s,
                                 values.begin() + (p * r + r) * s);
            if (out.population.size() == n) out.proposals = a + p + 1;
        }
        a += batch;
    }
    double total = 0;
    for (double w : out.population.weights) total += w;
    for (double& w : out.population.weights) w /= total;
    out.effective_sample_size = abc::effective_sample_size(out.population.weights);
    state.last_rate = out.acceptance_rate();
    state.used += out.simulations(r);
    return true;
}

namespace {

// The next tolerance: the weighted quantile of the distances within the current one, never below
// the final tolerance; when that would not shrink it (discrete distances), the largest distance
// below it. Empty when it cannot shrink at all.
std::optional<double> next_tolerance(const CalibrationGeneration& gen, std::uint64_t r,
                                     double quantile, double final_tolerance) {
    // Each particle's weight is shared by its replications within the tolerance, so that a
    // particle counts once whatever R.
    std::vector<double> d, w;
    for (std::size_t i = 0; i < gen.population.size(); ++i) {
        std::uint64_t within = 0;
        for (std::uint64_t k = 0; k < r; ++k) {
            const double x = gen.distances[i * r + k];
            within += std::isfinite(x) && x <= gen.tolerance;
        }
        for (std::uint64_t k = 0; k < r; ++k) {
            const double x = gen.distances[i * r + k];
            if (std::isfinite(x) && x <= gen.tolerance) {
                d.push_back(x);
                w.push_back(gen.population.weights[i] / static_cast<double>(within));
            }
        }
    }
    if (d.empty()) return std::nullopt;
    double next = abc::weighted_quantile(d, w, quantile);
    if (final_tolerance >= 0) next = std::max(next, final_tolerance);
    if (next < gen.tolerance) return next;
    double below = -1;
    for (double x : d)
        if (x < gen.tolerance) below = std::max(below, x);
    if (below < 0) return std::nullopt;
    return final_tolerance >= 0 ? std::max(below, final_tolerance) : below;
}

// Generation 0 has no run with a value for every target: bad input (exit 2), located at the
// first target that no run could compute.
[[noreturn]] void undefined_targets(const std::vector<CalibrationTarget>& targets,
                                    const CalibrationGeneration& gen) {
    const std::string why = " (a ratio with a zero denominator, or a KPI undefined at its date)";
    const std::size_t s = targets.size();
    for (std::size_t t = 0; t < s; ++t) {
        bool defined = false;
        for (std::size_t i = t; i < gen.simulated.size() && !defined; i += s)
            defined = std::isfinite(gen.simulated[i]);
        if (!defined)
            throw UndefinedTargets(targets[t].kpi_where, targets[t].kpi_key,
                            "no run drawn from the prior gave target '" + targets[t].name +
                                "' a value" + why);
    }
    throw UndefinedTargets(targets.front().where, targets.front().path,
                           "no run drawn from the prior gave a value to every target at once" +
                               why);
}

}  // namespace

CalibrationResult Calibration::run(UnitStore* store) const {
    const auto started = std::chrono::steady_clock::now();
    State state;
    if (store) {
        const auto ids = store->ids();
        state.stored.insert(ids.begin(), ids.end());
    }
    CalibrationResult result;
    // The kernel and state.previous point into the last generation; both are pointed again
    // after every push_back, so a reallocation beyond this reserve leaves nothing dangling.
    result.generations.reserve(std::min<std::size_t>(options_.max_generations, 64));
    const std::uint64_t r = options_.replications;
    double tolerance = kInfinity;
    for (std::size_t g = 0; g < options_.max_generations; ++g) {
        CalibrationGeneration gen;
        if (!run_generation(state, g, tolerance, store, gen)) break;
        if (g == 0 && !std::isfinite(*std::min_element(gen.distances.begin(), gen.distances.end())))
            undefined_targets(targets_, gen);
        result.generations.push_back(std::move(gen));
        const CalibrationGeneration& last = result.generations.back();
        state.previous = &last.population;
        state.kernel = std::make_unique<abc::Kernel>(last.population);
        if (options_.final_tolerance >= 0 && last.tolerance <= options_.final_tolerance) {
            state.stopped = "the final tolerance was reached";
            break;
        }
        if (g + 1 == options_.max_generations) {
            state.stopped = "the last generation (--max-generations) was reached";
            break;
        }
        const auto next = next_tolerance(last, r, options_.quantile, options_.final_tolerance);
        if (!next) {
            state.stopped = "the tolerance cannot shrink further (every accepted run is at the "
                            "same distance)";
            break;
        }
        tolerance = *next;
    }
    if (result.generations.empty())
        throw std::runtime_error("no generation completed: " + state.stopped);
    result.stopped = state.stopped;
    for (const auto& gen : result.generations) result.simulations += gen.simulations(r);
    const abc::Population& posterior = result.generations.back().population;
    state.previous = &posterior;
    state.cumulative.resize(posterior.size());
    std::partial_sum(posterior.weights.begin(), posterior.weights.end(), state.cumulative.begin());
    for (std::size_t i = 0; i < space_.size(); ++i) {
        std::vector<double> x(posterior.size());
        for (std::size_t p = 0; p < posterior.size(); ++p)
            x[p] = space_[i].number_at(posterior.particle(p)[i]);
        result.posterior.push_back(abc::summarise_weighted(x, posterior.weights));
    }
    predictive_check(state, store, result);
    result.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

// Runs drawn from the posterior (one per draw, a particle chosen by weight): each target's
// predictive distribution, to set against its observed value.
void Calibration::predictive_check(State& state, UnitStore* store,
                                   CalibrationResult& result) const {
    const std::size_t m = options_.predictive ? options_.predictive : options_.particles;
    std::vector<std::uint64_t> ids;
    for (std::size_t i = 0; i < m; ++i)
        ids.push_back(calibration_unit_id(kPredictiveGeneration, i, 1, 0));
    const std::vector<double> values =
        batch_values(state, ids, store, "calibration predictive check");
    const std::size_t s = targets_.size();
    for (std::size_t t = 0; t < s; ++t) {
        TargetPredictive check;
        std::vector<double> defined;
        for (std::size_t i = 0; i < m; ++i) {
            const double v = values[i * s + t];
            check.draws.push_back(v);
            if (std::isfinite(v))
                defined.push_back(v);
            else
                ++check.undefined;
        }
        if (!defined.empty()) {
            check.summary =
                abc::summarise_weighted(defined, std::vector<double>(defined.size(), 1.0));
            check.share_below =
                static_cast<double>(std::count_if(defined.begin(), defined.end(),
                                                  [&](double v) { return v <= targets_[t].value; })) /
                static_cast<double>(defined.size());
        } else {
            check.summary = {NAN, NAN, NAN, NAN, NAN};
            check.share_below = NAN;
        }
        result.predictive.push_back(std::move(check));
    }
}

void Calibration::write_targets(const hdf5::Group& root) const {
    const hdf5::Group group = root.create_group("targets");
    std::vector<std::string> names, kpis, dates;
    std::vector<double> values, scales;
    for (const auto& t : targets_) {
        names.push_back(t.name);
        kpis.push_back(t.kpi_text());
        dates.push_back(t.date_text());
        values.push_back(t.value);
        scales.push_back(t.scale);
    }
    group.write_strings("names", names);
    group.write_strings("kpis", kpis);
    group.write_strings("dates", dates).set_attr_string(
        "meaning", "the observation date (a range: uniform over it); empty: the run's last day");
    group.write_dataset("values", std::span<const double>(values));
    group.write_dataset("scales", std::span<const double>(scales));
}

void Calibration::write_generations(const hdf5::Group& root, const CalibrationResult& result) const {
    const hdf5::Group group = root.create_group("generations");
    const std::size_t d = space_.size(), s = targets_.size();
    const std::uint64_t r = options_.replications;
    std::vector<double> tolerance, proposals, simulations, rate, ess;
    for (std::size_t g = 0; g < result.generations.size(); ++g) {
        const auto& gen = result.generations[g];
        tolerance.push_back(gen.tolerance);
        proposals.push_back(static_cast<double>(gen.proposals));
        simulations.push_back(static_cast<double>(gen.simulations(r)));
        rate.push_back(gen.acceptance_rate());
        ess.push_back(gen.effective_sample_size);
        const hdf5::Group one = group.create_group(std::to_string(g));
        const std::size_t n = gen.population.size();
        std::vector<double> x(n * d);
        for (std::size_t p = 0; p < n; ++p)
            for (std::size_t i = 0; i < d; ++i)
                x[p * d + i] = space_[i].number_at(gen.population.particle(p)[i]);
        one.write_array("parameters", x, {n, d}).set_attr_string("dimensions", "particle,parameter");
        one.write_array("unit", gen.population.u, {n, d})
            .set_attr_string("dimensions", "particle,parameter");
        one.write_dataset("weights", std::span<const double>(gen.population.weights))
            .set_attr_string("dimensions", "particle");
        one.write_array("distances", gen.distances, {n, r})
            .set_attr_string("dimensions", "particle,replication");
        one.write_array("simulated", gen.simulated, {n, r, s})
            .set_attr_string("dimensions", "particle,replication,target");
        one.set_attr_double("tolerance", gen.tolerance);
    }
    group.write_dataset("tolerance", std::span<const double>(tolerance));
    group.write_dataset("proposals", std::span<const double>(proposals));
    group.write_dataset("simulations", std::span<const double>(simulations));
    group.write_dataset("acceptance_rate", std::span<const double>(rate));
    group.write_dataset("effective_sample_size", std::span<const double>(ess));
}

void Calibration::write(const std::string& path, const CalibrationResult& result,
                        const Manifest& manifest) const {
    hdf5::write_file_atomically(path, [&](hdf5::File& file) {
        file.set_attr_string("schema", "essaim-calibration");
        file.set_attr_int("schema_version", kOutputSchemaVersion);
        const hdf5::Group group = model_.write_manifest(file, *base_, manifest);
        group.set_attr_uint("particles", options_.particles);
        group.set_attr_uint("replications", options_.replications);
        group.set_attr_double("quantile", options_.quantile);
        group.set_attr_double("final_tolerance", options_.final_tolerance);
        group.set_attr_double("min_acceptance", options_.min_acceptance);
        group.set_attr_uint("simulations", result.simulations);
        group.set_attr_string("stopped", result.stopped);
        model_.write_units(file, {base_.get()});
        const hdf5::Group space = file.create_group("space");
        space.write_strings("space", {space_text(space_)});
        std::vector<std::string> names, keys;
        for (const auto& p : space_) {
            names.push_back(p.name);
            keys.push_back(p.key + (p.scale ? "*" : ""));
        }
        space.write_strings("names", names);
        space.write_strings("keys", keys);
        write_targets(file);
        write_generations(file, result);
        const std::size_t d = space_.size(), s = targets_.size();
        std::vector<double> posterior;
        for (const auto& p : result.posterior)
            posterior.insert(posterior.end(), {p.mean, p.sd, p.q05, p.q50, p.q95});
        const hdf5::Group post = file.create_group("posterior");
        auto summary = post.write_array("summary", posterior, {d, 5});
        summary.set_attr_string("dimensions", "parameter,statistic");
        summary.set_attr_strings("parameters", names);
        summary.set_attr_strings("statistics", {"mean", "sd", "q05", "q50", "q95"});
        post.set_attr_double("tolerance", result.generations.back().tolerance);
        post.set_attr_uint("accepted", result.generations.back().population.size());
        const hdf5::Group pred = file.create_group("predictive");
        std::vector<double> draws, stats, below;
        const std::size_t m = result.predictive.empty() ? 0 : result.predictive.front().draws.size();
        draws.resize(m * s);
        for (std::size_t t = 0; t < s; ++t) {
            const auto& c = result.predictive[t];
            for (std::size_t i = 0; i < m; ++i) draws[i * s + t] = c.draws[i];
            stats.insert(stats.end(),
                         {c.summary.mean, c.summary.sd, c.summary.q05, c.summary.q50, c.summary.q95});
            below.push_back(c.share_below);
        }
        pred.write_array("draws", draws, {m, s}).set_attr_string("dimensions", "draw,target");
        auto ps = pred.write_array("summary", stats, {s, 5});
        ps.set_attr_string("dimensions", "target,statistic");
        ps.set_attr_strings("statistics", {"mean", "sd", "q05", "q50", "q95"});
        pred.write_dataset("share_below", std::span<const double>(below))
            .set_attr_string("meaning", "P(simulated <= observed) under the posterior predictive");
    });
}

}  // namespace essaim::experiment
