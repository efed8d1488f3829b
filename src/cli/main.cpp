// Entry point of the `greenllm` binary: one CLI11 app, one subcommand per file (see docs/cli.md).
#include <cstdio>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"greenllm: run, compress, serve and account for large language models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "greenllm 0.1.0");
  int exit_code = 0;
  greenllm::cli::register_run(app, exit_code);
  greenllm::cli::register_tokenize(app, exit_code);
  greenllm::cli::register_synth(app, exit_code);
  greenllm::cli::register_bench(app, exit_code);
  greenllm::cli::register_convert(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
