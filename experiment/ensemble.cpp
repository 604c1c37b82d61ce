#include "experiment/ensemble.hpp"

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>

#include "experiment/distributed.hpp"
#include "experiment/executor.hpp"
#include "sim/hdf5_file.hpp"
#include "sim/progress.hpp"
#include "sim/run_loop.hpp"
#include "sim/sha256.hpp"
#include "sim/variable_attributes.hpp"

namespace essaim::experiment {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::string> rows_with_total(const ModelScenario& scenario) {
    std::vector<std::string> names = scenario.units();
    names.push_back("total");
    return names;
}

double machine_memory() {
    return static_cast<double>(sysconf(_SC_PHYS_PAGES)) *
           static_cast<double>(sysconf(_SC_PAGE_SIZE));
}

// What the reduction keeps of the daily series: every replication's cells when they fit in the
// memory limit (exact per-cell quantiles), else running means and variances per unit cell
// (Welford) and every replication's total cells only.
struct SeriesPlan {
    std::size_t days = 0, rows = 0, variables = 0;
    std::size_t cells = 0;        // days x rows x variables
    std::size_t total_cells = 0;  // days x variables
    bool keep_all = true;
};

SeriesPlan plan_series(const Ensemble& e) {
    SeriesPlan plan;
    if (e.options().kpis_only || e.model().series().empty()) return plan;
    plan.days = e.scenario().dates().size();
    plan.rows = e.scenario().units().size() + 1;
    plan.variables = e.model().series().size();
    plan.cells = plan.days * plan.rows * plan.variables;
    plan.total_cells = plan.days * plan.variables;
    const double replications = static_cast<double>(e.options().replications);
    const double limit = e.options().series_memory_limit > 0 ? e.options().series_memory_limit
                                                             : 0.5 * machine_memory();
    plan.keep_all = replications * static_cast<double>(plan.cells) * sizeof(float) <= limit;
    const double fallback = replications * static_cast<double>(plan.total_cells) * sizeof(float) +
                            static_cast<double>(plan.cells) * 2 * sizeof(double);
    if (!plan.keep_all && fallback > limit) {
        char message[400];
        std::snprintf(
            message, sizeof message,
            "ensemble: the daily series statistics of %llu replications need %.3g GiB even "
            "without per-territory quantiles, more than the %.3g GiB allowed; use fewer "
            "replications, or `essaim sweep` (KPIs only)",
            static_cast<unsigned long long>(e.options().replications), fallback / 1073741824.0,
            limit / 1073741824.0);
        throw EnsembleTooLarge(message);
    }
    return plan;
}

// The running state of the reduction: units are added in id order.
class Reduction {
public:
    Reduction(const Ensemble& e, const SeriesPlan& plan)
        : e_(e), plan_(plan), replications_(e.options().replications) {
        result_.replications = replications_;
        result_.rows = e.scenario().units().size() + 1;
        result_.n_kpis = e.model().kpis().size();
        result_.n_days = static_cast<int>(plan.days);
        result_.unit_series_quantiles = plan.keep_all;
        result_.replication_kpis.assign(replications_ * result_.rows * result_.n_kpis, kNaN);
        if (plan.cells > 0) {
            series_.resize(replications_ * (plan.keep_all ? plan.cells : plan.total_cells));
            if (!plan.keep_all) {
                running_mean_.assign(plan.cells, 0.0);
                running_m2_.assign(plan.cells, 0.0);
            }
        }
    }

    void add(std::uint64_t replication, const DecodedUnit& unit, const std::vector<float>& series) {
        const std::size_t per_unit = result_.rows * result_.n_kpis;
        if (unit.kpis.size() != per_unit)
            throw StoreError("unit " + std::to_string(replication) +
                             " does not hold the KPIs of this ensemble");
        std::copy(
            unit.kpis.begin(), unit.kpis.end(),
            result_.replication_kpis.begin() + static_cast<std::ptrdiff_t>(replication * per_unit));
        if (plan_.cells > 0) add_series(replication, series);
        survival_.add(unit.survival);
        result_.agent_days += unit.agent_days;
    }

