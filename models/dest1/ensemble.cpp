#include "models/dest1/ensemble.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>

#include "models/dest1/run.hpp"
#include "sim/calendar.hpp"
#include "sim/hdf5_file.hpp"
#include "sim/progress.hpp"
#include "sim/run_loop.hpp"
#include "sim/work_units.hpp"

namespace essaim::dest1 {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// What one entrant adds to the survival curves (kept per replication only, then counted).
struct Entrant {
    float job_time, dropout_time;
    bool job_event, dropout_event;
    std::int16_t territory;
    std::int8_t duration, diploma, barriers;
};

struct ReplicationResult {
    std::vector<double> kpis;        // (territory or total) x kpi
    std::vector<float> series;       // day x (territory or total) x variable
    std::vector<std::uint8_t> slab;  // compressed day x territory x variable, when stored
    std::vector<Entrant> entrants;
    std::uint64_t agent_days = 0;
};

std::vector<Entrant> entrants_of(const AgentTable& agents, int last_day) {
    std::vector<Entrant> out;
    for (std::size_t i = 0; i < agents.size(); ++i) {
        const int entry = agents.entry_day[i];
        if (entry < 0) continue;
        const bool dropped = agents.final_state[i] == kDropped;
        // The parcours ends at exit, dropout or the run's end, whichever comes first.
        const int end =
            agents.exit_day[i] >= 0 ? agents.exit_day[i] : (dropped ? agents.end_day[i] : last_day);
        Entrant e;
        e.job_event = agents.first_job_day[i] >= 0;
        e.job_time = static_cast<float>((e.job_event ? agents.first_job_day[i] : end) - entry);
        e.dropout_event = dropped;
        e.dropout_time = static_cast<float>(end - entry);
        e.territory = static_cast<std::int16_t>(agents.territory[i]);
        e.duration = agents.duration[i];
        e.diploma = agents.diploma[i];
        e.barriers =
            static_cast<std::int8_t>(__builtin_popcount(agents.barriers_at_identification[i]));
        out.push_back(e);
    }
    return out;
}

// Event and censoring counts by day since entry, per group and curve: everything the pooled
// Kaplan-Meier curves need, in memory that does not grow with the number of entrants.
class SurvivalCounts {
public:
    SurvivalCounts(const Scenario& scenario, int max_days)
        : n_territories_(static_cast<int>(scenario.territories.size())), times_(max_days + 1) {
        names_.push_back("all");
        for (const auto& t : scenario.territories) names_.push_back("territory/" + t.name);
        for (const char* d : kDurationNames) names_.push_back(std::string("duration/") + d);
        for (const char* d : kDiplomaNames) names_.push_back(std::string("diploma/") + d);
        for (int k = 0; k <= kBarriers; ++k) names_.push_back("barriers/" + std::to_string(k));
        for (auto* counts : {&job_events_, &job_censored_, &dropout_events_, &dropout_censored_})
            counts->assign(names_.size() * times_, 0.0);
    }

    void add(const Entrant& e) {  // each entrant belongs to five groups
        const int duration0 = 1 + n_territories_, diploma0 = duration0 + kDurationClasses,
                  barriers0 = diploma0 + kDiplomaLevels;
        const auto job = static_cast<std::size_t>(e.job_time),
                   dropout = static_cast<std::size_t>(e.dropout_time);
        for (const int g : {0, 1 + e.territory, duration0 + e.duration, diploma0 + e.diploma,
                            barriers0 + e.barriers}) {
            const std::size_t row = static_cast<std::size_t>(g) * times_;
            (e.job_event ? job_events_ : job_censored_)[row + job] += 1;
            (e.dropout_event ? dropout_events_ : dropout_censored_)[row + dropout] += 1;
        }
    }

