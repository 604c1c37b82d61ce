// Speed and memory of single runs, the event and daily engines side by side (issue 9): agent-days
// per second and wall time for docking.toml and dest1.toml; docking x1000 (pools, inflows and
// coaches multiplied by 1000) in one run on one thread; a docking "ensemble" of run() calls on one
// thread; dest1 x1000 on 1 and 2 threads. Figures, not pass/fail: see bench/README.md.
//
// Usage: bench_run [REPO_DIR] [--replications N] [--ensemble N] [--scale K] [--engine E]
//                  [--only SECTION]
//   E: both (default), event or daily; SECTION: docking-x, ensemble, dest1 or dest1-x. Each large
//   run is measured in a child process of its own, so that its peak resident memory is its own.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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

const char* name(dest1::Engine engine) {
    return engine == dest1::Engine::event ? "event" : "daily";
}

dest1::RunOptions options_for(const dest1::Scenario& s, dest1::Engine engine, int threads = 1) {
    dest1::RunOptions options;
    options.seed = s.seed;
    options.engine = engine;
    options.threads = threads;
    return options;
}

// Replications of run() one after the other on one thread (an ensemble without its statistics).
// Returns the total wall time.
double bench_replications(const std::string& label, const dest1::Scenario& scenario,
                          int replications, dest1::Engine engine) {
    std::vector<double> times;
    std::uint64_t agent_days = 0;
    dest1::RunOptions options = options_for(scenario, engine);
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
        "%-10s %-5s %5d reps  total %7.3f s  median %8.3f ms/rep  min %8.3f ms  %7.1f M "
        "agent-days/s  (%.0f agent-days/rep)\n",
        label.c_str(), name(engine), replications, total, 1e3 * times[times.size() / 2],
        1e3 * times.front(), agent_days / total / 1e6, double(agent_days) / replications);
    return total;
}

// One large run in a child process; its wall time comes back through a pipe.
double bench_large(const std::string& label, const dest1::Scenario& scenario, int threads,
                   dest1::Engine engine) {
    int fd[2];
    if (pipe(fd) != 0) return -1;
    std::fflush(stdout);  // or the child would print the parent's buffered lines again
    const pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        const long rss_before = peak_rss_kib();
        const auto start = Clock::now();
        const dest1::RunResult result =
            dest1::run(scenario, options_for(scenario, engine, threads));
        const double wall = seconds_since(start);
        const auto [peak_live, peak_stored] = bench::peak_live(result.series);
        const long rss_after = peak_rss_kib();
        std::printf(
            "%-12s %-5s threads %d: wall %7.3f s, %6.1f M agent-days/s (%.0f M agent-days), "
            "identified %.0f, peak live %.0f (waiting or active %.0f), peak RSS %.1f MiB (+%.1f "
            "MiB in the run) = %.1f B per peak live agent\n",
            label.c_str(), name(engine), threads, wall, result.agent_days / wall / 1e6,
            result.agent_days / 1e6, result.total_kpis[dest1::kKpiIdentified], peak_live,
            peak_stored, rss_after / 1024.0, (rss_after - rss_before) / 1024.0,
            rss_after * 1024.0 / peak_live);
        std::fflush(stdout);
        (void)!write(fd[1], &wall, sizeof wall);
        _exit(0);
    }
    close(fd[1]);
    double wall = -1;
    (void)!read(fd[0], &wall, sizeof wall);
    close(fd[0]);
    waitpid(pid, nullptr, 0);
    return wall;
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

void ratio(const char* what, double event, double daily) {
    if (event > 0 && daily > 0) std::printf("  -> %s: daily / event = %.2f\n", what, daily / event);
}

}  // namespace

int main(int argc, char** argv) {
    std::string repo = ESSAIM_SOURCE_DIR;
    int replications = 200, ensemble = 400;
    double scale = 1000;
    std::vector<dest1::Engine> engines{dest1::Engine::event, dest1::Engine::daily};
    std::string only;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
            std::printf(
                "Usage: bench_run [REPO_DIR] [--replications N] [--ensemble N] [--scale K] "
                "[--engine both|event|daily] [--only docking-x|ensemble|dest1|dest1-x]\nSpeed and "
                "memory of single runs "
                "(bench/README.md).\n");
            return 0;
        } else if (!std::strcmp(argv[i], "--replications") && i + 1 < argc) {
            replications = std::atoi(argv[++i]);
        } else if (!std::strcmp(argv[i], "--ensemble") && i + 1 < argc) {
            ensemble = std::atoi(argv[++i]);
        } else if (!std::strcmp(argv[i], "--scale") && i + 1 < argc) {
            scale = std::atof(argv[++i]);
        } else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (!std::strcmp(argv[i], "--engine") && i + 1 < argc) {
            const std::string e = argv[++i];
            if (e == "event") engines = {dest1::Engine::event};
            if (e == "daily") engines = {dest1::Engine::daily};
        } else {
            repo = argv[i];
        }
    }
    const auto docking = dest1::load_scenario(repo + "/scenarios/docking.toml");
    const auto dest1_scenario = dest1::load_scenario(repo + "/scenarios/dest1.toml");
    std::vector<double> wall(2, -1);
    auto both = [&](const char* what, auto&& measure) {
        if (!only.empty() && std::string(what).rfind(only + " ", 0) != 0) return;
        wall.assign(2, -1);
        for (dest1::Engine e : engines) wall[e == dest1::Engine::daily] = measure(e);
        ratio(what, wall[0], wall[1]);
    };

    std::printf("== docking x%.0f: one run, one thread ==\n", scale);
    const auto docking_big = scaled(docking, scale);
    both("docking-x x1000",
         [&](dest1::Engine e) { return bench_large("docking-x", docking_big, 1, e); });

    std::printf("== docking ensemble: %d replications of run() on one thread ==\n", ensemble);
    both("ensemble of docking",
         [&](dest1::Engine e) { return bench_replications("docking", docking, ensemble, e); });

    std::printf("== replications, 1 thread ==\n");
    both("dest1 replications", [&](dest1::Engine e) {
        return bench_replications("dest1", dest1_scenario, std::max(1, replications / 4), e);
    });

    std::printf("== large run: dest1 with pools, inflows and coaches x%.0f ==\n", scale);
    const auto dest1_big = scaled(dest1_scenario, scale);
    for (int threads : {1, 2})
        both(threads == 1 ? "dest1-x x1000, 1 thread" : "dest1-x x1000, 2 threads",
             [&](dest1::Engine e) { return bench_large("dest1-x", dest1_big, threads, e); });
    return 0;
}