    EnsembleResult finish(int threads) {
        summarise_kpis();
        if (plan_.cells > 0) summarise_series(threads);
        if (!survival_.curves.empty()) result_.survival = curves(threads);
        return std::move(result_);
    }

private:
    // Each unit's float series (day x unit x variable) and its total row, summed in float in
    // unit order, laid out day x (units + total) x variable.
    void add_series(std::uint64_t replication, const std::vector<float>& values) {
        const std::size_t units = plan_.rows - 1, v_n = plan_.variables;
        if (values.size() != plan_.days * units * v_n)
            throw StoreError("unit " + std::to_string(replication) +
                             " does not hold the daily series of this ensemble");
        std::vector<float> cells(plan_.cells);
        const std::size_t day_size = units * v_n;
        for (std::size_t d = 0; d < plan_.days; ++d) {
            float* out = &cells[d * plan_.rows * v_n];
            const float* day = &values[d * day_size];
            std::copy_n(day, day_size, out);
            const std::span<const float> previous =
                d == 0 ? std::span<const float>() : std::span<const float>(day - day_size, day_size);
            e_.model().series_total({day, day_size}, previous, {out + day_size, v_n});
        }
        if (plan_.keep_all) {
            std::copy(cells.begin(), cells.end(),
                      series_.begin() + static_cast<std::ptrdiff_t>(replication * plan_.cells));
            return;
        }
        const double n = static_cast<double>(replication + 1);
        for (std::size_t c = 0; c < plan_.cells; ++c) {  // Welford's update
            const double x = cells[c], delta = x - running_mean_[c];
            running_mean_[c] += delta / n;
            running_m2_[c] += delta * (x - running_mean_[c]);
        }
        float* total = &series_[replication * plan_.total_cells];
        for (std::size_t d = 0; d < plan_.days; ++d)
            std::copy_n(&cells[(d * plan_.rows + units) * v_n], v_n, total + d * v_n);
    }

    void summarise_kpis() {
        result_.kpi_summary.assign(result_.rows, std::vector<analysis::Summary>(result_.n_kpis));
        std::vector<double> values(replications_);
        for (std::size_t row = 0; row < result_.rows; ++row)
            for (std::size_t k = 0; k < result_.n_kpis; ++k) {
                for (std::uint64_t r = 0; r < replications_; ++r)
                    values[r] = result_.kpi(r, row, k);
                result_.kpi_summary[row][k] = analysis::summarise(values);
            }
    }

    void summarise_series(int threads) {
        if (plan_.keep_all) {
            result_.series_summary =
                analysis::summarise_cells(series_, replications_, plan_.cells, threads);
            return;
        }
        const std::vector<double> totals =
            analysis::summarise_cells(series_, replications_, plan_.total_cells, threads);
        constexpr std::size_t kStats = kSeriesStatistics.size();
        result_.series_summary.assign(plan_.cells * kStats, kNaN);
        const double n = static_cast<double>(replications_);
        const double t975 = replications_ > 1 ? analysis::student_t_quantile(0.975, n - 1) : kNaN;
        const std::size_t v_n = plan_.variables;
        for (std::size_t c = 0; c < plan_.cells; ++c) {
            const std::size_t day = c / (plan_.rows * v_n), row = c / v_n % plan_.rows, v = c % v_n;
            double* o = &result_.series_summary[c * kStats];
            if (row == plan_.rows - 1) {
                std::copy_n(&totals[(day * v_n + v) * kStats], kStats, o);
                continue;
            }
            const double sd = replications_ > 1 ? std::sqrt(running_m2_[c] / (n - 1)) : kNaN;
            o[0] = running_mean_[c];
            o[1] = sd;
            o[2] = sd / std::sqrt(n);
            o[3] = o[0] - t975 * o[2];
            o[4] = o[0] + t975 * o[2];
        }
    }

    // Kaplan-Meier of every (curve, group) from the pooled counts, in that order.
    std::vector<SurvivalResult> curves(int threads) const {
        const SurvivalTally& s = survival_;
        const std::size_t n = s.curves.size() * s.groups.size();
        std::vector<SurvivalResult> results(n);
        tbb::task_arena arena(effective_threads(threads));
        arena.execute([&] {
            tbb::parallel_for(std::size_t(0), n, [&](std::size_t i) {
                const std::size_t curve = i / s.groups.size(), group = i % s.groups.size();
                const auto first = static_cast<std::ptrdiff_t>(s.index(curve, group, 0));
                const auto last = first + static_cast<std::ptrdiff_t>(s.times);
                results[i] = {s.curves[curve], s.groups[group],
                              analysis::kaplan_meier_counts(
                                  {s.events.begin() + first, s.events.begin() + last},
                                  {s.censored.begin() + first, s.censored.begin() + last})};
            });
        });
        return results;
    }

