// Byte-level BPE from GGUF against the reference tokenizers: the .inp/.out pairs that Hugging Face's
// tokenizers produced for Llama 3, Qwen2, GPT-2, DeepSeek Coder, Falcon and StarCoder, plus
// behaviour checked against llama.cpp (special tokens, BOS, pieces).
#include "tokenizer/bpe_tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tokenizer_test_util.h"

namespace greenllm::tokenizer {
namespace {

using test_util::ids_to_string;

// Every text of the pair encodes to its line (no BOS, parse_special off, as llama.cpp's
// test-tokenizer-0) and decodes back to itself.
void check_golden(const std::string& name) {
  const std::string base = "tokenizer/ggml-vocab-" + name + ".gguf";
  const auto gguf = test::model_fixture(base);
  const auto inp = test::model_fixture(base + ".inp");
  const auto out = test::model_fixture(base + ".out");
  if (!gguf || !inp || !out) GTEST_SKIP() << "fixture " << base << "(.inp/.out) not found; skipping";
  const auto tok = test_util::tokenizer_from_gguf(*gguf);
  ASSERT_NE(tok, nullptr);
  const auto texts = test_util::read_inp(*inp);
  const auto expected = test_util::read_out(*out);
  ASSERT_EQ(texts.size(), expected.size());
  ASSERT_EQ(texts.size(), 46u);
  int n_pass = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto ids = tok->encode(texts[i], /*add_special=*/false, /*parse_special=*/false);
    EXPECT_EQ(ids_to_string(ids), ids_to_string(expected[i])) << name << " text " << i << ": '" << texts[i] << "'";
    EXPECT_EQ(tok->decode(ids), texts[i]) << name << " text " << i;
    n_pass += ids == expected[i];
  }
  std::printf("%s: %d/%zu texts match\n", name.c_str(), n_pass, texts.size());
  EXPECT_EQ(n_pass, int(texts.size()));
}

TEST(TokenizerBpeGolden, LlamaBpe) { check_golden("llama-bpe"); }
TEST(TokenizerBpeGolden, Qwen2) { check_golden("qwen2"); }
TEST(TokenizerBpeGolden, Gpt2) { check_golden("gpt-2"); }
TEST(TokenizerBpeGolden, DeepseekCoder) { check_golden("deepseek-coder"); }
TEST(TokenizerBpeGolden, Falcon) { check_golden("falcon"); }
TEST(TokenizerBpeGolden, Starcoder) { check_golden("starcoder"); }

}  // namespace
}  // namespace greenllm::tokenizer
