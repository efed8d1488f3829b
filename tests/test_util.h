// Helpers shared by the test suites: where the real-model fixtures are, temp files, running the CLI.
#pragma once

#include <optional>
#include <string>

namespace greenllm::test {

// Path of a file in the shared model fixtures ($GREENLLM_TEST_MODELS, else ../shared/models),
// or nullopt when it is not there.
std::optional<std::string> model_fixture(const std::string& name);
// Same for ../shared/data.
std::optional<std::string> data_fixture(const std::string& name);

std::string read_file(const std::string& path);
// A fresh path under the test temp dir (not created).
std::string temp_path(const std::string& name);

// Runs a shell command, returns its exit status and captures stdout (stderr goes to the log).
int run_command(const std::string& command, std::string* stdout_text);
// Path of the built greenllm binary.
std::string greenllm_binary();

}  // namespace greenllm::test

// Skips the current test with a clear message when a shared fixture is missing.
#define GREENLLM_REQUIRE_FIXTURE(var, fn, name)                                                  \
  const auto var##_opt = ::greenllm::test::fn(name);                                             \
  if (!var##_opt) GTEST_SKIP() << "fixture " << name << " not found (set GREENLLM_TEST_MODELS "  \
                                  "or put ../shared beside the checkout); skipping";             \
  const std::string var = *var##_opt
