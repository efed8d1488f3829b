// `greenllm run` and `greenllm tokenize` through the binary: the golden greedy text of stories260K
// (GGUF and llama2.c checkpoint), prompts, options, error paths, and the portability run under
// qemu-x86_64 on a CPU without AVX.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_test_util.h"
#include "kernels/kernels.h"
#include "test_util.h"

namespace greenllm::test {
namespace {

// "Once upon a time, there was a little girl named Lily." without BOS (shared/models/README.md).
const char* const kFirstSentenceIds = "403 407 261 378 432 383 286 261 376 298 315 421 395 317 426";
constexpr int kFirstSentenceTokens = 15;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// The golden text's first sentence, up to and including its first '.'.
std::string first_sentence(const std::string& golden) { return golden.substr(0, golden.find('.') + 1); }

// `greenllm run` greedy from BOS. The golden tests use the default thread count, as a user would; the
// others pass threads = "1", since a fork-join pool on a loaded CI machine (ctest -j) mostly waits.
std::vector<std::string> greedy_args(const std::string& model, int n_tokens, const std::string& threads = "") {
  std::vector<std::string> args = {greenllm_binary(), "run", "-m", model, "-p", "", "-n", std::to_string(n_tokens),
                                   "--temp", "0"};
  if (!threads.empty()) args.insert(args.end(), {"-t", threads});
  return args;
}

// --- The golden greedy text -------------------------------------------------------------------------

TEST(RunGolden, GgufGreedy256FromBos) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden_path, model_fixture, "stories260K.greedy256.txt");
  const CommandResult r = run_args(greedy_args(model, 256));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, read_file(golden_path));
}

TEST(RunGolden, Llama2cCheckpointGreedy256FromBos) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.bin");
  GREENLLM_REQUIRE_FIXTURE(tokenizer, model_fixture, "tok512.bin");
  GREENLLM_REQUIRE_FIXTURE(golden_path, model_fixture, "stories260K.greedy256.txt");
  auto args = greedy_args(model, 256);
  args.insert(args.end(), {"--tokenizer", tokenizer});
  const CommandResult r = run_args(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, read_file(golden_path));
}

// Every ISA this CPU can run gives the same text (the ISA tables are chosen at run time).
TEST(RunGolden, EverySupportedIsa) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden_path, model_fixture, "stories260K.greedy256.txt");
  const std::string golden = read_file(golden_path);
  for (const kernels::Isa isa : {kernels::Isa::REFERENCE, kernels::Isa::AVX2, kernels::Isa::AVX512}) {
    const std::string name = kernels::isa_name(isa);
    if (!kernels::isa_supported(isa)) {
      std::cout << "[ info ] this CPU has no " << name << "; not run\n";
      continue;
    }
    const CommandResult r = run_args(greedy_args(model, 256, "1"), "GREENLLM_ISA=" + name + " ");
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_EQ(r.out, golden) << "GREENLLM_ISA=" << name;
  }
}

TEST(RunGolden, ThreadCountsAgree) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden_path, model_fixture, "stories260K.greedy256.txt");
  const std::string golden = read_file(golden_path);
  for (const char* threads : {"1", "2", "3"}) {
    const CommandResult r = run_args(greedy_args(model, 256, threads));
    ASSERT_EQ(r.exit_code, 0) << "-t " << threads << ": " << r.err;
    EXPECT_EQ(r.out, golden) << "-t " << threads;
  }
}

// The golden text's first sentence as a prompt tokenizes to the golden's first 15 tokens, so a batched
// prompt pass followed by 241 decoded tokens must reproduce the same 256-token text.
TEST(RunGolden, PromptPrefillContinuesLikeDecode) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden_path, model_fixture, "stories260K.greedy256.txt");
  const std::string golden = read_file(golden_path);
  const std::string prompt = first_sentence(golden);
  const std::string n = std::to_string(256 - kFirstSentenceTokens);

  const CommandResult echoed =
      run_args({greenllm_binary(), "run", "-m", model, "-p", prompt, "-n", n, "--temp", "0", "-t", "1"});
  ASSERT_EQ(echoed.exit_code, 0) << echoed.err;
  EXPECT_EQ(echoed.out, golden);

  const CommandResult quiet = run_args(
      {greenllm_binary(), "run", "-m", model, "-p", prompt, "-n", n, "--temp", "0", "-t", "1", "--no-display-prompt"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out, golden.substr(prompt.size()));

  // -f FILE is the same prompt as -p.
  const std::string prompt_file = temp_path("prompt.txt");
  write_text(prompt_file, prompt);
  const CommandResult from_file =
      run_args({greenllm_binary(), "run", "-m", model, "-f", prompt_file, "-n", n, "--temp", "0", "-t", "1"});
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(from_file.out, golden);
}