    const Ensemble& e_;
    SeriesPlan plan_;
    std::uint64_t replications_;
    EnsembleResult result_;
    std::vector<float> series_;
    std::vector<double> running_mean_, running_m2_;
    SurvivalTally survival_;
};

void write_kpi_summary(const hdf5::Group& summary, const Ensemble& e, const EnsembleResult& r) {
    std::vector<double> table;
    for (const auto& row : r.kpi_summary)
        for (const analysis::Summary& s : row)
            table.insert(table.end(), {double(s.n), s.mean, s.sd, s.se, s.ci95_low, s.ci95_high,
                                       s.q05, s.q25, s.q50, s.q75, s.q95, s.replications_for_1pct});
    const auto kpis = summary.write_array("kpis", table, {r.rows, r.n_kpis, kKpiStatistics.size()});
    describe_variables(kpis, "kpis", e.model().kpis());
    kpis.set_attr_strings("territories", rows_with_total(e.scenario()));
    kpis.set_attr_strings("statistics", {kKpiStatistics.begin(), kKpiStatistics.end()});
    kpis.set_attr_string("dimensions", "territory,kpi,statistic");
}

void write_series_summary(const hdf5::Group& summary, const Ensemble& e, const EnsembleResult& r) {
    const auto series = summary.write_array(
        "series", r.series_summary,
        {std::size_t(r.n_days), r.rows, e.model().series().size(), kSeriesStatistics.size()});
    describe_variables(series, "variables", e.model().series());
    series.set_attr_strings("territories", rows_with_total(e.scenario()));
    series.set_attr_strings("statistics", {kSeriesStatistics.begin(), kSeriesStatistics.end()});
    series.set_attr_string("dimensions", "day,territory,variable,statistic");
    // 0 when memory allowed quantiles for the total only (per-territory quantiles are NaN).
    series.set_attr_int("territory_quantiles", r.unit_series_quantiles ? 1 : 0);
    summary.write_strings("dates", e.scenario().dates()).set_attr_string("dimensions", "day");
}

void write_survival(const hdf5::Group& root, const EnsembleResult& result) {
    const hdf5::Group survival = root.create_group("survival");
    survival.set_attr_string("band", "95% pointwise, log-log transform of Greenwood's variance");
    survival.set_attr_string("time_unit", "days since entry");
    std::map<std::string, hdf5::Group> opened;
    auto group_at = [&](const std::string& path) -> const hdf5::Group& {
        // Creates intermediate groups ("time_to_first_job", "time_to_first_job/territory") once.
        std::string prefix;
        const hdf5::Group* parent = &survival;
        std::size_t start = 0;
        while (start <= path.size()) {
            const std::size_t slash = path.find('/', start);
            const std::string part =
                path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
            prefix += (prefix.empty() ? "" : "/") + part;
            auto it = opened.find(prefix);
            if (it == opened.end()) it = opened.emplace(prefix, parent->create_group(part)).first;
            parent = &it->second;
            if (slash == std::string::npos) break;
            start = slash + 1;
        }
        return *parent;
    };
    for (const SurvivalResult& s : result.survival) {
        const hdf5::Group& g = group_at(s.curve + "/" + s.group);
        for (const auto& [name, values] :
             {std::pair{"time", &s.km.time}, std::pair{"at_risk", &s.km.at_risk},
              std::pair{"events", &s.km.events}, std::pair{"survival", &s.km.survival},
              std::pair{"lower", &s.km.lower}, std::pair{"upper", &s.km.upper}})
            g.write_dataset(name, std::span<const double>(*values))
                .set_attr_string("dimensions", "event_time");
        g.set_attr_double("n", s.km.n);
        g.set_attr_double("n_events", s.km.n_events);
        g.set_attr_double("median", s.km.median);
        g.set_attr_double("median_lower", s.km.median_lower);
        g.set_attr_double("median_upper", s.km.median_upper);
    }
}

}  // namespace

Ensemble::Ensemble(const Model& model, std::shared_ptr<const ModelScenario> scenario,
                   EnsembleOptions options)
    : model_(model), scenario_(std::move(scenario)), options_(options) {}

