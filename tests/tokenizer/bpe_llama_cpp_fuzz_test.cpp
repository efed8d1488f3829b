// Random texts tokenized by greenllm's byte-level BPE and by llama.cpp (node-llama-cpp's prebuilt
// binary): the ids must be identical, with and without parse_special. The texts are built to hit the
// pre-tokenizer regexes' corners: contractions in both cases, digit runs, CR/LF and other whitespace
// runs, Unicode letters, marks, numbers, punctuation and symbols of many scripts, CJK and Hangul,
// emoji, and each vocab's special tokens. Skips (with the reason) when node or tests/node is missing.
#include <gtest/gtest.h>

#include <random>

#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/unicode.h"
#include "tokenizer_test_util.h"

namespace greenllm::tokenizer {
namespace {

std::vector<std::pair<std::string, bool>> random_texts(uint32_t seed, const std::vector<std::string>& specials,
                                                       int n_texts) {
  // clang-format off
  static const std::vector<std::string> kPieces = {
      "a", "e", "x", "Q", "th", "ing", "Hello", "world", " the", " and", "Once upon a time", "I", "A",
      "'s", "'S", "'t", "'re", "'RE", "'ve", "'Ve", "'m", "'ll", "'LL", "'d", "'D", "'x", "'", "\xE2\x80\x99s",
      "0", "7", "12", "123", "1234", "1234567", "3.14", "1,000",
      "\xD9\xA3", "\xC2\xB2", "\xE2\x85\xAB", "\xEF\xBC\x93",                         // ٣ ² Ⅻ ３
      ".", ",", "!", "?", "...", "\"", "-", "(", ")", "[", "]", "{", "}", "_", "@", "#", "%", "&", "*", "/", "\\",
      "$", "+", "<", "=", ">", "^", "~", "|", "`", "->", "==", "</", ">>",
      "\xE2\x80\x94", "\xC2\xAB", "\xC2\xBB", "\xE3\x80\x82", "\xEF\xBC\x8C", "\xE3\x80\x81",   // — « » 。 ， 、
      "\xEF\xBC\x81", "\xEF\xBC\x9F", "\xE3\x80\x90", "\xE2\x80\x9C", "\xE2\x80\x98",            // ！ ？ 【 “ ‘
      "\xC2\xA9", "\xE2\x82\xAC", "\xE2\x86\x92", "\xE2\x88\x91", "\xC2\xB0",                    // © € → ∑ °
      " ", " ", "  ", "   ", "    ", "\t", "\t\t", "\n", "\n\n", "\r", "\r\n", " \n", "\n ", " \t\n  ",
      "\xC2\xA0", "\xE3\x80\x80", "\xE2\x80\x89", "\xC2\x85", "\xE2\x80\xA8",                    // nbsp, ideographic, thin, NEL, LS
      "e\xCC\x81", "\xCC\x88", "\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D\xE0\xA4\xA4\xE0\xA5\x87",  // é (combining), ̈, नमस्ते
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "\xE4\xB8\xAD\xE6\x96\x87", "\xE9\xBE\xA5", "\xE9\xBE\xA6",  // 日本語 中文 龥 龦
      "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4", "\xE3\x81\xB2\xE3\x82\x89\xE3\x81\x8C\xE3\x81\xAA",          // 한국어 ひらがな
      "\xE0\xB8\x81\xE0\xB8\xB2", "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7", "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D",  // กา مرحبا שלום
      "\xCE\xB1\xCE\xB2\xCE\xB3", "\xCE\x91\xCE\x92", "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",  // αβγ ΑΒ Привет
      "\xC3\x85ngstr\xC3\xB6m", "\xC3\x9F", "\xC5\xBF", "\xE2\x84\xA6", "\xE2\x84\xAA",                    // Ångström ß ſ Ω K
      "\xF0\x9F\xA6\x99", "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7",      // 🦙 👨‍👩‍👧
      "\xE2\x9D\xA4\xEF\xB8\x8F", "\xE2\x9C\x85", "\xF0\x9D\x93\x90",                                        // ❤️ ✅ 𝓐
      "\xEF\xBF\xBD", "\xEF\xBB\xBF", "\xEE\x80\x80", "\xCD\xB8", "\xE2\x80\x8B", "\x01", "\x7F", "\x1C", "\x1F", "\xE1\xA0\x8E",          // U+FFFD BOM PUA unassigned ZWSP
      "def f(x):\n    return x**2", "<s>", "</s>", "<|", "|>", "\xE2\x96\x81",
  };
  // clang-format on
  return test_util::random_texts(seed, kPieces, specials, n_texts, /*max_pieces=*/24, /*special_one_in=*/10);
}

// Compares on the vocab of `vocab_file`, with tokenizer.ggml.pre replaced by `pre` when not empty.
void compare_with_llama_cpp(const std::string& vocab_file, uint32_t seed, const std::vector<std::string>& specials,
                            const std::string& pre = "") {
  const std::string why = test_util::node_unavailable({"node-llama-cpp", "@node-llama-cpp/linux-x64"});
  if (!why.empty()) GTEST_SKIP() << why << "; cannot compare with llama.cpp";
  const auto fixture = test::model_fixture(vocab_file);
  if (!fixture) GTEST_SKIP() << "fixture " << vocab_file << " not found; skipping";
  std::string path = *fixture;
  std::string name = std::filesystem::path(vocab_file).stem().string();
  if (!pre.empty()) {
    auto file = formats::GgufFile::open(path);
    ASSERT_TRUE(file.is_ok()) << file.message();
    formats::GgufContent content = (*file)->content();
    content.set("tokenizer.ggml.pre", formats::GgufValue::string(pre));
    name += "-" + pre;
    path = test::temp_path(name + ".gguf");
    ASSERT_TRUE(formats::write_gguf(path, content).is_ok());
  }
  const auto tok = test_util::tokenizer_from_gguf(path);
  ASSERT_NE(tok, nullptr);

  const auto texts = random_texts(seed, specials, 500);
  const auto ref = test_util::llama_cpp_tokenize(path, texts, name);
  ASSERT_EQ(ref.size(), texts.size());
  int n_same = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto ours = tok->encode(texts[i].first, false, texts[i].second);
    EXPECT_EQ(test_util::ids_to_string(ours), test_util::ids_to_string(ref[i]))
        << "text " << i << " '" << texts[i].first << "' parse_special=" << texts[i].second;
    n_same += ours == ref[i];
  }
  std::printf("%s: %d/%zu random texts as llama.cpp\n", name.c_str(), n_same, texts.size());
  EXPECT_EQ(n_same, int(texts.size()));
}

TEST(TokenizerBpeLlamaCppFuzz, LlamaBpe) {
  compare_with_llama_cpp(
      "tokenizer/ggml-vocab-llama-bpe.gguf", 11,
      {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|reserved_special_token_5|>"});
}

TEST(TokenizerBpeLlamaCppFuzz, Qwen2) {
  compare_with_llama_cpp("tokenizer/ggml-vocab-qwen2.gguf", 12,
                         {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "[PAD151646]"});
}

TEST(TokenizerBpeLlamaCppFuzz, Gpt2) {
  compare_with_llama_cpp("tokenizer/ggml-vocab-gpt-2.gguf", 13, {"<|endoftext|>"});
}

TEST(TokenizerBpeLlamaCppFuzz, DeepseekCoder) {
  compare_with_llama_cpp("tokenizer/ggml-vocab-deepseek-coder.gguf", 14,
                         {"<\xEF\xBD\x9C"
                          "begin\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
                          "<\xEF\xBD\x9C"
                          "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
                          "<\xEF\xBD\x9C"
                          "fim\xE2\x96\x81hole\xEF\xBD\x9C>",
                          "<|EOT|>", "\xC3\xB5", "\xC3\xBF"});
}

TEST(TokenizerBpeLlamaCppFuzz, DeepseekLlm) {
  compare_with_llama_cpp("tokenizer/ggml-vocab-deepseek-coder.gguf", 15, {"<|EOT|>"}, "deepseek-llm");
}

TEST(TokenizerBpeLlamaCppFuzz, Falcon) {
  compare_with_llama_cpp("tokenizer/ggml-vocab-falcon.gguf", 16, {">>TITLE<<", ">>ABSTRACT<<", "<|endoftext|>"});
}

TEST(TokenizerBpeLlamaCppFuzz, Starcoder) {
  compare_with_llama_cpp("tokenizer/ggml-vocab-starcoder.gguf", 17,
                         {"<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<file_sep>", "<issue_start>"});
}

// Random code points of the Basic Multilingual Plane (controls, every script, unassigned ones):
// checks the Unicode classes against llama.cpp's own tables. Planes above are left out: llama.cpp's
// tables are of a newer Unicode version than Debian's 15.0 (e.g. CJK Extension I, Unicode 15.1).
TEST(TokenizerBpeLlamaCppFuzz, RandomBmpCodepoints) {
  const std::string why = test_util::node_unavailable({"node-llama-cpp", "@node-llama-cpp/linux-x64"});
  if (!why.empty()) GTEST_SKIP() << why << "; cannot compare with llama.cpp";
  std::mt19937 rng(6);
  std::vector<std::pair<std::string, bool>> texts;
  for (int i = 0; i < 800; ++i) {
    std::string s;
    for (int k = 0; k < 12; ++k) {
      uint32_t cp = rng() % 4 == 0 ? 0x20 + rng() % 0x60 : rng() % 0x10000;
      if ((cp >= 0xD800 && cp < 0xE000) || cp == 0) cp = ' ';
      utf8_append(cp, s);
    }
    texts.emplace_back(s, false);
  }
  for (const char* name : {"llama-bpe", "qwen2", "gpt-2", "deepseek-coder", "falcon", "starcoder"}) {
    const auto path = test::model_fixture(std::string("tokenizer/ggml-vocab-") + name + ".gguf");
    if (!path) GTEST_SKIP() << "fixture ggml-vocab-" << name << ".gguf not found; skipping";
    const auto tok = test_util::tokenizer_from_gguf(*path);
    ASSERT_NE(tok, nullptr);
    const auto ref = test_util::llama_cpp_tokenize(*path, texts, std::string("codepoints-") + name);
    ASSERT_EQ(ref.size(), texts.size());
    int n_same = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto ours = tok->encode(texts[i].first, false, false);
      EXPECT_EQ(ours, ref[i]) << name << " text " << i;
      n_same += ours == ref[i];
    }
    std::printf("%s: %d/%zu random code point texts as llama.cpp\n", name, n_same, texts.size());
  }
}

TEST(TokenizerBpeLlamaCppFuzz, DefaultPreTokenizer) {
  compare_with_llama_cpp("tokenizer/ggml-vocab-gpt-2.gguf", 18, {"<|endoftext|>"}, "default");
}

}  // namespace
}  // namespace greenllm::tokenizer
