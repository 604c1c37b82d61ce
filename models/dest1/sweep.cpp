#include "models/dest1/sweep.hpp"

#include <chrono>
#include <limits>
#include <stdexcept>

#include "models/dest1/ensemble.hpp"
#include "models/dest1/run.hpp"
#include "sim/hdf5_file.hpp"
#include "sim/progress.hpp"
#include "sim/work_units.hpp"

namespace essaim::dest1 {

SweepResult run_sweep(const std::vector<SweepPoint>& points, const SweepOptions& options,
                      const std::string& output, const RunManifest& manifest) {
    if (points.empty()) throw std::invalid_argument("sweep: no design points");
    const auto started = std::chrono::steady_clock::now();
    const Scenario& first = points.front().scenario;
    SweepResult result;
    for (const auto& t : first.territories) result.territories.push_back(t.name);
    result.territories.push_back("total");
    for (std::size_t p = 1; p < points.size(); ++p) {
        std::vector<std::string> names;
        for (const auto& t : points[p].scenario.territories) names.push_back(t.name);
        names.push_back("total");
        if (names != result.territories)
            throw std::invalid_argument("sweep: design point " + std::to_string(p) +
                                        " does not have the territories of point 0");
    }
    // The file stores one row of values per point under one list of keys.
    for (std::size_t p = 1; p < points.size(); ++p) {
        bool same = points[p].settings.size() == points.front().settings.size();
        for (std::size_t k = 0; same && k < points[p].settings.size(); ++k)
            same = points[p].settings[k].first == points.front().settings[k].first;
        if (!same)
            throw std::invalid_argument("sweep: design point " + std::to_string(p) +
                                        " does not set the keys of point 0, in the same order");
    }
    result.points = points.size();
    result.replications = options.replications;
    result.n_territories = static_cast<int>(first.territories.size());
    const std::size_t rows = result.territories.size();
    const std::size_t per_unit = rows * kKpiCount;
    result.replication_kpis.assign(points.size() * options.replications * per_unit,
                                   std::numeric_limits<double>::quiet_NaN());

    {
        Progress progress("sweep " + first.name, points.size() * options.replications,
                          options.quiet ? Progress::Mode::quiet : Progress::Mode::automatic);
        run_in_order<std::vector<double>>(
            work_units(points.size(), options.replications), options.threads,
            [&](const WorkUnit& unit) {
                RunOptions run_options;
                run_options.seed = options.seed;
                run_options.replication = unit.replication;
                const RunResult r = run(points[unit.point].scenario, run_options);
                std::vector<double> kpis;
                for (const auto& row : r.territory_kpis)
                    kpis.insert(kpis.end(), row.begin(), row.end());
                kpis.insert(kpis.end(), r.total_kpis.begin(), r.total_kpis.end());
                return kpis;
            },
            [&](const WorkUnit& unit, std::vector<double>&& kpis) {
                std::copy(kpis.begin(), kpis.end(),
                          result.replication_kpis.begin() +
                              static_cast<std::ptrdiff_t>(unit.id * per_unit));
                progress.advance();
            });
    }

    std::vector<double> values(options.replications);
    for (std::size_t p = 0; p < points.size(); ++p)
        for (std::size_t row = 0; row < rows; ++row) {
            std::array<analysis::Summary, kKpiCount> summaries;
            for (int k = 0; k < kKpiCount; ++k) {
                for (std::uint64_t r = 0; r < options.replications; ++r)
                    values[r] =
                        result.replication_kpis[((p * options.replications + r) * rows + row) *
                                                    kKpiCount +
                                                k];
                summaries[k] = analysis::summarise(values);
            }
            result.kpi_summary.push_back(summaries);
        }
    result.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    if (output.empty()) return result;
    hdf5::write_file_atomically(output, [&](hdf5::File& file) {
        file.set_attr_string("schema", "essaim-sweep");
        file.set_attr_int("schema_version", kOutputSchemaVersion);
        const Calendar calendar(first.start, first.end);
        const hdf5::Group manifest_group = write_manifest(file, first, manifest, calendar, false);
        manifest_group.set_attr_uint("replications", options.replications);
        manifest_group.set_attr_uint("points", points.size());
        write_territories(file, first);

        const hdf5::Group point_group = file.create_group("points");
        std::vector<std::string> keys, point_values;
        for (const auto& [key, value] : points.front().settings) keys.push_back(key);
        for (const auto& point : points)
            for (const auto& [key, value] : point.settings) point_values.push_back(value);
        point_group.write_strings("keys", keys);
        const auto values_dataset = point_group.write_strings("values", point_values);
        values_dataset.set_attr_uint("n_points", points.size());
        values_dataset.set_attr_uint("n_keys", keys.size());

        const auto kpis =
            file.create_group("replications")
                .write_array("kpis", result.replication_kpis,
                             {points.size(), options.replications, rows, std::size_t(kKpiCount)});
        describe_variables(kpis, "kpis", kpi_variables());
        kpis.set_attr_strings("territories", result.territories);
        kpis.set_attr_string("dimensions", "point,replication,territory,kpi");

        std::vector<double> summary_values;
        std::vector<std::int32_t> table_point;
        std::vector<std::string> table_territory, table_kpi, table_statistic;
        std::vector<double> table_value;
        for (std::size_t i = 0; i < result.kpi_summary.size(); ++i) {
            const std::size_t p = i / rows, row = i % rows;
            for (int k = 0; k < kKpiCount; ++k) {
                const analysis::Summary& s = result.kpi_summary[i][k];
                const std::array<double, kKpiStatistics.size()> stats{
                    double(s.n), s.mean, s.sd,  s.se,  s.ci95_low, s.ci95_high,
                    s.q05,       s.q25,  s.q50, s.q75, s.q95,      s.replications_for_1pct};
                for (std::size_t j = 0; j < stats.size(); ++j) {
                    summary_values.push_back(stats[j]);
                    table_point.push_back(static_cast<std::int32_t>(p));
                    table_territory.push_back(result.territories[row]);
                    table_kpi.push_back(kpi_variables()[k].name);
                    table_statistic.push_back(kKpiStatistics[j]);
                    table_value.push_back(stats[j]);
                }
            }
        }
        const auto summary = file.create_group("summary").write_array(
            "kpis", summary_values,
            {points.size(), rows, std::size_t(kKpiCount), kKpiStatistics.size()});
        describe_variables(summary, "kpis", kpi_variables());
        summary.set_attr_strings("territories", result.territories);
        summary.set_attr_strings("statistics", {kKpiStatistics.begin(), kKpiStatistics.end()});
        summary.set_attr_string("dimensions", "point,territory,kpi,statistic");

        const hdf5::Group table = file.create_group("table");
        table.set_attr_string("description",
                              "tidy table: one row per point, territory, KPI and statistic");
        table.write_dataset("point", std::span<const std::int32_t>(table_point));
        table.write_strings("territory", table_territory);
        table.write_strings("kpi", table_kpi);
        table.write_strings("statistic", table_statistic);
        table.write_dataset("value", std::span<const double>(table_value));
    });
    return result;
}

}  // namespace essaim::dest1
