#pragma once
// Shared conventions of the `essaim` commands: exit codes, usage errors, JSON on stdout.
#include <stdexcept>
#include <string>
#include <vector>

namespace essaim::cli {

enum ExitCode : int { kOk = 0, kInternal = 1, kBadInput = 2 };

// Wrong options or arguments: reported with the command's usage line, exit code 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

int run_command(const std::vector<std::string>& args);
int validate_command(const std::vector<std::string>& args);
int export_command(const std::vector<std::string>& args);
int ensemble_command(const std::vector<std::string>& args);
int compare_command(const std::vector<std::string>& args);
int sweep_command(const std::vector<std::string>& args);
int generate_command(const std::vector<std::string>& args);
int models_command(const std::vector<std::string>& args);
int merge_command(const std::vector<std::string>& args);
int sa_command(const std::vector<std::string>& args);
int design_command(const std::vector<std::string>& args);
int calibrate_command(const std::vector<std::string>& args);
int describe_command(const std::vector<std::string>& args);
// `run` of a model other than Dest1 (apps/model_commands.cpp), chosen by runs_another_model().
bool runs_another_model(const std::vector<std::string>& args);
int model_run_command(const std::vector<std::string>& args);

std::string version_string();

}  // namespace essaim::cli