std::string Ensemble::fingerprint() const {
    const UnitRequest r = request();
    return sha256_hex("essaim-ensemble\nessaim " ESSAIM_VERSION "\nmodel " + model_.name() +
                      "\nseed " + std::to_string(options_.seed) + "\nreplications " +
                      std::to_string(options_.replications) + "\nseries " +
                      std::to_string(r.series) + "\nsurvival " + std::to_string(r.survival) +
                      "\nengine " + r.engine + "\nscenario\n" + scenario_->source_text());
}

std::map<std::string, std::string> Ensemble::store_meta(std::uint64_t shard,
                                                        std::uint64_t shards) const {
    return {{"fingerprint", fingerprint()},
            {"kind", "ensemble"},
            {"essaim_version", ESSAIM_VERSION},
            {"model", model_.name()},
            {"scenario_name", scenario_->name()},
            {"scenario_path", scenario_->source_path()},
            {"scenario_text", scenario_->source_text()},
            {"seed", std::to_string(options_.seed)},
            {"replications", std::to_string(options_.replications)},
            {"kpis_only", options_.kpis_only ? "1" : "0"},
            {"engine", options_.engine},
            {"shard", std::to_string(shard)},
            {"shards", std::to_string(shards)}};
}

std::uint64_t Ensemble::estimate_bytes() const {
    const double rows = static_cast<double>(scenario_->units().size()) + 1;
    const double days = static_cast<double>(scenario_->dates().size());
    const double cells =
        options_.kpis_only ? 0 : days * rows * static_cast<double>(model_.series().size());
    const double in_flight = 2.0 * effective_threads(options_.threads);
    const double run = static_cast<double>(model_.estimate_run_bytes(*scenario_, request()));
    const double kept = static_cast<double>(options_.replications) * cells * sizeof(float);
    const double summaries = cells * kSeriesStatistics.size() * 8;
    const double kpis = static_cast<double>(options_.replications) * rows *
                        static_cast<double>(model_.kpis().size()) * 8;
    const double total = in_flight * (run + 2 * cells * sizeof(float)) + kept + summaries + kpis;
    return total >= 1.8e19 ? UINT64_MAX : static_cast<std::uint64_t>(total);
}

void Ensemble::compute(UnitStore* store, std::uint64_t shard, std::uint64_t shards) const {
    const auto missing = store ? missing_units(options_.replications, store->ids(), shard, shards)
                               : std::vector<std::uint64_t>{};
    Progress progress("ensemble " + scenario_->name(), missing.size(),
                      options_.quiet || !store ? Progress::Mode::quiet : Progress::Mode::automatic);
    const UnitRequest unit_request = request();
    // A store in memory keeps the series as they are: compressing them would cost more than it
    // saves. On disk and between ranks they travel compressed.
    const bool compress = store == nullptr || store->path() != ":memory:";
    distributed::compute(
        store, missing, options_.threads,
        [&](std::uint64_t id) {
            return encode(model_.run(*scenario_, options_.seed, id, unit_request), compress);
        },
        &progress);
}

