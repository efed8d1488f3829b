// Random texts tokenized by greenllm and by llama.cpp (node-llama-cpp's prebuilt binary, the same
// reference tests/cli uses): the ids must be identical, with and without parse_special. The texts mix
// words, runs of spaces, newlines, multi-byte and missing characters, and special-token texts.
// Skips (with the reason) when node or tests/node/node_modules is missing (scripts/test_deps.sh).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "formats/gguf.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace greenllm::tokenizer {
namespace {
namespace fs = std::filesystem;

const std::string kNodeModules = GREENLLM_SOURCE_DIR "/tests/node/node_modules";

// Reads [[text, parse_special], ...] and prints llama.cpp's ids (add_special off) as a JSON array.
constexpr const char* kScript = R"js(
import fs from "fs";
const [entry, model_path, in_path] = process.argv.slice(2);
const {getLlama, LlamaLogLevel} = await import(entry);
const llama = await getLlama({gpu: false, build: "never", skipDownload: true, progressLogs: false,
                              logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath: model_path, gpuLayers: 0, vocabOnly: true});
const items = JSON.parse(fs.readFileSync(in_path, "utf8"));
const out = items.map(([text, special]) => Array.from(model.tokenize(text, special)));
await new Promise((resolve) => process.stdout.write(JSON.stringify(out), resolve));
await model.dispose();
)js";

// Empty when llama.cpp through node can run here, else why not.
std::string llama_cpp_unavailable() {
  std::string node;
  if (test::run_command("command -v node", &node) != 0 || node.empty()) return "node not on PATH";
  for (const char* package : {"node-llama-cpp", "@node-llama-cpp/linux-x64"}) {
    if (!fs::exists(fs::path(kNodeModules) / package)) return kNodeModules + "/" + package + " missing";
  }
  return "";
}

std::vector<std::pair<std::string, bool>> random_texts(uint32_t seed, const std::vector<std::string>& specials,
                                                       int n_texts) {
  // clang-format off
  static const std::vector<std::string> kPieces = {
      "a", "b", "e", "t", "x", "z", "Q", "th", "ing", "Hello", "world", " the", " and", "Once upon a time",
      "Lily", "0", "3", "333", "1234", ".", ",", "!", "?", "'", "\"", "-", "(", ")", " ", " ", "  ", "   ",
      "\n", "\n\n", "\t", "\r\n", "<", ">", "</", "s>", "<s", "|", "_",
      "\xC3\xA9", "\xC3\xBC", "\xC3\x9F", "\xD0\xBD\xD0\xB5\xD1\x89\xD0\xBE",  // é ü ß нещо
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "\xE4\xB8\xAD",                    // 日本語 中
      "\xF0\x9F\xA6\x99", "\xF0\x9F\x9A\x80", "\xE2\x96\x81", "\xC2\xA0",        // 🦙 🚀 ▁ nbsp
      "\xE2\x80\x8B", "\xE0\xB8\x81", "\xF0\x9D\x93\x90", "\x01", "\x7F",          // zwsp ก 𝓐
  };
  // clang-format on
  std::mt19937 rng(seed);
  std::vector<std::pair<std::string, bool>> texts;
  for (int i = 0; i < n_texts; ++i) {
    std::string s;
    const int n = int(rng() % 24);
    for (int k = 0; k < n; ++k) {
      if (!specials.empty() && rng() % 8 == 0)
        s += specials[rng() % specials.size()];
      else
        s += kPieces[rng() % kPieces.size()];
    }
    texts.emplace_back(s, rng() % 2 == 0);
  }
  return texts;
}

void compare_with_llama_cpp(const std::string& vocab_file, uint32_t seed, const std::vector<std::string>& specials) {
  const std::string why = llama_cpp_unavailable();
  if (!why.empty()) GTEST_SKIP() << why << "; cannot compare with llama.cpp";
  const auto path = test::model_fixture(vocab_file);
  if (!path) GTEST_SKIP() << "fixture " << vocab_file << " not found; skipping";

  auto file = formats::GgufFile::open(*path);
  ASSERT_TRUE(file.is_ok()) << file.message();
  auto vocab = vocab_from_gguf(**file);
  ASSERT_TRUE(vocab.is_ok()) << vocab.message();
  auto tok = make_tokenizer(std::move(vocab).value());
  ASSERT_TRUE(tok.is_ok()) << tok.message();

  const auto texts = random_texts(seed, specials, 400);
  nlohmann::json in = nlohmann::json::array();
  for (const auto& [text, special] : texts) in.push_back({text, special});
  const std::string name = fs::path(vocab_file).stem().string();
  const std::string in_path = test::temp_path(name + "-fuzz.json");
  const std::string script_path = test::temp_path("tokenize.mjs");
  std::ofstream(in_path) << in.dump();
  std::ofstream(script_path) << kScript;

  std::string out;
  const std::string cmd = "node '" + script_path + "' '" + kNodeModules + "/node-llama-cpp/dist/index.js' '" + *path +
                          "' '" + in_path + "' 2>/dev/null";
  ASSERT_EQ(test::run_command(cmd, &out), 0) << cmd;
  const auto ref = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(ref.is_array() && ref.size() == texts.size()) << out.substr(0, 200);

  int n_same = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto ours = (*tok)->encode(texts[i].first, false, texts[i].second);
    const auto theirs = ref[i].get<std::vector<int32_t>>();
    EXPECT_EQ(ours, theirs) << "text " << i << " '" << texts[i].first << "' parse_special=" << texts[i].second;
    n_same += ours == theirs;
  }
  EXPECT_EQ(n_same, int(texts.size()));
}

TEST(SpmLlamaCppFuzz, LlamaSpm) {
  compare_with_llama_cpp("tokenizer/ggml-vocab-llama-spm.gguf", 1, {"<s>", "</s>", "<unk>"});
}

TEST(SpmLlamaCppFuzz, Phi3) {
  compare_with_llama_cpp("tokenizer/ggml-vocab-phi-3.gguf", 2,
                         {"<s>", "</s>", "<unk>", "<|endoftext|>", "<|user|>", "<|assistant|>", "<|end|>", "<|system|>",
                          "<|placeholder1|>", "[PAD32011]", "  "});
}

TEST(SpmLlamaCppFuzz, Stories260K) { compare_with_llama_cpp("stories260K.gguf", 3, {"<s>", "</s>", "<unk>"}); }

}  // namespace
}  // namespace greenllm::tokenizer
