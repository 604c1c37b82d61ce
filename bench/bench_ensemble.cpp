// Ensembles: wall time and throughput of 200 replications of dest1.toml with 1 and 2 threads, and
// the variance reduction that common random numbers bring to paired comparisons of variants.
// Figures, not pass/fail: see bench/README.md.
//
// Usage: bench_ensemble [REPO_DIR] [--replications N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "analysis/summary.hpp"
#include "experiment/ensemble.hpp"
#include "models/dest1/dest1_model.hpp"
#include "models/dest1/outputs.hpp"
#include "models/dest1/scenario_toml.hpp"

using namespace essaim;

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
            std::printf(
                "Usage: bench_ensemble [REPO_DIR] [--replications N]\nEnsembles and common random "
                "numbers (bench/README.md).\n");
            return 0;
        }
    }
    std::string repo = ESSAIM_SOURCE_DIR;
    std::uint64_t replications = 200;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--replications") && i + 1 < argc)
            replications = std::strtoull(argv[++i], nullptr, 10);
        else
            repo = argv[i];
    }
    const auto model = dest1::make_model();
    const auto scenario = model->load(repo + "/scenarios/dest1.toml", {});
    const std::string store_path =
        (std::filesystem::temp_directory_path() / "essaim-bench-ensemble.units").string();
    const std::string file =
        (std::filesystem::temp_directory_path() / "essaim-bench-ensemble.h5").string();
    std::printf("== %llu replications of dest1.toml ==\n",
                static_cast<unsigned long long>(replications));
    double one_thread[2] = {0, 0};
    // Modes: no file and the store in memory; no file with the store on disk (what --resume
    // needs); the ensemble file with every replication's series; --summary-only.
    for (int mode = 0; mode < 4; ++mode) {
        for (int threads : {1, 2}) {
            experiment::EnsembleOptions options;
            options.seed = scenario->seed();
            options.replications = replications;
            options.threads = threads;
            options.quiet = true;
            options.summary_only = mode == 3;
            const experiment::Ensemble ensemble(*model, scenario, options);
            const std::string output = mode >= 2 ? file : "";
            experiment::EnsembleResult result;
            if (mode == 1) {
                std::filesystem::remove(store_path);
                auto store = experiment::UnitStore::create(store_path, ensemble.store_meta());
                result = experiment::run_ensemble(ensemble, store, output, {});
            } else {
                result = experiment::run_ensemble(ensemble, output, {});
            }
            const char* label = mode == 0   ? "no file, store in memory"
                                : mode == 1 ? "no file, store on disk (resumable)"
                                : mode == 2 ? "file with every replication's series"
                                            : "file, --summary-only";
            if (mode == 0) one_thread[threads - 1] = result.wall_seconds;
            std::printf("%-40s threads %d: %6.2f s, %6.1f replications/s, %5.1f M agent-days/s\n",
                        label, threads, result.wall_seconds, replications / result.wall_seconds,
                        result.agent_days / result.wall_seconds / 1e6);
        }
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(store_path + suffix);
    std::printf("speed-up of 2 threads over 1 (no file): %.2fx\n", one_thread[0] / one_thread[1]);
    std::filesystem::remove(file);

    std::printf(
        "\n== common random numbers: variance of the paired difference vs independent runs ==\n");
    std::printf("(factor = (var(base) + var(variant)) / var(variant - base), %llu replications)\n",
                static_cast<unsigned long long>(replications));
    const std::vector<std::pair<std::string, std::vector<std::string>>> variants{
        {"caseload 40", {"parcours.caseload=40"}},
        {"contacts 2 / week", {"parcours.contacts_per_week=2"}},
        {"no crisis", {"crisis=[]"}},
        {"sequential parcours", {"parcours.mode=sequential"}},
        {"outreach +10%", {"outreach.per_coach_per_day=0.10912"}},
    };
    const std::vector<int> kpis{dest1::kKpiEntries,
                                dest1::kKpiJobStarts,
                                dest1::kKpiPositiveExitRate,
                                dest1::kKpiMeanDaysToFirstJob,
                                dest1::kKpiEmployed12mAfterExit,
                                dest1::kKpiTotalCost};
    std::printf("%-22s", "variant");
    for (int k : kpis) std::printf("%24s", dest1::kpi_variables()[k].name.c_str());
    std::printf("\n");
    experiment::EnsembleOptions options;
    options.seed = scenario->seed();
    options.replications = replications;
    options.threads = 2;
    options.quiet = true;
    options.kpis_only = true;
    const auto base = experiment::run_ensemble({*model, scenario, options});
    for (const auto& [label, sets] : variants) {
        const auto variant_scenario = model->load(repo + "/scenarios/dest1.toml", sets);
        const auto variant = experiment::run_ensemble({*model, variant_scenario, options});
        std::printf("%-22s", label.c_str());
        const std::size_t total = base.rows - 1;
        for (int k : kpis) {
            std::vector<double> x(replications), y(replications);
            for (std::uint64_t r = 0; r < replications; ++r) {
                x[r] = base.kpi(r, total, static_cast<std::size_t>(k));
                y[r] = variant.kpi(r, total, static_cast<std::size_t>(k));
            }
            std::printf("%24.1f", analysis::paired_difference(x, y).variance_reduction);
        }
        std::printf("\n");
    }
    return 0;
}
