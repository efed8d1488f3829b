// SentencePiece BPE against the reference tokenizers: the .inp/.out pairs made with Hugging Face's
// tokenizers (llama-spm, phi-3), stories260K's known ids, and behaviour checked against llama.cpp.
#include <gtest/gtest.h>

#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"
#include "tokenizer_test_util.h"

namespace greenllm::tokenizer {
namespace {

using test_util::check_golden;
using test_util::tokenizer_from_gguf;

TEST(SpmGolden, LlamaSpm) { check_golden("llama-spm"); }
TEST(SpmGolden, Phi3) { check_golden("phi-3"); }

constexpr const char* kStory = "Once upon a time, there was a little girl named Lily.";
const std::vector<int32_t> kStoryIds = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426};

TEST(SpmStories, Gguf) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "stories260K.gguf");
  const auto tok = tokenizer_from_gguf(path);
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->encode(kStory, true, false), kStoryIds);
  EXPECT_EQ(tok->encode(kStory, true, true), kStoryIds);
  const std::vector<int32_t> no_bos(kStoryIds.begin() + 1, kStoryIds.end());
  EXPECT_EQ(tok->encode(kStory, false, false), no_bos);
  EXPECT_EQ(tok->decode(kStoryIds), kStory);
}

TEST(SpmStories, Llama2cTokenizerBin) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "tok512.bin");
  auto vocab = vocab_from_llama2c(path, -1);
  ASSERT_TRUE(vocab.is_ok()) << vocab.message();
  auto tok = make_tokenizer(std::move(vocab).value());
  ASSERT_TRUE(tok.is_ok()) << tok.message();
  EXPECT_EQ((*tok)->encode(kStory, true, false), kStoryIds);
  EXPECT_EQ((*tok)->decode(kStoryIds), kStory);
}

// Expected ids below come from llama.cpp (llama_tokenize with add_special=false).
TEST(SpmSpecial, ParseSpecialSplitsControlTokens) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "tokenizer/ggml-vocab-llama-spm.gguf");
  const auto tok = tokenizer_from_gguf(path);
  ASSERT_NE(tok, nullptr);
  // With parse_special "<s>" is BOS and the text after it gets the dummy-prefix space again.
  EXPECT_EQ(tok->encode("<s>Hello", false, true), (std::vector<int32_t>{1, 15043}));
  // Without, it is text: "▁<" "s" ">" "Hello".
  EXPECT_EQ(tok->encode("<s>Hello", false, false), (std::vector<int32_t>{529, 29879, 29958, 10994}));
  EXPECT_EQ(tok->encode("Hello world", false, false), (std::vector<int32_t>{15043, 3186}));
  EXPECT_EQ(tok->encode(" Hello", false, false), (std::vector<int32_t>{29871, 15043}));
  EXPECT_EQ(tok->encode("", true, false), (std::vector<int32_t>{1}));
  EXPECT_EQ(tok->encode("", false, false), (std::vector<int32_t>{}));
}

TEST(SpmSpecial, Phi3StripsWhitespaceAfterSpecialTokens) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "tokenizer/ggml-vocab-phi-3.gguf");
  const auto tok = tokenizer_from_gguf(path);
  ASSERT_NE(tok, nullptr);
  // llama.cpp makes </s> (USER_DEFINED in the file) a control token, and for Phi-3 drops the
  // whitespace after it.
  EXPECT_EQ(tok->encode("a</s> b", false, true), (std::vector<int32_t>{263, 2, 289}));
  EXPECT_EQ(tok->encode("a[PAD32011] b", false, true), (std::vector<int32_t>{263, 32011, 289}));
  EXPECT_EQ(tok->encode("a[PAD32011] b", false, false),
            (std::vector<int32_t>{263, 29961, 29925, 3035, 29941, 29906, 29900, 29896, 29896, 29962, 289}));
  EXPECT_TRUE(tok->is_eog(32000));  // <|endoftext|>
  EXPECT_TRUE(tok->is_eog(32007));  // <|end|>
  EXPECT_TRUE(tok->is_eog(2));      // </s>
  EXPECT_FALSE(tok->is_eog(1));
  EXPECT_FALSE(tok->is_eog(32011));
}

TEST(SpmPieces, TokenTypes) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "tokenizer/ggml-vocab-llama-spm.gguf");
  const auto tok = tokenizer_from_gguf(path);
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->token_to_piece(15043), " Hello");  // "▁Hello"
  EXPECT_EQ(tok->token_to_piece(10994), "Hello");
  EXPECT_EQ(tok->token_to_piece(29871), " ");
  EXPECT_EQ(tok->token_to_piece(13), "\n");  // <0x0A>
  EXPECT_EQ(tok->token_to_piece(3 + 0xE2), "\xE2");
  EXPECT_EQ(tok->token_to_piece(1), "");  // <s>
  EXPECT_EQ(tok->token_to_piece(1, true), "<s>");
  EXPECT_EQ(tok->token_to_piece(0), "");  // <unk>
  EXPECT_EQ(tok->token_to_piece(0, true), "<unk>");
  EXPECT_EQ(tok->token_to_piece(-1), "");
  EXPECT_EQ(tok->token_to_piece(32000), "");
  EXPECT_TRUE(tok->is_eog(2));
  EXPECT_FALSE(tok->is_eog(1));
}

