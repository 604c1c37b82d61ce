#include "experiment/sweep.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "experiment/distributed.hpp"
#include "experiment/ensemble.hpp"
#include "experiment/executor.hpp"
#include "sim/hdf5_file.hpp"
#include "sim/progress.hpp"
#include "sim/run_loop.hpp"
#include "sim/sha256.hpp"
#include "sim/variable_attributes.hpp"

namespace essaim::experiment {
namespace {

// Settings are stored one line each ("key=value") in the store's meta and the fingerprint.
std::string settings_text(const std::vector<SweepPoint>& points) {
    std::string out;
    for (const auto& point : points) {
        for (const auto& [key, value] : point.settings) out += key + "=" + value + "\t";
        out += "\n";
    }
    return out;
}

void write_points(const hdf5::Group& root, const std::vector<SweepPoint>& points) {
    const hdf5::Group group = root.create_group("points");
    std::vector<std::string> keys, values;
    for (const auto& [key, value] : points.front().settings) keys.push_back(key);
    for (const auto& point : points)
        for (const auto& [key, value] : point.settings) values.push_back(value);
    group.write_strings("keys", keys).set_attr_string("dimensions", "key");
    const auto dataset = group.write_strings("values", values);
    dataset.set_attr_uint("n_points", points.size());
    dataset.set_attr_uint("n_keys", keys.size());
    dataset.set_attr_string("dimensions", "point,key");
}

void write_statistics(const hdf5::Group& root, const Sweep& sweep, const SweepResult& r) {
    const std::size_t rows = r.rows.size(), n_kpis = r.n_kpis;
    const auto& kpis = sweep.model().kpis();
    std::vector<double> summary_values;
    std::vector<std::int32_t> table_point;
    std::vector<std::string> table_territory, table_kpi, table_statistic;
    std::vector<double> table_value;
    for (std::size_t i = 0; i < r.kpi_summary.size(); ++i) {
        const std::size_t p = i / rows, row = i % rows;
        for (std::size_t k = 0; k < n_kpis; ++k) {
            const analysis::Summary& s = r.kpi_summary[i][k];
            const std::array<double, kKpiStatistics.size()> stats{
                double(s.n), s.mean, s.sd,  s.se,  s.ci95_low, s.ci95_high,
                s.q05,       s.q25,  s.q50, s.q75, s.q95,      s.replications_for_1pct};
            for (std::size_t j = 0; j < stats.size(); ++j) {
                summary_values.push_back(stats[j]);
                table_point.push_back(static_cast<std::int32_t>(p));
                table_territory.push_back(r.rows[row]);
                table_kpi.push_back(kpis[k].name);
                table_statistic.push_back(kKpiStatistics[j]);
                table_value.push_back(stats[j]);
            }
        }
    }
    const auto summary = root.create_group("summary").write_array(
        "kpis", summary_values, {r.points, rows, n_kpis, kKpiStatistics.size()});
    describe_variables(summary, "kpis", kpis);
    summary.set_attr_strings("territories", r.rows);
    summary.set_attr_strings("statistics", {kKpiStatistics.begin(), kKpiStatistics.end()});
    summary.set_attr_string("dimensions", "point,territory,kpi,statistic");

    const hdf5::Group table = root.create_group("table");
    table.set_attr_string("description",
                          "tidy table: one row per point, territory, KPI and statistic");
    table.write_dataset("point", std::span<const std::int32_t>(table_point))
        .set_attr_string("dimensions", "row");
    table.write_strings("territory", table_territory).set_attr_string("dimensions", "row");
    table.write_strings("kpi", table_kpi).set_attr_string("dimensions", "row");
    table.write_strings("statistic", table_statistic).set_attr_string("dimensions", "row");
    table.write_dataset("value", std::span<const double>(table_value))
        .set_attr_string("dimensions", "row");
}

}  // namespace

Sweep::Sweep(const Model& model, std::vector<SweepPoint> points, SweepOptions options)
    : model_(model), points_(std::move(points)), options_(std::move(options)) {
    if (points_.empty()) throw std::invalid_argument("sweep: no design points");
    const auto units = points_.front().scenario->units();
    for (std::size_t p = 1; p < points_.size(); ++p) {
        if (points_[p].scenario->units() != units)
            throw std::invalid_argument("sweep: design point " + std::to_string(p) +
                                        " does not have the territories of point 0");
        bool same = points_[p].settings.size() == points_.front().settings.size();
        for (std::size_t k = 0; same && k < points_[p].settings.size(); ++k)
            same = points_[p].settings[k].first == points_.front().settings[k].first;
        if (!same)
            throw std::invalid_argument("sweep: design point " + std::to_string(p) +
                                        " does not set the keys of point 0, in the same order");
    }
}

std::string Sweep::fingerprint() const {
    std::string text = "essaim-sweep\nessaim " ESSAIM_VERSION "\nmodel " + model_.name() +
                       "\nseed " + std::to_string(options_.seed) + "\nreplications " +
                       std::to_string(options_.replications) + "\nengine " + options_.engine +
                       "\npoints\n" + settings_text(points_);
    for (const auto& point : points_) text += "scenario\n" + point.scenario->source_text();
    return sha256_hex(text);
}

std::map<std::string, std::string> Sweep::store_meta(std::uint64_t shard,
                                                     std::uint64_t shards) const {
    std::string texts;
    for (const auto& point : points_) texts += sha256_hex(point.scenario->source_text()) + "\n";
    return {{"fingerprint", fingerprint()},
            {"kind", "sweep"},
            {"essaim_version", ESSAIM_VERSION},
            {"model", model_.name()},
            {"scenario_name", points_.front().scenario->name()},
            {"scenario_path", points_.front().scenario->source_path()},
            {"scenario_text", texts},
            {"base_text", options_.base_text},
            {"base_path", options_.base_path},
            {"points", settings_text(points_)},
            {"seed", std::to_string(options_.seed)},
            {"replications", std::to_string(options_.replications)},
            {"engine", options_.engine},
            {"shard", std::to_string(shard)},
            {"shards", std::to_string(shards)}};
}

std::uint64_t Sweep::estimate_bytes() const {
    double largest = 0, kpis = 0;
    for (const auto& point : points_) {
        largest = std::max(largest, static_cast<double>(model_.estimate_run_bytes(
                                        *point.scenario, {false, false, options_.engine})));
        kpis += static_cast<double>(options_.replications) *
                (static_cast<double>(point.scenario->units().size()) + 1) *
                static_cast<double>(model_.kpis().size()) * 8;
    }
    const double total = 2.0 * effective_threads(options_.threads) * largest + kpis;
    return total >= 1.8e19 ? UINT64_MAX : static_cast<std::uint64_t>(total);
}

void Sweep::compute(UnitStore* store, std::uint64_t shard, std::uint64_t shards) const {
    const auto missing =
        store ? missing_units(units(), store->ids(), shard, shards) : std::vector<std::uint64_t>{};
    Progress progress("sweep " + points_.front().scenario->name(), missing.size(),
                      options_.quiet || !store ? Progress::Mode::quiet : Progress::Mode::automatic);
    const UnitRequest request{false, false, options_.engine};
    const std::uint64_t r = options_.replications;
    distributed::compute(
        store, missing, options_.threads,
        [&](std::uint64_t id) {
            return encode(model_.run(*points_[id / r].scenario, options_.seed, id % r, request));
        },
        &progress);
}

SweepResult Sweep::reduce(const std::function<std::vector<std::uint8_t>(std::uint64_t)>& unit,
                          const std::string& output, const Manifest& manifest) const {
    const auto started = std::chrono::steady_clock::now();
    SweepResult result;
    result.points = points_.size();
    result.replications = options_.replications;
    result.rows = points_.front().scenario->units();
    result.rows.push_back("total");
    result.n_kpis = model_.kpis().size();
    const std::size_t rows = result.rows.size(), per_unit = rows * result.n_kpis;
    result.replication_kpis.assign(units() * per_unit, std::numeric_limits<double>::quiet_NaN());
    for (std::uint64_t id = 0; id < units(); ++id) {
        const DecodedUnit decoded = decode(unit(id));
        if (decoded.kpis.size() != per_unit)
            throw StoreError("unit " + std::to_string(id) + " does not hold this sweep's KPIs");
        std::copy(decoded.kpis.begin(), decoded.kpis.end(),
                  result.replication_kpis.begin() + static_cast<std::ptrdiff_t>(id * per_unit));
    }
    std::vector<double> values(options_.replications);
    for (std::size_t p = 0; p < points_.size(); ++p)
        for (std::size_t row = 0; row < rows; ++row) {
            std::vector<analysis::Summary> summaries(result.n_kpis);
            for (std::size_t k = 0; k < result.n_kpis; ++k) {
                for (std::uint64_t r = 0; r < options_.replications; ++r)
                    values[r] =
                        result.replication_kpis[((p * options_.replications + r) * rows + row) *
                                                    result.n_kpis +
                                                k];
                summaries[k] = analysis::summarise(values);
            }
            result.kpi_summary.push_back(std::move(summaries));
        }
    result.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (output.empty()) return result;
    hdf5::write_file_atomically(output, [&](hdf5::File& file) {
        file.set_attr_string("schema", "essaim-sweep");
        file.set_attr_int("schema_version", kOutputSchemaVersion);
        const hdf5::Group group = model_.write_manifest(file, *points_.front().scenario, manifest);
        group.set_attr_uint("replications", options_.replications);
        group.set_attr_uint("points", points_.size());
        std::vector<const ModelScenario*> scenarios;
        for (const auto& point : points_) scenarios.push_back(point.scenario.get());
        model_.write_units(file, scenarios);
        write_points(file, points_);
        const auto kpis =
            file.create_group("replications")
                .write_array("kpis", result.replication_kpis,
                             {points_.size(), options_.replications, rows, result.n_kpis});
        describe_variables(kpis, "kpis", model_.kpis());
        kpis.set_attr_strings("territories", result.rows);
        kpis.set_attr_string("dimensions", "point,replication,territory,kpi");
        write_statistics(file, *this, result);
    });
    return result;
}

Sweep sweep_of_store(const std::map<std::string, std::string>& meta,
                     const std::function<const Model*(const std::string&)>& find_model) {
    auto value = [&](const char* key) -> const std::string& {
        const auto it = meta.find(key);
        if (it == meta.end())
            throw StoreError(std::string("not a sweep's unit store (no ") + key + ")");
        return it->second;
    };
    if (value("kind") != "sweep")
        throw StoreError("a unit store of a " + value("kind") + ", not of a sweep");
    const Model* model = find_model(value("model"));
    if (model == nullptr) throw StoreError("a unit store of the unknown model " + value("model"));
    SweepOptions options;
    options.base_text = value("base_text");
    options.base_path = value("base_path");
    options.seed = std::stoull(value("seed"));
    options.replications = std::stoull(value("replications"));
    options.engine = value("engine");
    std::vector<SweepPoint> points;
    std::istringstream lines(value("points"));
    for (std::string line; std::getline(lines, line);) {
        SweepPoint point;
        std::vector<std::string> overrides;
        std::istringstream fields(line);
        for (std::string field; std::getline(fields, field, '\t');) {
            const auto equals = field.find('=');
            point.settings.emplace_back(field.substr(0, equals), field.substr(equals + 1));
            overrides.push_back(field);
        }
        point.scenario = model->load_text(options.base_text, options.base_path, overrides);
        points.push_back(std::move(point));
    }
    Sweep sweep(*model, std::move(points), options);
    if (sweep.fingerprint() != value("fingerprint"))
        throw StoreError("the sweep rebuilt from the store does not match its fingerprint");
    return sweep;
}

}  // namespace essaim::experiment
