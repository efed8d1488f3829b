// Helpers for the tests that run the `greenllm` binary: shell quoting and running a command with its
// stdout and stderr captured separately.
#pragma once

#include <string>
#include <vector>

#include "test_util.h"

namespace greenllm::test {

// Quotes one argument for /bin/sh (single quotes; embedded ones escaped).
inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

inline std::string shell_join(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ' ';
    out += shell_quote(a);
  }
  return out;
}

struct CommandResult {
  int exit_code = -1;  // the shell's status: 128 + N when the program died of signal N
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs `args` (each quoted) with `env_prefix` (e.g. "GREENLLM_ISA=avx2 ", not quoted) in front, the
// file `stdin_path` on stdin (/dev/null when empty), and captures stdout and stderr.
inline CommandResult run_args(const std::vector<std::string>& args, const std::string& env_prefix = "",
                              const std::string& stdin_path = "") {
  static int counter = 0;
  const std::string err_path = temp_path(std::string("stderr-").append(std::to_string(counter++)).append(".txt"));
  const std::string in = stdin_path.empty() ? "/dev/null" : stdin_path;
  const std::string cmd = env_prefix + shell_join(args) + " <" + shell_quote(in) + " 2>" + shell_quote(err_path);
  CommandResult r;
  r.exit_code = run_command(cmd, &r.out);
  r.err = read_file(err_path);
  return r;
}

// Non-empty lines of `text`.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

inline std::string trim_right(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.pop_back();
  return s;
}

}  // namespace greenllm::test