// stdout carries the text alone; the closing statistics line goes to stderr.
TEST(RunGolden, StatisticsLineOnStderr) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  const CommandResult r = run_args(greedy_args(model, 16, "1"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto err_lines = lines_of(r.err);
  ASSERT_FALSE(err_lines.empty()) << "no statistics line on stderr";
  EXPECT_NE(err_lines.back().find("tok/s"), std::string::npos) << err_lines.back();
  EXPECT_EQ(r.out.find("tok/s"), std::string::npos) << "statistics leaked into stdout";
}

// --- Options -----------------------------------------------------------------------------------------

// Generation ends where a stop string first appears; the stop string itself is not printed.
TEST(RunOptions, StopStringTruncates) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden_path, model_fixture, "stories260K.greedy256.txt");
  const std::string golden = read_file(golden_path);
  const size_t park = golden.find("park");
  const size_t ball = golden.find("ball");
  ASSERT_NE(park, std::string::npos);
  ASSERT_NE(ball, std::string::npos);
  ASSERT_LT(park, ball);

  auto args = greedy_args(model, 256, "1");
  args.insert(args.end(), {"--stop", "park"});
  const CommandResult one = run_args(args);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, golden.substr(0, park));

  // Several stops: the earliest in the text wins, whatever the order of the flags.
  args = greedy_args(model, 256, "1");
  args.insert(args.end(), {"--stop", "ball", "--stop", "park"});
  const CommandResult two = run_args(args);
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(two.out, golden.substr(0, park));
}

TEST(RunOptions, ZeroTokens) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  const CommandResult empty = run_args(greedy_args(model, 0, "1"));
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.out, "");

  const CommandResult prompt_only =
      run_args({greenllm_binary(), "run", "-m", model, "-p", "Once upon a time", "-n", "0"});
  ASSERT_EQ(prompt_only.exit_code, 0) << prompt_only.err;
  EXPECT_EQ(prompt_only.out, "Once upon a time");
}

// Sampling with a seed is reproducible; 64 tokens at temperature 0.8 are a different text than greedy.
TEST(RunOptions, SeededSamplingIsReproducible) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  const std::vector<std::string> args = {greenllm_binary(), "run", "-m", model, "-p", "", "-n", "64",
                                         "--temp", "0.8", "--seed", "42", "-t", "1"};
  const CommandResult a = run_args(args);
  const CommandResult b = run_args(args);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_FALSE(a.out.empty());
  EXPECT_EQ(a.out, b.out);
}

// --- Errors ------------------------------------------------------------------------------------------

// A failure is exit status 1, nothing on stdout, and one line on stderr naming `path`.
void expect_one_line_error(const CommandResult& r, const std::string& path) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out, "");
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << "stderr:\n" << r.err;
  EXPECT_NE(lines[0].find(path), std::string::npos) << "the message does not name " << path << ": " << lines[0];
}

// The message must say that the file is missing, not guess at its format.
void expect_says_missing(const CommandResult& r) {
  std::string lower = r.err;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool says_missing = false;
  for (const char* phrase : {"no such file", "cannot open", "not found", "does not exist"})
    says_missing = says_missing || lower.find(phrase) != std::string::npos;
  EXPECT_TRUE(says_missing) << "the message does not say the file is missing: " << r.err;
}

TEST(RunErrors, MissingModelFile) {
  const std::string path = temp_path("no-such-model.gguf");
  const CommandResult r = run_args({greenllm_binary(), "run", "-m", path, "-p", "", "-n", "4"});
  expect_one_line_error(r, path);
  expect_says_missing(r);
}

TEST(RunErrors, MissingTokenizerFile) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.bin");
  const std::string path = temp_path("no-such-tokenizer.bin");
  const CommandResult r = run_args({greenllm_binary(), "run", "-m", model, "--tokenizer", path, "-n", "4"});
  expect_one_line_error(r, path);
  expect_says_missing(r);
}