    std::vector<SurvivalResult> curves(int threads) const {
        const std::size_t n_groups = names_.size();
        std::vector<SurvivalResult> results(2 * n_groups);
        tbb::task_arena arena(effective_threads(threads));
        arena.execute([&] {
            tbb::parallel_for(std::size_t(0), 2 * n_groups, [&](std::size_t i) {
                const bool job = i < n_groups;
                const std::size_t first = (i % n_groups) * times_;
                auto slice = [&](const std::vector<double>& counts) {
                    return std::vector<double>(
                        counts.begin() + static_cast<std::ptrdiff_t>(first),
                        counts.begin() + static_cast<std::ptrdiff_t>(first + times_));
                };
                results[i] = {
                    job ? "time_to_first_job" : "time_to_dropout", names_[i % n_groups],
                    analysis::kaplan_meier_counts(slice(job ? job_events_ : dropout_events_),
                                                  slice(job ? job_censored_ : dropout_censored_))};
            });
        });
        return results;
    }

private:
    int n_territories_;
    std::size_t times_;
    std::vector<std::string> names_;
    std::vector<double> job_events_, job_censored_, dropout_events_, dropout_censored_;
};

constexpr std::array<double, 5> kQuantiles{0.05, 0.25, 0.5, 0.75, 0.95};
constexpr double kHistogramRange = 4096;

// Type-7 quantiles (as analysis::quantile_sorted) of n integer values given as counts of
// low + i; writes the five kQuantiles.
void quantiles_from_histogram(const std::vector<std::uint32_t>& counts, double low, std::uint64_t n,
                              double* out) {
    // The order statistics needed, in increasing rank: floor(h) and floor(h) + 1 for each p.
    std::array<std::uint64_t, 10> ranks;
    std::array<double, 10> at;
    for (std::size_t q = 0; q < kQuantiles.size(); ++q) {
        const double h = (static_cast<double>(n) - 1) * kQuantiles[q];
        ranks[2 * q] = static_cast<std::uint64_t>(h);
        ranks[2 * q + 1] = std::min<std::uint64_t>(ranks[2 * q] + 1, n - 1);
    }
    std::size_t next = 0;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; next < ranks.size(); ++i) {
        seen += counts[i];
        while (next < ranks.size() && ranks[next] < seen) at[next++] = low + static_cast<double>(i);
    }
    for (std::size_t q = 0; q < kQuantiles.size(); ++q) {
        const double h = (static_cast<double>(n) - 1) * kQuantiles[q];
        const double fraction = h - std::floor(h);
        out[q] = fraction == 0 ? at[2 * q] : at[2 * q] + fraction * (at[2 * q + 1] - at[2 * q]);
    }
}

// Mean, sd, se, t-interval and quantiles of every series cell over the replications.
std::vector<double> summarise_series(const std::vector<float>& all, std::uint64_t replications,
                                     std::size_t cells, int threads) {
    constexpr std::size_t kStats = kSeriesStatistics.size();
    std::vector<double> out(cells * kStats, kNaN);
    const double n = static_cast<double>(replications);
    const double t975 = replications > 1 ? analysis::student_t_quantile(0.975, n - 1) : kNaN;
    tbb::task_arena arena(effective_threads(threads));
    arena.execute([&] {
        // Cells in blocks: a block's values of every replication are first copied contiguously
        // (reading each replication's stretch in order), so the per-cell gathers stay in cache.
        constexpr std::size_t kBlock = 256;
        tbb::parallel_for(
            tbb::blocked_range<std::size_t>(0, (cells + kBlock - 1) / kBlock),
            [&](const auto& blocks) {
                std::vector<float> local(replications * kBlock);
                std::vector<double> values(replications);
                std::vector<std::uint32_t> histogram(kHistogramRange);
                for (std::size_t block = blocks.begin(); block != blocks.end(); ++block) {
                    const std::size_t first = block * kBlock,
                                      count = std::min(kBlock, cells - first);
                    for (std::uint64_t r = 0; r < replications; ++r)
                        std::copy_n(&all[r * cells + first], count, &local[r * kBlock]);
                    for (std::size_t c = 0; c < count; ++c) {
                        double sum = 0, low = INFINITY, high = -INFINITY;
                        bool integral = true;
                        for (std::uint64_t r = 0; r < replications; ++r) {
                            const double v = local[r * kBlock + c];
                            values[r] = v;
                            sum += v;
                            low = std::min(low, v);
                            high = std::max(high, v);
                            integral = integral && v == std::floor(v);
                        }
                        const double mean = sum / n;
                        double squares = 0;
                        for (double v : values) squares += (v - mean) * (v - mean);
                        const double sd = replications > 1 ? std::sqrt(squares / (n - 1)) : kNaN;
                        const double se = sd / std::sqrt(n);
                        double* o = &out[(first + c) * kStats];
                        o[0] = mean;
                        o[1] = sd;
                        o[2] = se;
                        o[3] = mean - t975 * se;
                        o[4] = mean + t975 * se;
                        // Most cells are counts over a small range (or constant): their order
                        // statistics come from a histogram instead of a sort, with the same result.
                        if (integral && high - low < kHistogramRange) {
                            std::fill_n(histogram.begin(), static_cast<std::size_t>(high - low) + 1,
                                        0u);
                            for (double v : values) ++histogram[static_cast<std::size_t>(v - low)];
                            quantiles_from_histogram(histogram, low, replications, &o[5]);
                        } else {
                            std::sort(values.begin(), values.end());
                            int k = 5;
                            for (double p : kQuantiles)
                                o[k++] = analysis::quantile_sorted(values, p);
                        }
                    }
                }
            });
    });
    return out;
}

