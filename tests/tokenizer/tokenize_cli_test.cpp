// `greenllm tokenize` end to end: ids, pieces, JSON and errors, on stories260K (GGUF and llama2.c).
// Skips when the binary has not been built (this suite does not depend on it).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace greenllm {
namespace {

constexpr const char* kStory = "Once upon a time, there was a little girl named Lily.";
constexpr const char* kStoryIds = "1 403 407 261 378 432 383 286 261 376 298 315 421 395 317 426";

struct CliRun {
  int exit_code;
  std::string out, err;
};

CliRun tokenize(const std::string& args, const std::string& input) {
  const std::string in_path = test::temp_path("tokenize-input.txt");
  const std::string err_path = test::temp_path("tokenize-stderr.txt");
  std::ofstream(in_path, std::ios::binary) << input;
  CliRun r;
  std::string cmd = "'";
  cmd += test::greenllm_binary();
  cmd += "' tokenize " + args + " < '" + in_path + "' 2> '" + err_path + "'";
  r.exit_code = test::run_command(cmd, &r.out);
  r.err = test::read_file(err_path);
  return r;
}

#define REQUIRE_BINARY()                                 \
  if (!std::filesystem::exists(test::greenllm_binary())) \
  GTEST_SKIP() << test::greenllm_binary() << " not built (build the greenllm target)"

TEST(TokenizerCli, IdsFromGgufAndLlama2c) {
  REQUIRE_BINARY();
  GREENLLM_REQUIRE_FIXTURE(gguf, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(bin, model_fixture, "stories260K.bin");
  GREENLLM_REQUIRE_FIXTURE(tok, model_fixture, "tok512.bin");
  CliRun r = tokenize("-m '" + gguf + "' --bos", kStory);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kStoryIds) + "\n");
  r = tokenize("-m '" + bin + "' --tokenizer '" + tok + "' --bos", kStory);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kStoryIds) + "\n");
  r = tokenize("-m '" + gguf + "'", kStory);  // the text alone: no BOS
  EXPECT_EQ(r.out, std::string(kStoryIds).substr(2) + "\n");

  const std::string file = test::temp_path("story.txt");
  std::ofstream(file) << kStory;
  r = tokenize("-m '" + gguf + "' --bos -f '" + file + "'", "ignored");
  EXPECT_EQ(r.out, std::string(kStoryIds) + "\n");
}

TEST(TokenizerCli, PiecesAndJson) {
  REQUIRE_BINARY();
  GREENLLM_REQUIRE_FIXTURE(gguf, model_fixture, "stories260K.gguf");
  // "🦙" is not in the 512-token vocab: four byte tokens.
  CliRun r = tokenize("-m '" + gguf + "' --bos --pieces", "Hi \xF0\x9F\xA6\x99\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "1\t'<s>'\n320\t' H'\n417\t'i'\n410\t' '\n"
            "243\t'\\xF0'\n162\t'\\x9F'\n169\t'\\xA6'\n156\t'\\x99'\n13\t'\\n'\n");

  r = tokenize("-m '" + gguf + "' --json --bos", kStory);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto ids = nlohmann::json::parse(r.out);
  ASSERT_TRUE(ids.is_array());
  EXPECT_EQ(ids.size(), 16u);
  EXPECT_EQ(ids[0], 1);
  EXPECT_EQ(ids[1], 403);

  r = tokenize("-m '" + gguf + "' --json --pieces", "Hi");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::parse(R"([{"id":320,"piece":" H"},{"id":417,"piece":"i"}])"));
}

TEST(TokenizerCli, Errors) {
  REQUIRE_BINARY();
  GREENLLM_REQUIRE_FIXTURE(bin, model_fixture, "stories260K.bin");
  CliRun r = tokenize("-m '" + bin + "'", "x");  // a llama2.c checkpoint without --tokenizer
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("greenllm tokenize: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("--tokenizer"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  r = tokenize("-m /nonexistent/model.gguf", "x");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent/model.gguf"), std::string::npos) << r.err;

  // A byte-level BPE vocabulary works through the same command (llama.cpp's ids: "Hello" is one token).
  if (const auto gpt2 = test::model_fixture("tokenizer/ggml-vocab-gpt-2.gguf")) {
    r = tokenize("-m '" + *gpt2 + "'", "Hello");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "15496\n");
  }
}

}  // namespace
}  // namespace greenllm
