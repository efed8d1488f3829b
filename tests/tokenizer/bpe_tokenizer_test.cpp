// Byte-level BPE from GGUF against the reference tokenizers: the .inp/.out pairs that Hugging Face's
// tokenizers produced for Llama 3, Qwen2, GPT-2, DeepSeek Coder, Falcon and StarCoder, plus
// behaviour checked against llama.cpp (special tokens, BOS, pieces).
#include "tokenizer/bpe_tokenizer.h"

#include <gtest/gtest.h>

#include "tokenizer_test_util.h"

namespace greenllm::tokenizer {
namespace {

using test_util::check_golden;

// Every text of each pair encodes to its line (no BOS, parse_special off, as llama.cpp's
// test-tokenizer-0) and decodes back to itself.
TEST(TokenizerBpeGolden, LlamaBpe) { check_golden("llama-bpe"); }
TEST(TokenizerBpeGolden, Qwen2) { check_golden("qwen2"); }
TEST(TokenizerBpeGolden, Gpt2) { check_golden("gpt-2"); }
TEST(TokenizerBpeGolden, DeepseekCoder) { check_golden("deepseek-coder"); }
TEST(TokenizerBpeGolden, Falcon) { check_golden("falcon"); }
TEST(TokenizerBpeGolden, Starcoder) { check_golden("starcoder"); }

// Expected ids below come from llama.cpp (llama_tokenize with add_special as given).
TEST(TokenizerBpeSpecial, Llama3BosAndSpecialTokens) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "tokenizer/ggml-vocab-llama-bpe.gguf");
  const auto tok = test_util::tokenizer_from_gguf(path);
  ASSERT_NE(tok, nullptr);
  EXPECT_TRUE(tok->vocab().add_bos);
  EXPECT_EQ(tok->encode("Hello world", true, false), (std::vector<int32_t>{128000, 9906, 1917}));
  EXPECT_EQ(tok->encode("<|eot_id|>", false, true), (std::vector<int32_t>{128009}));
  EXPECT_EQ(tok->encode("<|eot_id|>", false, false), (std::vector<int32_t>{27, 91, 68, 354, 851, 91, 29}));
  EXPECT_TRUE(tok->is_eog(128009));
  EXPECT_TRUE(tok->is_eog(128001));
  EXPECT_FALSE(tok->is_eog(128000));
  EXPECT_EQ(tok->token_to_piece(9906), "Hello");
  EXPECT_EQ(tok->token_to_piece(1917), " world");
  EXPECT_EQ(tok->token_to_piece(128000), "");
  EXPECT_EQ(tok->token_to_piece(128000, true), "<|begin_of_text|>");
  EXPECT_EQ(tok->decode({128000, 9906, 1917}), "Hello world");
}

// Byte-level BPE has no dummy-prefix space: a generated leading space is text and stays.
TEST(TokenizerBpeSpecial, StreamDecoderKeepsLeadingSpace) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "tokenizer/ggml-vocab-llama-bpe.gguf");
  const auto tok = test_util::tokenizer_from_gguf(path);
  ASSERT_NE(tok, nullptr);
  StreamDecoder dec(*tok, /*strip_leading_space=*/true);
  std::string out;
  for (const int32_t id : {128000, 1917, 0}) out += dec.push(id);  // BOS " world" "!"
  EXPECT_EQ(out + dec.flush(), " world!");
}

TEST(TokenizerBpeSpecial, Gpt2HasNoBos) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "tokenizer/ggml-vocab-gpt-2.gguf");
  const auto tok = test_util::tokenizer_from_gguf(path);
  ASSERT_NE(tok, nullptr);
  EXPECT_FALSE(tok->vocab().add_bos);
  EXPECT_EQ(tok->encode("Hello world", true, false), (std::vector<int32_t>{15496, 995}));
  EXPECT_EQ(tok->encode("", true, false), (std::vector<int32_t>{}));
}

// 1 MB of real text well under a second (about 0.1 s here in a release build).
TEST(TokenizerBpePerformance, OneMegabyte) { test_util::check_one_megabyte("tokenizer/ggml-vocab-qwen2.gguf"); }

}  // namespace
}  // namespace greenllm::tokenizer