// A vocab without byte tokens falls back to <unk> for characters it lacks.
TEST(SpmByteFallback, UnknownWithoutByteTokens) {
  Vocab v;
  v.tokens = {"<unk>",
              "<s>",
              "</s>",
              "\xE2\x96\x81",
              "a",
              "b",
              "\xE2\x96\x81"
              "a",
              "ab"};
  v.scores = {0, 0, 0, -1, -2, -3, -4, -5};
  v.types = {TokenType::UNKNOWN, TokenType::CONTROL, TokenType::CONTROL, TokenType::NORMAL,
             TokenType::NORMAL,  TokenType::NORMAL,  TokenType::NORMAL,  TokenType::NORMAL};
  v.bos_id = 1;
  v.eos_id = 2;
  v.unk_id = 0;
  auto tok = make_tokenizer(v);
  ASSERT_TRUE(tok.is_ok()) << tok.message();
  // "▁abé": "▁a" (-4) and "ab" (-5): the better score wins; "é" has two bytes, each <unk>.
  EXPECT_EQ((*tok)->encode("ab\xC3\xA9", false, false), (std::vector<int32_t>{6, 5, 0, 0}));
}

TEST(SpmRoundTrip, Stories260KBytes) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "stories260K.gguf");
  const auto tok = tokenizer_from_gguf(path);
  ASSERT_NE(tok, nullptr);
  for (const std::string text :
       {"h\xC3\xA9llo w\xC3\xB6rld \xF0\x9F\xA6\x99!", "  two  spaces\n\ttab", "\xE4\xB8\xAD\xE6\x96\x87"}) {
    EXPECT_EQ(tok->decode(tok->encode(text, true, false)), text);
  }
}

TEST(SpmStreamDecoder, HoldsBackIncompleteUtf8) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "stories260K.gguf");
  const auto tok = tokenizer_from_gguf(path);
  ASSERT_NE(tok, nullptr);
  const std::string text = "Lily saw a \xF0\x9F\xA6\x99 and \xC3\xA9t\xC3\xA9.";  // llama, été
  const auto ids = tok->encode(text, true, false);
  StreamDecoder dec(*tok, /*strip_leading_space=*/true);
  std::string out;
  size_t n_held = 0;
  for (const int32_t id : ids) {
    const std::string part = dec.push(id);
    // Every chunk is whole UTF-8: it never ends inside a sequence.
    for (size_t i = 0; i < part.size();) {
      const uint8_t c = uint8_t(part[i]);
      const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      ASSERT_LE(i + len, part.size()) << "chunk ends inside a UTF-8 sequence";
      i += len;
    }
    if (part.empty()) ++n_held;
    out += part;
  }
  out += dec.flush();
  EXPECT_EQ(out, text);
  EXPECT_GE(n_held, 4u);  // BOS, then 3 bytes of the llama and 1 of each é were held back

  // The bytes of one character, pushed one by one.
  StreamDecoder bytes(*tok, false);
  EXPECT_EQ(bytes.push(3 + 0xF0), "");
  EXPECT_EQ(bytes.push(3 + 0x9F), "");
  EXPECT_EQ(bytes.push(3 + 0xA6), "");
  EXPECT_EQ(bytes.push(3 + 0x99), "\xF0\x9F\xA6\x99");
  EXPECT_EQ(bytes.push(3 + 0xC3), "");
  EXPECT_EQ(bytes.flush(), "\xC3");
}

TEST(SpmStreamDecoder, LeadingSpace) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "stories260K.gguf");
  const auto tok = tokenizer_from_gguf(path);
  ASSERT_NE(tok, nullptr);
  const auto ids = tok->encode(kStory, true, false);
  std::string stripped, kept;
  StreamDecoder a(*tok, true), b(*tok, false);
  for (const int32_t id : ids) {
    stripped += a.push(id);
    kept += b.push(id);
  }
  EXPECT_EQ(stripped, kStory);
  EXPECT_EQ(kept, std::string(" ") + kStory);
}

// 1 MB of real text in well under a second (SentencePiece-style merge queue, O(n log n)).
TEST(SpmPerformance, OneMegabyte) { test_util::check_one_megabyte("tokenizer/ggml-vocab-llama-spm.gguf"); }

}  // namespace
}  // namespace greenllm::tokenizer
