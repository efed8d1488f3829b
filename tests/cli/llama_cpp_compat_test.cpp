// greenllm against llama.cpp, the independent reference: llama.cpp (node-llama-cpp 3.21.1's prebuilt
// CPU binary, driven by tests/node/llama_generate.mjs) reproduces the golden text, loads the GGUF files
// greenllm writes, and generates the same greedy text as `greenllm run` on the same file.
// Skips (with the reason) when node or tests/node/node_modules is missing: scripts/test_deps.sh
// installs them.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli_test_util.h"
#include "formats/gguf.h"
#include "test_util.h"

namespace greenllm::test {
namespace {
namespace fs = std::filesystem;

const std::string kNodeDir = GREENLLM_SOURCE_DIR "/tests/node";

// Empty when llama.cpp through node can run here, else why not.
std::string llama_cpp_unavailable_reason() {
  std::string node;
  if (run_command("command -v node", &node) != 0 || trim_right(node).empty())
    return "node not on PATH (scripts/setup.sh installs Node.js); cannot compare with llama.cpp";
  for (const char* package : {"node-llama-cpp", "@node-llama-cpp/linux-x64"}) {
    if (!fs::exists(fs::path(kNodeDir) / "node_modules" / package))
      return kNodeDir + "/node_modules/" + package + " missing (run scripts/test_deps.sh); cannot compare with llama.cpp";
  }
  return "";
}

#define GREENLLM_REQUIRE_LLAMA_CPP()                                   \
  do {                                                                 \
    const std::string why_not = llama_cpp_unavailable_reason();        \
    if (!why_not.empty()) GTEST_SKIP() << why_not;                     \
  } while (0)

// llama.cpp's greedy text: `n_tokens` tokens after BOS and `prompt`'s tokens (the prompt not included).
CommandResult llama_cpp_greedy(const std::string& model, int n_tokens, const std::string& prompt = "") {
  std::vector<std::string> args = {"node", kNodeDir + "/llama_generate.mjs", model, "-n", std::to_string(n_tokens)};
  if (!prompt.empty()) args.insert(args.end(), {"-p", prompt});
  return run_args(args);
}

// One thread: these tests are about the numbers, and a fork-join pool on a loaded machine mostly waits.
CommandResult greenllm_greedy(const std::string& model, int n_tokens, const std::string& prompt = "",
                              bool display_prompt = true) {
  std::vector<std::string> args = {greenllm_binary(), "run", "-m", model, "-p", prompt,
                                   "-n", std::to_string(n_tokens), "--temp", "0", "-t", "1"};
  if (!display_prompt) args.push_back("--no-display-prompt");
  return run_args(args);
}

// (a) The reference itself reproduces the golden text (so a difference below is greenllm's).
TEST(LlamaCppCompat, ReferenceReproducesGolden) {
  GREENLLM_REQUIRE_LLAMA_CPP();
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden_path, model_fixture, "stories260K.greedy256.txt");
  const CommandResult r = llama_cpp_greedy(model, 256);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, read_file(golden_path));
}

// (b) A GGUF greenllm writes (re-serialized from the parsed file, not a byte copy) loads in llama.cpp
// and gives the golden text there, and in greenllm.
TEST(LlamaCppCompat, LoadsGgufGreenllmWrote) {
  GREENLLM_REQUIRE_LLAMA_CPP();
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden_path, model_fixture, "stories260K.greedy256.txt");
  const std::string golden = read_file(golden_path);

  auto file = formats::GgufFile::open(model);
  ASSERT_TRUE(file.is_ok()) << file.message();
  const std::string rewritten = temp_path("stories260K.rewritten.gguf");
  const Status written = formats::write_gguf(rewritten, (*file)->content());
  ASSERT_TRUE(written.is_ok()) << written.message();

  const CommandResult llama = llama_cpp_greedy(rewritten, 256);
  ASSERT_EQ(llama.exit_code, 0) << "llama.cpp could not run the GGUF greenllm wrote: " << llama.err;
  EXPECT_EQ(llama.out, golden);

  const CommandResult ours = greenllm_greedy(rewritten, 256);
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(ours.out, golden);
}

// (c) `greenllm run --temp 0` and llama.cpp give the same text on the same file.
TEST(LlamaCppCompat, GreedyTextEqualsLlamaCpp) {
  GREENLLM_REQUIRE_LLAMA_CPP();
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  const CommandResult llama = llama_cpp_greedy(model, 256);
  ASSERT_EQ(llama.exit_code, 0) << llama.err;
  const CommandResult ours = greenllm_greedy(model, 256);
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(ours.out, llama.out);
}

// Same, continuing a prompt that is not on the greedy path from BOS: greenllm echoes the prompt and
// then the continuation; llama.cpp prints the continuation alone.
TEST(LlamaCppCompat, GreedyContinuationOfPromptEqualsLlamaCpp) {
  GREENLLM_REQUIRE_LLAMA_CPP();
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  const std::string prompt = "Tom and his dog went to the beach";
  const CommandResult llama = llama_cpp_greedy(model, 128, prompt);
  ASSERT_EQ(llama.exit_code, 0) << llama.err;
  ASSERT_FALSE(llama.out.empty());

  const CommandResult echoed = greenllm_greedy(model, 128, prompt);
  ASSERT_EQ(echoed.exit_code, 0) << echoed.err;
  EXPECT_EQ(echoed.out, prompt + llama.out);

  const CommandResult quiet = greenllm_greedy(model, 128, prompt, /*display_prompt=*/false);
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out, llama.out);
}

// A bigger model with GQA (4 heads, 2 KV heads) and 256-wide rows: greenllm and llama.cpp agree too.
TEST(LlamaCppCompat, TinyStories5mGreedyEqualsLlamaCpp) {
  GREENLLM_REQUIRE_LLAMA_CPP();
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "tinystories-5m.gguf");
  const CommandResult llama = llama_cpp_greedy(model, 200);
  ASSERT_EQ(llama.exit_code, 0) << llama.err;
  const CommandResult ours = greenllm_greedy(model, 200);
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(ours.out, llama.out);
}

}  // namespace
}  // namespace greenllm::test
