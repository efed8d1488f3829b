// Vocabulary loading: GGUF metadata, llama2.c tokenizer.bin (checked against the GGUF that llama.cpp's
// converter made from it) and the errors for broken files.
#include "tokenizer/vocab.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "formats/gguf.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer_test_util.h"

namespace greenllm::tokenizer {
namespace {

using formats::GgufContent;
using formats::GgufFile;
using formats::GgufValue;

using test_util::vocab_from_gguf_fixture;

// Writes a GGUF with the given metadata only (no tensors) and returns the error of reading its vocab.
std::string vocab_error_for(const std::string& name, const std::vector<formats::GgufKeyValue>& kvs) {
  GgufContent content;
  for (const auto& kv : kvs) content.set(kv.key, kv.value);
  const std::string path = test::temp_path(name);
  const Status written = formats::write_gguf(path, content);
  EXPECT_TRUE(written.is_ok()) << written.message();
  auto file = GgufFile::open(path);
  EXPECT_TRUE(file.is_ok()) << file.message();
  if (!file.is_ok()) return "cannot open";
  auto vocab = vocab_from_gguf(**file);
  return vocab.is_ok() ? std::string() : vocab.message();
}

std::vector<formats::GgufKeyValue> tiny_vocab_kvs() {
  return {
      {"tokenizer.ggml.model", GgufValue::string("llama")},
      {"tokenizer.ggml.tokens", GgufValue::string_array({"<unk>", "<s>", "</s>", "a", "b"})},
      {"tokenizer.ggml.scores", GgufValue::f32_array({0, 0, 0, -1, -2})},
      {"tokenizer.ggml.token_type", GgufValue::i32_array({2, 3, 3, 1, 1})},
  };
}

TEST(TokenizerVocab, GgufStories260K) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "stories260K.gguf");
  const Vocab v = vocab_from_gguf_fixture(path);
  EXPECT_EQ(v.model, "llama");
  ASSERT_EQ(v.n_tokens(), 512);
  EXPECT_EQ(v.scores.size(), 512u);
  EXPECT_EQ(v.types.size(), 512u);
  EXPECT_EQ(v.tokens[0], "<unk>");
  EXPECT_EQ(v.types[0], TokenType::UNKNOWN);
  EXPECT_EQ(v.types[1], TokenType::CONTROL);
  EXPECT_EQ(v.types[3], TokenType::BYTE);
  EXPECT_EQ(v.tokens[259], "\xE2\x96\x81t");  // "▁t"
  EXPECT_EQ(v.bos_id, 1);
  EXPECT_EQ(v.eos_id, 2);
  EXPECT_EQ(v.unk_id, 0);
  EXPECT_EQ(v.pad_id, -1);  // the file says 0xFFFFFFFF: none
  EXPECT_TRUE(v.add_bos);
  EXPECT_FALSE(v.add_eos);
  EXPECT_TRUE(v.add_space_prefix);  // SentencePiece default when the key is absent
}

TEST(TokenizerVocab, GgufPhi3SpecialIds) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "tokenizer/ggml-vocab-phi-3.gguf");
  const Vocab v = vocab_from_gguf_fixture(path);
  EXPECT_EQ(v.n_tokens(), 32064);
  EXPECT_EQ(v.eos_id, 32000);
  EXPECT_EQ(v.pad_id, 32000);
  EXPECT_EQ(v.model_name, "Phi3");
  EXPECT_EQ(v.types[2], TokenType::USER_DEFINED);  // </s>
}

// llama.cpp's convert-llama2c-to-ggml made stories260K.gguf's vocab from tok512.bin: ours must agree.
TEST(TokenizerVocab, Llama2cEqualsConvertedGguf) {
  GREENLLM_REQUIRE_FIXTURE(bin, model_fixture, "tok512.bin");
  GREENLLM_REQUIRE_FIXTURE(gguf, model_fixture, "stories260K.gguf");
  auto from_bin = vocab_from_llama2c(bin, -1);
  ASSERT_TRUE(from_bin.is_ok()) << from_bin.message();
  const Vocab g = vocab_from_gguf_fixture(gguf);
  const Vocab& b = from_bin.value();
  ASSERT_EQ(b.n_tokens(), g.n_tokens());
  for (int32_t i = 0; i < b.n_tokens(); ++i) {
    EXPECT_EQ(b.tokens[size_t(i)], g.tokens[size_t(i)]) << "token " << i;
    EXPECT_EQ(b.scores[size_t(i)], g.scores[size_t(i)]) << "token " << i;
    EXPECT_EQ(b.types[size_t(i)], g.types[size_t(i)]) << "token " << i;
  }
  EXPECT_EQ(b.bos_id, 1);
  EXPECT_EQ(b.eos_id, 2);
  EXPECT_EQ(b.unk_id, 0);
  EXPECT_TRUE(b.add_space_prefix);

  auto exact = vocab_from_llama2c(bin, 512);
  ASSERT_TRUE(exact.is_ok()) << exact.message();
  EXPECT_EQ(exact->n_tokens(), 512);
  auto too_many = vocab_from_llama2c(bin, 513);
  ASSERT_FALSE(too_many.is_ok());
  EXPECT_NE(too_many.message().find(bin), std::string::npos) << too_many.message();
  EXPECT_NE(too_many.message().find("token 512"), std::string::npos) << too_many.message();
}

