// essaim: the command line. Thin over the libraries: it parses options, calls them, prints.
#include <boost/program_options/errors.hpp>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "apps/cli.hpp"
#include "models/dest1/scenario_toml.hpp"

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

Options:
  -h, --help          this help; `essaim COMMAND --help` for a command's options
  --version           version, git commit and library versions

Exit codes: 0 success, 2 bad input or usage, 1 internal failure.
Documentation: docs/ in the source tree (MODEL.md, SCENARIOS.md, OUTPUT.md).
)";

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
    try {
        if (command == "-h" || command == "--help" || command == "help") {
            std::cout << kUsage;
            return cli::kOk;
        }
        if (command == "--version") {
            std::cout << cli::version_string() << '\n';
            return cli::kOk;
        }
        if (command == "run") return cli::run_command(args);
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
    } catch (const cli::UsageError& e) {
        std::cerr << "essaim " << command << ": " << e.what() << "\n(see `essaim " << command
                  << " --help`)\n";
        return cli::kBadInput;
    } catch (const boost::program_options::error& e) {
        std::cerr << "essaim " << command << ": " << e.what() << "\n(see `essaim " << command
                  << " --help`)\n";
        return cli::kBadInput;
    } catch (const std::exception& e) {
        std::cerr << "essaim " << command << ": internal error: " << e.what() << '\n';
        return cli::kInternal;
    }
}