EnsembleResult Ensemble::reduce(const std::function<std::vector<std::uint8_t>(std::uint64_t)>& unit,
                                const std::string& output, const Manifest& manifest) const {
    const auto started = std::chrono::steady_clock::now();
    const SeriesPlan plan = plan_series(*this);
    const bool store_series = !output.empty() && !options_.summary_only && plan.cells > 0;
    // Under MPI the other ranks have finished when rank 0 reduces: the reduction may use every
    // core of its node, whatever --threads gave each rank for computing.
    const int threads = distributed::size() > 1 ? effective_threads(1 << 16) : options_.threads;
    Reduction reduction(*this, plan);
    // Units are read in id order in blocks; each block is decoded (and its series decompressed,
    // or compressed for the file) in parallel, then added in order.
    auto add_all = [&](const hdf5::SlabWriter* slabs) {
        const std::uint64_t block = 4 * static_cast<std::uint64_t>(effective_threads(threads));
        tbb::task_arena arena(effective_threads(threads));
        for (std::uint64_t first = 0; first < options_.replications; first += block) {
            const std::size_t n =
                static_cast<std::size_t>(std::min(block, options_.replications - first));
            std::vector<std::vector<std::uint8_t>> bytes(n), slab(n);
            for (std::size_t i = 0; i < n; ++i)
                bytes[i] = unit(first + i);  // the store: one thread
            std::vector<DecodedUnit> decoded(n);
            std::vector<std::vector<float>> series(n);
            arena.execute([&] {
                tbb::parallel_for(std::size_t(0), n, [&](std::size_t i) {
                    decoded[i] = decode(bytes[i]);
                    if (plan.cells > 0) series[i] = decompress_series(decoded[i]);
                    if (slabs) slab[i] = compressed_series(decoded[i]);
                });
            });
            for (std::size_t i = 0; i < n; ++i) {
                if (slabs) slabs->write_compressed(first + i, slab[i]);
                reduction.add(first + i, decoded[i], series[i]);
            }
        }
    };
    EnsembleResult result;
    if (output.empty()) {
        add_all(nullptr);
        result = reduction.finish(threads);
    } else {
        hdf5::write_file_atomically(output, [&](hdf5::File& file) {
            file.set_attr_string("schema", "essaim-ensemble");
            file.set_attr_int("schema_version", kOutputSchemaVersion);
            const hdf5::Group manifest_group = model_.write_manifest(file, *scenario_, manifest);
            model_.write_units(file, {scenario_.get()});
            manifest_group.set_attr_uint("replications", options_.replications);
            manifest_group.set_attr_int("summary_only", options_.summary_only ? 1 : 0);
            const hdf5::Group group = file.create_group("replications");
            std::optional<hdf5::SlabWriter> slabs;
            if (store_series) {
                slabs.emplace(group.create_slabs(
                    "series", {options_.replications, plan.days, plan.rows - 1, plan.variables}));
                describe_variables(*slabs, "variables", model_.series());
                slabs->set_attr_strings("territories", scenario_->units());
                slabs->set_attr_string("dimensions", "replication,day,territory,variable");
            }
            add_all(slabs ? &*slabs : nullptr);
            result = reduction.finish(threads);
            const auto kpis =
                group.write_array("kpis", result.replication_kpis,
                                  {options_.replications, result.rows, result.n_kpis});
            describe_variables(kpis, "kpis", model_.kpis());
            kpis.set_attr_strings("territories", rows_with_total(*scenario_));
            kpis.set_attr_string("dimensions", "replication,territory,kpi");
            const hdf5::Group summary = file.create_group("summary");
            write_kpi_summary(summary, *this, result);
            if (plan.cells > 0) write_series_summary(summary, *this, result);
            if (!result.survival.empty()) write_survival(file, result);
        });
    }
    result.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

EnsembleResult run_ensemble(const Ensemble& ensemble, UnitStore& store, const std::string& output,
                            const Manifest& manifest) {
    const auto started = std::chrono::steady_clock::now();
    ensemble.compute(store);
    EnsembleResult result =
        ensemble.reduce([&](std::uint64_t id) { return store.get(id); }, output, manifest);
    result.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

EnsembleResult run_ensemble(const Ensemble& ensemble, const std::string& output,
                            const Manifest& manifest) {
    UnitStore store = UnitStore::create(":memory:", ensemble.store_meta());
    return run_ensemble(ensemble, store, output, manifest);
}

Ensemble ensemble_of_store(const std::map<std::string, std::string>& meta,
                           const std::function<const Model*(const std::string&)>& find_model) {
    auto value = [&](const char* key) -> const std::string& {
        const auto it = meta.find(key);
        if (it == meta.end())
            throw StoreError(std::string("not an ensemble's unit store (no ") + key + ")");
        return it->second;
    };
    if (value("kind") != "ensemble")
        throw StoreError("a unit store of a " + value("kind") + ", not of an ensemble");
    const Model* model = find_model(value("model"));
    if (model == nullptr) throw StoreError("a unit store of the unknown model " + value("model"));
    EnsembleOptions options;
    options.seed = std::stoull(value("seed"));
    options.replications = std::stoull(value("replications"));
    options.kpis_only = value("kpis_only") == "1";
    options.engine = value("engine");
    Ensemble ensemble(*model, model->load_text(value("scenario_text"), value("scenario_path")),
                      options);
    if (ensemble.fingerprint() != value("fingerprint"))
        throw StoreError("the ensemble rebuilt from the store does not match its fingerprint");
    return ensemble;
}

}  // namespace essaim::experiment