TEST(TokenizerVocab, Llama2cErrors) {
  const std::string missing = test::temp_path("no-such-tokenizer.bin");
  EXPECT_FALSE(vocab_from_llama2c(missing, -1).is_ok());

  const std::string bad = test::temp_path("bad-tokenizer.bin");
  {
    std::ofstream out(bad, std::ios::binary);
    const int32_t max_len = 4;
    const float score = 0;
    const int32_t len = 100;  // longer than max_token_length and the file
    out.write(reinterpret_cast<const char*>(&max_len), 4);
    out.write(reinterpret_cast<const char*>(&score), 4);
    out.write(reinterpret_cast<const char*>(&len), 4);
    out.write("ab", 2);
  }
  auto r = vocab_from_llama2c(bad, -1);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.message().find(bad), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("token 0"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("length 100"), std::string::npos) << r.message();
}

TEST(TokenizerVocab, GgufRoundTrip) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "tokenizer/ggml-vocab-phi-3.gguf");
  const Vocab v = vocab_from_gguf_fixture(path);
  GgufContent content;
  vocab_to_gguf(v, content);
  content.set("general.name", GgufValue::string(v.model_name));
  const std::string out = test::temp_path("phi3-vocab-roundtrip.gguf");
  ASSERT_TRUE(formats::write_gguf(out, content).is_ok());
  const Vocab w = vocab_from_gguf_fixture(out);
  EXPECT_EQ(w.model, v.model);
  EXPECT_EQ(w.tokens, v.tokens);
  EXPECT_EQ(w.scores, v.scores);
  EXPECT_EQ(w.types, v.types);
  EXPECT_EQ(w.bos_id, v.bos_id);
  EXPECT_EQ(w.eos_id, v.eos_id);
  EXPECT_EQ(w.unk_id, v.unk_id);
  EXPECT_EQ(w.pad_id, v.pad_id);
  EXPECT_EQ(w.add_bos, v.add_bos);
  EXPECT_EQ(w.add_eos, v.add_eos);
  EXPECT_EQ(w.add_space_prefix, v.add_space_prefix);
}

TEST(TokenizerVocab, GgufErrorsNameFileAndKey) {
  {
    auto kvs = tiny_vocab_kvs();
    kvs.erase(kvs.begin() + 1);  // no tokens
    const std::string err = vocab_error_for("no-tokens.gguf", kvs);
    EXPECT_NE(err.find("no-tokens.gguf"), std::string::npos) << err;
    EXPECT_NE(err.find("tokenizer.ggml.tokens"), std::string::npos) << err;
  }
  {
    auto kvs = tiny_vocab_kvs();
    kvs.erase(kvs.begin());  // no model
    const std::string err = vocab_error_for("no-model.gguf", kvs);
    EXPECT_NE(err.find("tokenizer.ggml.model"), std::string::npos) << err;
  }
  {
    auto kvs = tiny_vocab_kvs();
    kvs[2].value = GgufValue::f32_array({0, 0, 0});
    const std::string err = vocab_error_for("short-scores.gguf", kvs);
    EXPECT_NE(err.find("short-scores.gguf"), std::string::npos) << err;
    EXPECT_NE(err.find("tokenizer.ggml.scores"), std::string::npos) << err;
  }
  {
    auto kvs = tiny_vocab_kvs();
    kvs[3].value = GgufValue::i32_array({2, 3});
    const std::string err = vocab_error_for("short-types.gguf", kvs);
    EXPECT_NE(err.find("tokenizer.ggml.token_type"), std::string::npos) << err;
  }
  {
    auto kvs = tiny_vocab_kvs();
    kvs.push_back({"tokenizer.ggml.eos_token_id", GgufValue::u32(5)});
    const std::string err = vocab_error_for("bad-eos.gguf", kvs);
    EXPECT_NE(err.find("bad-eos.gguf"), std::string::npos) << err;
    EXPECT_NE(err.find("tokenizer.ggml.eos_token_id"), std::string::npos) << err;
  }
  {
    auto kvs = tiny_vocab_kvs();
    kvs.push_back({"tokenizer.ggml.add_bos_token", GgufValue::string("yes")});
    const std::string err = vocab_error_for("bad-add-bos.gguf", kvs);
    EXPECT_NE(err.find("tokenizer.ggml.add_bos_token"), std::string::npos) << err;
  }
  EXPECT_EQ(vocab_error_for("tiny-ok.gguf", tiny_vocab_kvs()), "");
}

