// Random texts tokenized by greenllm and by llama.cpp (node-llama-cpp's prebuilt binary, the same
// reference tests/cli uses): the ids must be identical, with and without parse_special. The texts mix
// words, runs of spaces, newlines, multi-byte and missing characters, and special-token texts.
// Skips (with the reason) when node or tests/node/node_modules is missing (scripts/test_deps.sh).
#include <gtest/gtest.h>

#include <filesystem>

#include "tokenizer_test_util.h"

namespace greenllm::tokenizer {
namespace {

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
  return test_util::random_texts(seed, kPieces, specials, n_texts, /*max_pieces=*/24, /*special_one_in=*/8);
}

void compare_with_llama_cpp(const std::string& vocab_file, uint32_t seed, const std::vector<std::string>& specials) {
  const std::string why = test_util::node_unavailable({"node-llama-cpp", "@node-llama-cpp/linux-x64"});
  if (!why.empty()) GTEST_SKIP() << why << "; cannot compare with llama.cpp";
  const auto path = test::model_fixture(vocab_file);
  if (!path) GTEST_SKIP() << "fixture " << vocab_file << " not found; skipping";
  const auto tok = test_util::tokenizer_from_gguf(*path);
  ASSERT_NE(tok, nullptr);

  const auto texts = random_texts(seed, specials, 400);
  const std::string name = std::filesystem::path(vocab_file).stem().string();
  const auto ref = test_util::llama_cpp_tokenize(*path, texts, name + "-fuzz");
  ASSERT_EQ(ref.size(), texts.size());

  int n_same = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto ours = tok->encode(texts[i].first, false, texts[i].second);
    EXPECT_EQ(ours, ref[i]) << "text " << i << " '" << texts[i].first << "' parse_special=" << texts[i].second;
    n_same += ours == ref[i];
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