TEST(RunErrors, CorruptGguf) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  const std::string original = read_file(model);

  const std::string bad_magic = temp_path("bad-magic.gguf");
  std::string renamed = original;
  renamed.replace(0, 4, "GGUX");
  write_text(bad_magic, renamed);
  expect_one_line_error(run_args({greenllm_binary(), "run", "-m", bad_magic, "-n", "4"}), bad_magic);

  const std::string truncated = temp_path("truncated.gguf");
  write_text(truncated, original.substr(0, original.size() / 2));
  expect_one_line_error(run_args({greenllm_binary(), "run", "-m", truncated, "-n", "4"}), truncated);

  // A header that claims 2^62 tensors: refused before anything is sized by it.
  const std::string absurd = temp_path("absurd-count.gguf");
  std::string forged = original;
  const uint64_t n_tensors = uint64_t{1} << 62;
  for (int i = 0; i < 8; ++i) forged[8 + i] = static_cast<char>((n_tensors >> (8 * i)) & 0xff);
  write_text(absurd, forged);
  expect_one_line_error(run_args({greenllm_binary(), "run", "-m", absurd, "-n", "4"}), absurd);

  const std::string empty = temp_path("empty.gguf");
  write_text(empty, "");
  expect_one_line_error(run_args({greenllm_binary(), "run", "-m", empty, "-n", "4"}), empty);
}

// Flags out of range are refused before any work, never sized into allocations or divisions.
TEST(RunErrors, HostileFlagValues) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--repeat-penalty", "0"}, "repeat_penalty"},
      {{"--temp", "nan"}, "temperature"},
      {{"--top-p", "1.5"}, "top_p"},
      {{"--min-p", "-0.1"}, "min_p"},
  };
  for (const auto& [flags, says] : cases) {
    std::vector<std::string> args = {greenllm_binary(), "run", "-m", model, "-n", "4"};
    args.insert(args.end(), flags.begin(), flags.end());
    const CommandResult r = run_args(args);
    EXPECT_EQ(r.exit_code, 1) << flags[0];
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
  }
  // Usage errors from the parser: out-of-range thread and context counts.
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"-t", "0"}, {"-t", "100000"}, {"-c", "0"}, {"-c", "1000000000000"}}) {
    std::vector<std::string> args = {greenllm_binary(), "run", "-m", model, "-n", "4"};
    args.insert(args.end(), flags.begin(), flags.end());
    const CommandResult r = run_args(args);
    EXPECT_NE(r.exit_code, 0) << flags[0] << " " << flags[1];
    EXPECT_EQ(r.out.find("Once"), std::string::npos) << "generated despite " << flags[0] << " " << flags[1];
  }
  // A huge batch size is clamped (prompts go in chunks), not sized into the workspace.
  const CommandResult big = run_args({greenllm_binary(), "run", "-m", model, "-b", "1000000000000", "-p",
                                      "Once upon a time", "-n", "4", "--temp", "0", "-t", "1"});
  EXPECT_EQ(big.exit_code, 0) << big.err;
}

TEST(RunErrors, UnknownFlag) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  const CommandResult r = run_args({greenllm_binary(), "run", "-m", model, "--no-such-flag"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out.find("Once"), std::string::npos) << "generated despite the bad flag";
  const CommandResult no_command = run_args({greenllm_binary(), "no-such-command"});
  EXPECT_NE(no_command.exit_code, 0);
}

// --- tokenize ----------------------------------------------------------------------------------------

TEST(Tokenize, StoriesSentenceIds) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden_path, model_fixture, "stories260K.greedy256.txt");
  const std::string text_file = temp_path("sentence.txt");
  write_text(text_file, first_sentence(read_file(golden_path)));

  const CommandResult from_file = run_args({greenllm_binary(), "tokenize", "-m", model, "-f", text_file});
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(trim_right(from_file.out), kFirstSentenceIds);

  const CommandResult from_stdin = run_args({greenllm_binary(), "tokenize", "-m", model}, "", text_file);
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(trim_right(from_stdin.out), kFirstSentenceIds);

  const CommandResult with_bos =
      run_args({greenllm_binary(), "tokenize", "-m", model, "-f", text_file, "--bos"});
  ASSERT_EQ(with_bos.exit_code, 0) << with_bos.err;
  EXPECT_EQ(trim_right(with_bos.out), std::string("1 ") + kFirstSentenceIds);
}

