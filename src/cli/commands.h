// The `greenllm` subcommands: each file cmd_<name>.cpp registers one on the CLI11 app. A subcommand's
// action stores its exit status in `exit_code` (0 ok, 1 failure with a one-line error on stderr).
#pragma once

#include <CLI/CLI.hpp>

namespace greenllm::cli {

void register_run(CLI::App& app, int& exit_code);
void register_tokenize(CLI::App& app, int& exit_code);
void register_synth(CLI::App& app, int& exit_code);
void register_bench(CLI::App& app, int& exit_code);
void register_convert(CLI::App& app, int& exit_code);

}  // namespace greenllm::cli