std::vector<std::string> with_total(const Scenario& scenario) {
    std::vector<std::string> names;
    for (const auto& t : scenario.territories) names.push_back(t.name);
    names.push_back("total");
    return names;
}

void write_summaries(const hdf5::Group& root, const Scenario& scenario,
                     const EnsembleResult& result, const Calendar& calendar) {
    const auto names = with_total(scenario);
    const std::size_t rows = names.size();
    const hdf5::Group summary = root.create_group("summary");
    std::vector<double> kpi_table;
    for (const auto& row : result.kpi_summary)
        for (const analysis::Summary& s : row)
            kpi_table.insert(kpi_table.end(),
                             {double(s.n), s.mean, s.sd, s.se, s.ci95_low, s.ci95_high, s.q05,
                              s.q25, s.q50, s.q75, s.q95, s.replications_for_1pct});
    const auto kpis = summary.write_array("kpis", kpi_table,
                                          {rows, std::size_t(kKpiCount), kKpiStatistics.size()});
    describe_variables(kpis, "kpis", kpi_variables());
    kpis.set_attr_strings("territories", names);
    kpis.set_attr_strings("statistics", {kKpiStatistics.begin(), kKpiStatistics.end()});
    kpis.set_attr_string("dimensions", "territory,kpi,statistic");

    const auto series = summary.write_array(
        "series", result.series_summary,
        {std::size_t(result.n_days), rows, std::size_t(kSeriesCount), kSeriesStatistics.size()});
    describe_variables(series, "variables", series_variables());
    series.set_attr_strings("territories", names);
    series.set_attr_strings("statistics", {kSeriesStatistics.begin(), kSeriesStatistics.end()});
    series.set_attr_string("dimensions", "day,territory,variable,statistic");
    // 0 when memory allowed quantiles for the total only (per-territory quantiles are NaN).
    series.set_attr_int("territory_quantiles", result.territory_series_quantiles ? 1 : 0);
    std::vector<std::string> dates;
    for (int d = 0; d < result.n_days; ++d) dates.push_back(to_iso(calendar.date_of(d)));
    summary.write_strings("dates", dates);

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
        g.write_dataset("time", std::span<const double>(s.km.time));
        g.write_dataset("at_risk", std::span<const double>(s.km.at_risk));
        g.write_dataset("events", std::span<const double>(s.km.events));
        g.write_dataset("survival", std::span<const double>(s.km.survival));
        g.write_dataset("lower", std::span<const double>(s.km.lower));
        g.write_dataset("upper", std::span<const double>(s.km.upper));
        g.set_attr_double("n", s.km.n);
        g.set_attr_double("n_events", s.km.n_events);
        g.set_attr_double("median", s.km.median);
        g.set_attr_double("median_lower", s.km.median_lower);
        g.set_attr_double("median_upper", s.km.median_upper);
    }
}

}  // namespace