TEST(TokenizerVocab, FlagsFromGguf) {
  auto kvs = tiny_vocab_kvs();
  kvs.push_back({"tokenizer.ggml.add_space_prefix", GgufValue::boolean(false)});
  kvs.push_back({"tokenizer.ggml.add_bos_token", GgufValue::boolean(false)});
  kvs.push_back({"tokenizer.ggml.add_eos_token", GgufValue::boolean(true)});
  GgufContent content;
  for (const auto& kv : kvs) content.set(kv.key, kv.value);
  const std::string path = test::temp_path("flags.gguf");
  ASSERT_TRUE(formats::write_gguf(path, content).is_ok());
  const Vocab v = vocab_from_gguf_fixture(path);
  EXPECT_FALSE(v.add_space_prefix);
  EXPECT_FALSE(v.add_bos);
  EXPECT_TRUE(v.add_eos);
}

TEST(TokenizerVocab, UnsupportedModelIsAClearError) {
  Vocab v;
  v.model = "t5";
  v.tokens = {"<pad>", "</s>", "<unk>"};
  v.scores = {0, 0, 0};
  v.types = {TokenType::CONTROL, TokenType::CONTROL, TokenType::UNKNOWN};
  auto tok = make_tokenizer(std::move(v));
  ASSERT_FALSE(tok.is_ok());
  EXPECT_EQ(tok.message(), "tokenizer model 't5' is not supported yet");
}

TEST(TokenizerVocab, UnknownPreTokenizerIsAClearError) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "tokenizer/ggml-vocab-gpt-2.gguf");
  Vocab v = vocab_from_gguf_fixture(path);
  EXPECT_EQ(v.model, "gpt2");
  EXPECT_EQ(v.pre, "gpt-2");
  EXPECT_FALSE(v.merges.empty());
  v.pre = "tekken";
  auto tok = make_tokenizer(std::move(v));
  ASSERT_FALSE(tok.is_ok());
  EXPECT_EQ(tok.message(), "unknown pre-tokenizer type 'tekken' (tokenizer.ggml.pre)");
}

// llama.cpp's defaults for byte-level vocabularies: BOS/EOS 11 when the file names none, BOS added
// only for Llama 3 style pre-tokenizers, no space prefix.
TEST(TokenizerVocab, ByteLevelDefaults) {
  GgufContent content;
  std::vector<std::string> tokens;
  for (int i = 0; i < 12; ++i) tokens.push_back(std::string(1, char('a' + i)));
  content.set("tokenizer.ggml.model", GgufValue::string("gpt2"));
  content.set("tokenizer.ggml.tokens", GgufValue::string_array(tokens));
  content.set("tokenizer.ggml.merges", GgufValue::string_array({"a b"}));
  for (const auto& [pre, add_bos] : {std::pair{"gpt-2", false}, std::pair{"llama-bpe", true}}) {
    content.set("tokenizer.ggml.pre", GgufValue::string(pre));
    const std::string path = test::temp_path(std::string("bpe-defaults-") + pre + ".gguf");
    ASSERT_TRUE(formats::write_gguf(path, content).is_ok());
    const Vocab v = vocab_from_gguf_fixture(path);
    EXPECT_EQ(v.bos_id, 11) << pre;
    EXPECT_EQ(v.eos_id, 11) << pre;
    EXPECT_EQ(v.unk_id, -1) << pre;
    EXPECT_EQ(v.add_bos, add_bos) << pre;
    EXPECT_FALSE(v.add_space_prefix) << pre;
  }
}

// Byte-level vocabularies go to GGUF as llama.cpp's converter writes them: merges and pre, no scores.
TEST(TokenizerVocab, ByteLevelGgufRoundTrip) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, "tokenizer/ggml-vocab-qwen2.gguf");
  const Vocab v = vocab_from_gguf_fixture(path);
  GgufContent content;
  vocab_to_gguf(v, content);
  for (const auto& kv : content.metadata) EXPECT_NE(kv.key, "tokenizer.ggml.scores");
  const std::string out = test::temp_path("qwen2-vocab-roundtrip.gguf");
  ASSERT_TRUE(formats::write_gguf(out, content).is_ok());
  const Vocab w = vocab_from_gguf_fixture(out);
  EXPECT_EQ(w.model, "gpt2");
  EXPECT_EQ(w.pre, "qwen2");
  EXPECT_EQ(w.tokens, v.tokens);
  EXPECT_EQ(w.types, v.types);
  EXPECT_EQ(w.merges, v.merges);
  EXPECT_EQ(w.bos_id, v.bos_id);
  EXPECT_EQ(w.eos_id, v.eos_id);
  EXPECT_EQ(w.pad_id, v.pad_id);
  EXPECT_EQ(w.add_bos, v.add_bos);
}

TEST(TokenizerVocab, MakeTokenizerChecksTheVocab) {
  Vocab v;
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.scores = {0, 0};
  v.types = {TokenType::UNKNOWN, TokenType::CONTROL, TokenType::CONTROL};
  EXPECT_FALSE(make_tokenizer(v).is_ok());
  v.scores = {0, 0, 0};
  v.bos_id = 1;
  v.eos_id = 7;
  EXPECT_FALSE(make_tokenizer(v).is_ok());
  v.eos_id = 2;
  EXPECT_TRUE(make_tokenizer(v).is_ok());
}

}  // namespace
}  // namespace greenllm::tokenizer
