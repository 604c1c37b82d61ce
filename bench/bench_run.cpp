// Speed and memory of single runs: agent-days per second and wall time per replication for
// docking.toml and dest1.toml, and one large run (dest1 with pools, inflows and coaches x1000).
// Figures, not pass/fail: see bench/README.md for how they are read.
//
// Usage: bench_run [REPO_DIR] [--replications N] [--scale K]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench/live_agents.hpp"
#include "models/dest1/run.hpp"
#include "models/dest1/scenario_toml.hpp"

using namespace essaim;
using Clock = std::chrono::steady_clock;

namespace {

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

void bench_replications(const std::string& label, const dest1::Scenario& scenario,
                        int replications) {
    std::vector<double> times;
    std::uint64_t agent_days = 0;
    dest1::RunOptions options;
    options.seed = scenario.seed;
    dest1::run(scenario, options);  // warm-up: page in code and allocator
    const auto all = Clock::now();
    for (int r = 0; r < replications; ++r) {
        options.replication = static_cast<std::uint64_t>(r);
        const auto start = Clock::now();
        const dest1::RunResult result = dest1::run(scenario, options);
        times.push_back(seconds_since(start));
        agent_days += result.agent_days;
    }
    const double total = seconds_since(all);
    std::sort(times.begin(), times.end());
    std::printf(
        "%-10s %5d reps  median %8.3f ms/rep  min %8.3f ms  %7.1f M agent-days/s  (%.0f "
        "agent-days/rep)\n",
        label.c_str(), replications, 1e3 * times[times.size() / 2], 1e3 * times.front(),
        agent_days / total / 1e6, double(agent_days) / replications);
}

dest1::Scenario scaled(dest1::Scenario s, double factor) {
    for (auto& t : s.territories) {
        t.pool = static_cast<std::int64_t>(t.pool * factor);
        t.inflow_per_day *= factor;
        for (auto& step : t.coaches) step.second *= factor;
    }
    s.name += "-x" + std::to_string(static_cast<int>(factor));
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
            std::printf(
                "Usage: bench_run [REPO_DIR] [--replications N] [--scale K]\nSpeed and memory of "
                "single runs (bench/README.md).\n");
            return 0;
        }
    }
    std::string repo = ESSAIM_SOURCE_DIR;
    int replications = 200;
    double scale = 1000;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--replications") && i + 1 < argc)
            replications = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--scale") && i + 1 < argc)
            scale = std::atof(argv[++i]);
        else
            repo = argv[i];
    }
    const auto docking = dest1::load_scenario(repo + "/scenarios/docking.toml");
    const auto dest1_scenario = dest1::load_scenario(repo + "/scenarios/dest1.toml");
    std::printf("== replications, 1 thread ==\n");
    bench_replications("docking", docking, replications);
    bench_replications("dest1", dest1_scenario, std::max(1, replications / 4));

    std::printf("== large run: dest1 with pools, inflows and coaches x%.0f ==\n", scale);
    const auto big = scaled(dest1_scenario, scale);
    for (int threads : {1, 2}) {
        const long rss_before = peak_rss_kib();
        dest1::RunOptions options;
        options.seed = big.seed;
        options.threads = threads;
        const auto start = Clock::now();
        const dest1::RunResult result = dest1::run(big, options);
        const double wall = seconds_since(start);
        const auto [peak_live, peak_stored] = bench::peak_live(result.series);
        const long rss_after = peak_rss_kib();
        std::printf(
            "threads %d: wall %.3f s, %.1f M agent-days/s, identified %.0f, peak live agents %.0f "
            "(waiting or active %.0f)",
            threads, wall, result.agent_days / wall / 1e6, result.total_kpis[dest1::kKpiIdentified],
            peak_live, peak_stored);
        if (threads == 1)
            std::printf(
                ", peak RSS %.1f MiB (+%.1f MiB during the run) = %.1f bytes per peak live agent",
                rss_after / 1024.0, (rss_after - rss_before) / 1024.0,
                rss_after * 1024.0 / peak_live);
        std::printf("\n");
    }
    return 0;
}