EnsembleResult run_ensemble(const Scenario& scenario, const EnsembleOptions& options,
                            const std::string& output, const RunManifest& manifest) {
    const auto started = std::chrono::steady_clock::now();
    const Calendar calendar(scenario.start, scenario.end);
    const int n_territories = static_cast<int>(scenario.territories.size());
    const std::size_t rows = static_cast<std::size_t>(n_territories) + 1;
    const std::size_t cells = static_cast<std::size_t>(calendar.n_days()) * rows * kSeriesCount;
    const std::uint64_t replications = options.replications;
    const bool store_series = !output.empty() && !options.summary_only;

    // Exact quantiles of a series cell need every replication's value at once. When keeping all
    // cells would take more than the memory limit, per-territory cells get exact running means and
    // variances (Welford) without quantiles, and only the total's cells keep every replication.
    const std::size_t total_cells = static_cast<std::size_t>(calendar.n_days()) * kSeriesCount;
    const double memory =
        static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
    const double limit =
        options.series_memory_limit > 0 ? options.series_memory_limit : 0.5 * memory;
    const double all_bytes =
        static_cast<double>(replications) * static_cast<double>(cells) * sizeof(float);
    const bool keep_all = options.kpis_only || all_bytes <= limit;
    const double fallback_bytes =
        static_cast<double>(replications) * static_cast<double>(total_cells) * sizeof(float) +
        static_cast<double>(cells) * 2 * sizeof(double);
    if (!keep_all && fallback_bytes > limit) {
        char message[400];
        std::snprintf(
            message, sizeof message,
            "ensemble: the daily series statistics of %llu replications need %.3g GiB even "
            "without per-territory quantiles, more than the %.3g GiB allowed; use fewer "
            "replications, or `essaim sweep` (KPIs only)",
            static_cast<unsigned long long>(replications), fallback_bytes / 1073741824.0,
            limit / 1073741824.0);
        throw EnsembleTooLarge(message);
    }

    EnsembleResult result;
    result.replications = replications;
    result.n_territories = n_territories;
    result.n_days = calendar.n_days();
    result.replication_kpis.assign(replications * rows * kKpiCount, kNaN);
    std::vector<float> all_series(
        options.kpis_only ? 0 : replications * (keep_all ? cells : total_cells));
    std::vector<double> running_mean(keep_all ? 0 : cells), running_m2(keep_all ? 0 : cells);
    result.territory_series_quantiles = keep_all;
    // Times since entry never exceed the parcours nor the run.
    SurvivalCounts survival(scenario,
                            std::min(scenario.parameters.parcours_days, calendar.n_days()));

    auto compute = [&](const WorkUnit& unit) {
        RunOptions run_options;
        run_options.seed = options.seed;
        run_options.replication = unit.replication;
        run_options.record_agents = !options.kpis_only;  // for the survival curves
        const RunResult run_result = run(scenario, run_options);
        ReplicationResult r;
        r.agent_days = run_result.agent_days;
        for (const auto& row : run_result.territory_kpis)
            r.kpis.insert(r.kpis.end(), row.begin(), row.end());
        r.kpis.insert(r.kpis.end(), run_result.total_kpis.begin(), run_result.total_kpis.end());
        if (options.kpis_only) return r;
        const DailySeries& s = run_result.series;
        r.series.resize(cells);
        for (int d = 0; d < s.n_days(); ++d) {
            float* out = &r.series[static_cast<std::size_t>(d) * rows * kSeriesCount];
            for (int v = 0; v < kSeriesCount; ++v) out[n_territories * kSeriesCount + v] = 0;
            for (int t = 0; t < n_territories; ++t) {
                const double* in = s.row(d, t);
                for (int v = 0; v < kSeriesCount; ++v) {
                    out[t * kSeriesCount + v] = static_cast<float>(in[v]);
                    out[n_territories * kSeriesCount + v] += static_cast<float>(in[v]);
                }
            }
        }
        if (store_series) {
            std::vector<float> slab(s.values().begin(), s.values().end());
            r.slab = hdf5::compress_slab(slab);
        }
        r.entrants = entrants_of(*run_result.agents, calendar.last_day());
        return r;
    };

    auto simulate = [&](const hdf5::SlabWriter* slabs) {
        Progress progress("ensemble " + scenario.name, replications,
                          options.quiet ? Progress::Mode::quiet : Progress::Mode::automatic);
        run_in_order<ReplicationResult>(
            work_units(1, replications), options.threads, compute,
            [&](const WorkUnit& unit, ReplicationResult&& r) {
                std::copy(r.kpis.begin(), r.kpis.end(),
                          result.replication_kpis.begin() +
                              static_cast<std::ptrdiff_t>(unit.replication * rows * kKpiCount));
                if (keep_all) {
                    std::copy(
                        r.series.begin(), r.series.end(),
                        all_series.begin() + static_cast<std::ptrdiff_t>(unit.replication * cells));
                } else if (!options.kpis_only) {
                    const double n = static_cast<double>(unit.replication + 1);
                    for (std::size_t c = 0; c < cells; ++c) {  // Welford's update
                        const double x = r.series[c], delta = x - running_mean[c];
                        running_mean[c] += delta / n;
                        running_m2[c] += delta * (x - running_mean[c]);
                    }
                    float* total = &all_series[unit.replication * total_cells];
                    for (int d = 0; d < calendar.n_days(); ++d)
                        std::copy_n(&r.series[(static_cast<std::size_t>(d) * rows + n_territories) *
                                              kSeriesCount],
                                    kSeriesCount,
                                    total + static_cast<std::size_t>(d) * kSeriesCount);
                }
                if (slabs) slabs->write_compressed(unit.replication, r.slab);
                for (const Entrant& e : r.entrants) survival.add(e);
                result.agent_days += r.agent_days;
                progress.advance();
            });
    };
    auto summarise_all = [&] {
        result.kpi_summary.resize(rows);
        std::vector<double> values(replications);
        for (std::size_t row = 0; row < rows; ++row)
            for (int k = 0; k < kKpiCount; ++k) {
                for (std::uint64_t r = 0; r < replications; ++r)
                    values[r] = result.kpi(r, static_cast<int>(row), k);
                result.kpi_summary[row][k] = analysis::summarise(values);
            }
        if (options.kpis_only) return;
        if (keep_all) {
            result.series_summary =
                summarise_series(all_series, replications, cells, options.threads);
        } else {
            const std::vector<double> totals =
                summarise_series(all_series, replications, total_cells, options.threads);
            constexpr std::size_t kStats = kSeriesStatistics.size();
            result.series_summary.assign(cells * kStats, kNaN);
            const double n = static_cast<double>(replications);
            const double t975 =
                replications > 1 ? analysis::student_t_quantile(0.975, n - 1) : kNaN;
            for (std::size_t c = 0; c < cells; ++c) {
                const std::size_t day = c / (rows * kSeriesCount), row = c / kSeriesCount % rows,
                                  v = c % kSeriesCount;
                double* o = &result.series_summary[c * kStats];
                if (row == rows - 1) {
                    std::copy_n(&totals[(day * kSeriesCount + v) * kStats], kStats, o);
                    continue;
                }
                const double sd = replications > 1 ? std::sqrt(running_m2[c] / (n - 1)) : kNaN;
                o[0] = running_mean[c];
                o[1] = sd;
                o[2] = sd / std::sqrt(n);
                o[3] = o[0] - t975 * o[2];
                o[4] = o[0] + t975 * o[2];
            }
        }
        result.survival = survival.curves(options.threads);
    };

    if (output.empty()) {
        simulate(nullptr);
        summarise_all();
    } else {
        hdf5::write_file_atomically(output, [&](hdf5::File& file) {
            file.set_attr_string("schema", "essaim-ensemble");
            file.set_attr_int("schema_version", kOutputSchemaVersion);
            const hdf5::Group manifest_group =
                write_manifest(file, scenario, manifest, calendar, false);
            manifest_group.set_attr_uint("replications", replications);
            manifest_group.set_attr_int("summary_only", options.summary_only ? 1 : 0);
            write_territories(file, scenario);
            const hdf5::Group group = file.create_group("replications");
            std::optional<hdf5::SlabWriter> slabs;
            if (store_series) {
                slabs.emplace(group.create_slabs(
                    "series", {replications, std::size_t(calendar.n_days()),
                               std::size_t(n_territories), std::size_t(kSeriesCount)}));
                describe_variables(*slabs, "variables", series_variables());
                auto names = with_total(scenario);
                names.pop_back();
                slabs->set_attr_strings("territories", names);
                slabs->set_attr_string("dimensions", "replication,day,territory,variable");
            }
            simulate(slabs ? &*slabs : nullptr);
            const auto kpis = group.write_array("kpis", result.replication_kpis,
                                                {replications, rows, std::size_t(kKpiCount)});
            describe_variables(kpis, "kpis", kpi_variables());
            kpis.set_attr_strings("territories", with_total(scenario));
            kpis.set_attr_string("dimensions", "replication,territory,kpi");
            summarise_all();
            write_summaries(file, scenario, result, calendar);
        });
    }
    result.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

}  // namespace essaim::dest1
