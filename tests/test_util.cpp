// Fixture lookup and process helpers for the tests.
#include "test_util.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace greenllm::test {
namespace fs = std::filesystem;

std::optional<std::string> model_fixture(const std::string& name) {
  std::string dir = GREENLLM_SHARED_DIR "/models";
  if (const char* env = std::getenv("GREENLLM_TEST_MODELS"); env && *env) dir = env;
  const fs::path p = fs::path(dir) / name;
  if (fs::exists(p)) return p.string();
  return std::nullopt;
}

std::optional<std::string> data_fixture(const std::string& name) {
  const fs::path p = fs::path(GREENLLM_SHARED_DIR "/data") / name;
  if (fs::exists(p)) return p.string();
  return std::nullopt;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string temp_path(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("greenllm-test-" + std::to_string(getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

int run_command(const std::string& command, std::string* stdout_text) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  if (stdout_text) *stdout_text = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string greenllm_binary() { return GREENLLM_BINARY; }

}  // namespace greenllm::test