TEST(Tokenize, Llama2cTokenizerGivesTheSameIds) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.bin");
  GREENLLM_REQUIRE_FIXTURE(tokenizer, model_fixture, "tok512.bin");
  GREENLLM_REQUIRE_FIXTURE(golden_path, model_fixture, "stories260K.greedy256.txt");
  const std::string text_file = temp_path("sentence-l2c.txt");
  write_text(text_file, first_sentence(read_file(golden_path)));
  const CommandResult r =
      run_args({greenllm_binary(), "tokenize", "-m", model, "--tokenizer", tokenizer, "-f", text_file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(trim_right(r.out), kFirstSentenceIds);
}

TEST(Tokenize, PiecesAndJson) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden_path, model_fixture, "stories260K.greedy256.txt");
  const std::string text_file = temp_path("sentence-pieces.txt");
  write_text(text_file, first_sentence(read_file(golden_path)));

  // One `id<TAB>'piece'` line per token, in order.
  const CommandResult pieces =
      run_args({greenllm_binary(), "tokenize", "-m", model, "-f", text_file, "--pieces"});
  ASSERT_EQ(pieces.exit_code, 0) << pieces.err;
  const auto lines = lines_of(pieces.out);
  std::string ids;
  for (const auto& line : lines) {
    const size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    EXPECT_EQ(line[tab + 1], '\'') << line;
    EXPECT_EQ(line.back(), '\'') << line;
    if (!ids.empty()) ids += ' ';
    ids.append(line, 0, tab);
  }
  EXPECT_EQ(lines.size(), static_cast<size_t>(kFirstSentenceTokens));
  EXPECT_EQ(ids, kFirstSentenceIds);

  // --json is machine-readable: it parses, and the ids appear in it in order.
  const CommandResult json = run_args({greenllm_binary(), "tokenize", "-m", model, "-f", text_file, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto parsed = nlohmann::json::parse(json.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(parsed.is_discarded()) << json.out;
  std::vector<int> found;
  const std::function<void(const nlohmann::json&)> collect = [&](const nlohmann::json& j) {
    if (j.is_array() && !j.empty() && j.front().is_number_integer()) {
      if (found.empty()) found = j.get<std::vector<int>>();
      return;
    }
    if (j.is_structured())
      for (const auto& item : j) collect(item);
  };
  collect(parsed);
  std::string json_ids;
  for (int id : found) {
    if (!json_ids.empty()) json_ids += ' ';
    json_ids += std::to_string(id);
  }
  EXPECT_EQ(json_ids, kFirstSentenceIds) << json.out;
}

TEST(Tokenize, MissingModelFile) {
  const std::string path = temp_path("no-such-tokenizer-model.gguf");
  const std::string text_file = temp_path("hello.txt");
  write_text(text_file, "hello");
  const CommandResult r = run_args({greenllm_binary(), "tokenize", "-m", path, "-f", text_file});
  expect_one_line_error(r, path);
  expect_says_missing(r);
}

// --- Portability -------------------------------------------------------------------------------------

// qemu-x86_64 -cpu Nehalem emulates a CPU with SSE4.2 and no AVX at all: the portable build must pick
// its reference kernels at run time and never execute an AVX instruction outside them (SIGILL).
TEST(Portability, GreedyGoldenOnCpuWithoutAvx) {
#if defined(__AVX__)
  GTEST_SKIP() << "this build compiles everything for AVX (-march=native preset); it is not meant to "
                  "run on a CPU without AVX";
#endif
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's shadow memory does not run under qemu-user";
#endif
  std::string qemu;
  if (run_command("command -v qemu-x86_64", &qemu) != 0 || trim_right(qemu).empty())
    GTEST_SKIP() << "qemu-x86_64 not on PATH (Debian package qemu-user; scripts/setup.sh installs it)";
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden_path, model_fixture, "stories260K.greedy256.txt");
  std::vector<std::string> args = {trim_right(qemu), "-cpu", "Nehalem"};
  for (const auto& a : greedy_args(model, 256, "1")) args.push_back(a);
  const CommandResult r = run_args(args);
  ASSERT_NE(r.exit_code, 128 + 4) << "SIGILL: an instruction the CPU lacks ran outside its ISA kernels\n"
                                  << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, read_file(golden_path));
}

}  // namespace
}  // namespace greenllm::test
