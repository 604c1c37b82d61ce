// National scale: a generated scenario with 1,000 territories, run once on 1 thread and once on 2.
// Wall time, agent-days per second, peak memory and bytes per live agent. Figures, not pass/fail:
// see bench/README.md. The generator's default eligible total is France's (1.7 M people); the
// figures of issue 9 were measured at the size it had before, about 24 M people
// (--eligible-total 24000000), which is the one that stresses the engine.
//
// Usage: bench_national [--territories N] [--policy dates|need|proximity] [--eligible-total N]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/live_agents.hpp"
#include "models/dest1/generate.hpp"
#include "models/dest1/run.hpp"
#include "models/dest1/scenario_toml.hpp"

using namespace essaim;

namespace {
double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024.0;
}
}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
            std::printf(
                "Usage: bench_national [--territories N] [--policy dates|need|proximity] "
                "[--eligible-total N]\nNational scale (bench/README.md); --eligible-total 24000000 "
                "for the size of the issue 9 benchmark.\n");
            return 0;
        }
    }
    dest1::NationalOptions options;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--territories")) options.territories = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--eligible-total"))
            options.eligible_total = std::atoll(argv[i + 1]);
        if (!std::strcmp(argv[i], "--policy"))
            options.policy = static_cast<dest1::RolloutPolicy>(
                dest1::code_of(argv[i + 1], dest1::kRolloutPolicyNames).value_or(0));
    }
    auto start = std::chrono::steady_clock::now();
    const auto scenario = dest1::parse_scenario(dest1::generate_national(options), "national.toml");
    const double prepare =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "national scenario: %d territories, %lld eligible people, %s .. %s; generated and "
        "validated in %.2f s\n",
        options.territories, static_cast<long long>(options.eligible_total),
        to_iso(scenario.start).c_str(), to_iso(scenario.end).c_str(), prepare);
    const double rss_before = peak_rss_mib();
    double wall_one = 0;
    for (int threads : {1, 2}) {
        dest1::RunOptions run_options;
        run_options.seed = scenario.seed;
        run_options.threads = threads;
        start = std::chrono::steady_clock::now();
        const dest1::RunResult result = dest1::run(scenario, run_options);
        const double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (threads == 1) wall_one = wall;
        const auto [peak_live, peak_stored] = bench::peak_live(result.series);
        const double series_mib = result.series.values().size() * sizeof(double) / 1048576.0;
        std::printf(
            "threads %d: wall %.2f s (%.2fx one thread), %.1f M agent-days/s, identified %.0f, "
            "entries %.0f, "
            "peak live %.0f (waiting or active %.0f)\n",
            threads, wall, wall_one / wall, result.agent_days / wall / 1e6,
            result.total_kpis[dest1::kKpiIdentified], result.total_kpis[dest1::kKpiEntries],
            peak_live, peak_stored);
        std::printf(
            "  peak RSS so far %.0f MiB (%.0f MiB before the runs); daily series %.0f MiB; "
            "(RSS - series) / peak live agent = %.1f B\n",
            peak_rss_mib(), rss_before, series_mib,
            (peak_rss_mib() - series_mib) * 1048576.0 / peak_live);
    }
    return 0;
}
