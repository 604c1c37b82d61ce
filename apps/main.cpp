// essaim: the command line. Thin over the libraries: it parses options, calls them, prints.
#include <boost/program_options/errors.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "apps/cli.hpp"
#include "experiment/distributed.hpp"
#include "models/dest1/scenario_toml.hpp"
#include "sim/interrupt.hpp"
#include "sim/output_file.hpp"
#include "sim/toml_document.hpp"

namespace {

constexpr const char* kUsage =
    R"(essaim - agent-based simulation of employment-inclusion programmes (Dest1)

Usage: essaim COMMAND [OPTIONS]

Commands:
  run SCENARIO        run one replication, print a summary, write an HDF5 file
  validate SCENARIO   check a scenario file (stops at the first problem, located)
  export FILE.h5      write a result file's tables as tidy CSV (--csv DIR)
  ensemble SCENARIO   R replications in parallel, statistics across replications
  compare BASE VAR    paired differences of KPIs with common random numbers
  sweep SCENARIO      ensembles over a grid or a list of design points
  generate national   write a synthetic national scenario (essaimage studies)
  merge PART...       the result file of an ensemble or sweep computed in shards
  sa SCENARIO         sensitivity analysis: Sobol' indices, Morris screening, PRCC
  design SCENARIO     the design points of an analysis, as CSV
  calibrate SCENARIO  ABC-SMC calibration against observed figures, predictive check
  models              list the models (dest1, and analytic test models)
  describe MODEL      a model's parameter registry, KPIs and daily series

Options:
  -h, --help          this help; `essaim COMMAND --help` for a command's options
  --version           version, git commit and library versions

Exit codes: 0 success, 2 bad input or usage, 1 failure (input/output or internal),
128 + N when stopped by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP).
Documentation: docs/ in the source tree (MODEL.md, SCENARIOS.md, OUTPUT.md).
)";

// How messages start: "essaim run", but not "essaim --help", which would read as a command.
std::string who(const std::string& command) {
    const bool is_command = !command.empty() && command[0] != '-' && command != "help";
    return is_command ? "essaim " + command : "essaim";
}

// What stdout could not take (a full disk, a closed file) is a failure, not a success: checked
// once, for every command, after it returns.
int check_stdout(const std::string& command, int code) {
    errno = 0;
    std::cout.flush();
    const bool flushed = std::fflush(stdout) == 0;
    const int error = errno;
    if (flushed && std::cout && !std::ferror(stdout)) return code;
    std::cerr << who(command) << ": cannot write to standard output"
              << (error != 0 ? std::string(": ") + std::strerror(error) : std::string()) << '\n';
    return code == essaim::cli::kOk ? essaim::cli::kInternal : code;
}

int dispatch(const std::string& command, const std::vector<std::string>& args) {
    using namespace essaim;
    try {
        if (command == "-h" || command == "--help" || command == "help") {
            std::cout << kUsage;
            return cli::kOk;
        }
        if (command == "--version") {
            std::cout << cli::version_string() << '\n';
            return cli::kOk;
        }
        if (command == "run")
            return cli::runs_another_model(args) ? cli::model_run_command(args)
                                                 : cli::run_command(args);
        if (command == "models") return cli::models_command(args);
        if (command == "merge") return cli::merge_command(args);
        if (command == "sa") return cli::sa_command(args);
        if (command == "design") return cli::design_command(args);
        if (command == "calibrate") return cli::calibrate_command(args);
        if (command == "describe") return cli::describe_command(args);
        if (command == "validate") return cli::validate_command(args);
        if (command == "export") return cli::export_command(args);
        if (command == "ensemble") return cli::ensemble_command(args);
        if (command == "compare") return cli::compare_command(args);
        if (command == "sweep") return cli::sweep_command(args);
        if (command == "generate") return cli::generate_command(args);
        std::cerr << "essaim: unknown command '" << command << "'\n\n" << kUsage;
        return cli::kBadInput;
    } catch (const dest1::ScenarioError& e) {
        std::cerr << "essaim: " << e.what() << '\n';
        return cli::kBadInput;
    } catch (const TomlError& e) {  // scenarios of the analytic models
        std::cerr << "essaim: " << e.what() << '\n';
        return cli::kBadInput;
    } catch (const cli::UsageError& e) {
        std::cerr << "essaim " << command << ": " << e.what() << "\n(see `essaim " << command
                  << " --help`)\n";
        return cli::kBadInput;
    } catch (const boost::program_options::error& e) {
        std::cerr << "essaim " << command << ": " << e.what() << "\n(see `essaim " << command
                  << " --help`)\n";
        return cli::kBadInput;
    } catch (const output::PathError& e) {
        std::cerr << "essaim " << command << ": " << e.what() << '\n';
        return cli::kBadInput;
    } catch (const IoError& e) {
        std::cerr << "essaim " << command << ": " << e.what() << '\n';
        return cli::kInternal;
    } catch (const std::exception& e) {
        std::cerr << "essaim " << command << ": internal error: " << e.what() << '\n';
        return cli::kInternal;
    }
}

}  // namespace

int main(int argc, char** argv) {
    using namespace essaim;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::cerr << kUsage;
        return cli::kBadInput;
    }
    const std::string command = args.front();
    args.erase(args.begin());
    interrupt::install(who(command));
    // Under mpirun every rank runs the same command; rank 0 writes the store, the file and
    // stdout (experiment/distributed.hpp).
    std::optional<experiment::distributed::Session> mpi;
    try {
        mpi.emplace(&argc, &argv);
    } catch (const std::exception& e) {
        std::cerr << who(command) << ": " << e.what() << '\n';
        return cli::kBadInput;
    }
    return check_stdout(command, dispatch(command, args));
}
