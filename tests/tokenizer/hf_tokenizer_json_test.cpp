// tokenizer.json import against Hugging Face's JavaScript tokenizers (@huggingface/tokenizers, an
// independent implementation): TinyStories-656K's BPE (byte_fallback without <0x..> tokens, Prepend
// and Replace normalizers) on every .inp text and on random texts; and byte-level BPE tokenizer.json
// files written here from the GGUF fixtures' vocabularies with each family's pre-tokenizer, which
// also puts the hand-written regexes against a real regex engine. Errors name the file and JSON path.
#include "tokenizer/hf_tokenizer_json.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "tokenizer/pretokenizer.h"
#include "tokenizer_test_util.h"

namespace greenllm::tokenizer {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using test_util::ids_to_string;

constexpr const char* kTinyStories = "tinystories-656k";
const std::vector<std::string> kHfPackages = {"@huggingface/tokenizers"};

Vocab load_hf(const std::string& dir) {
  auto vocab = vocab_from_hf(dir);
  EXPECT_TRUE(vocab.is_ok()) << vocab.message();
  if (!vocab.is_ok()) return {};
  return std::move(vocab).value();
}

std::vector<std::string> inp_texts() {
  const auto inp = test::model_fixture("tokenizer/ggml-vocab-llama-spm.gguf.inp");
  return inp ? test_util::read_inp(*inp) : std::vector<std::string>{};
}

std::vector<std::pair<std::string, bool>> random_texts(uint32_t seed, const std::vector<std::string>& specials,
                                                       int n_texts) {
  // clang-format off
  static const std::vector<std::string> kPieces = {
      "Once upon a time", " there was", " a little girl", " named Lily", ".", ",", "!", "?", "\"", "'s", "'",
      "She", " he", " play", "ed", "ing", " the", " and", "Tim", "Ben", " big", " happy", "\n", "\n\n", " ", "  ",
      "\t", "0", "7", "42", "1234", "$", ":", ";", "-", "_", "|", "<", ">", "<|", "|>", "(", ")", "#", "%", "@",
      "\xE2\x96\x81", "\xC3\xA9", "\xC3\xBC", "\xE6\x97\xA5\xE6\x9C\xAC", "\xF0\x9F\xA6\x99", "\xD0\x9F\xD1\x80\xD0\xB8",
      "\xC2\xA0", "\xE3\x80\x80", "e\xCC\x81", "\xEF\xBC\xA1", "\xE2\x84\xAB", "\xEA\xB0\x80", "\xE1\x84\x80\xE1\x85\xA1",
      "\xE2\x80\x99", "\xE2\x80\x94", "I'm", " 'll", "'S", "'VE", "1,000", "3.14", "\r\n", "\xEF\xBB\xBF",
  };
  // clang-format on
  return test_util::random_texts(seed, kPieces, specials, n_texts, /*max_pieces=*/20, /*special_one_in=*/8);
}

// Ours (add_special as given, parse_special on: the JavaScript tokenizer always matches added
// tokens) against @huggingface/tokenizers on the same files.
void compare_with_hf(const std::string& dir, const Tokenizer& tok,
                     const std::vector<std::pair<std::string, bool>>& texts, const std::string& name) {
  const auto ref = test_util::hf_js_tokenize(dir, texts, name);
  ASSERT_EQ(ref.size(), texts.size());
  int n_same = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto ours = tok.encode(texts[i].first, texts[i].second, true);
    EXPECT_EQ(ids_to_string(ours), ids_to_string(ref[i]))
        << name << " text " << i << " '" << texts[i].first << "' add_special=" << texts[i].second;
    n_same += ours == ref[i];
  }
  std::printf("%s: %d/%zu texts as @huggingface/tokenizers\n", name.c_str(), n_same, texts.size());
  EXPECT_EQ(n_same, int(texts.size()));
}

TEST(TokenizerHfJson, TinyStoriesVocab) {
  GREENLLM_REQUIRE_FIXTURE(dir, model_fixture, kTinyStories);
  const Vocab v = load_hf(dir);
  EXPECT_EQ(v.model, "llama");
  EXPECT_EQ(v.pre, "default");
  ASSERT_EQ(v.n_tokens(), 2048);
  EXPECT_EQ(v.merges.size(), 1967u);
  EXPECT_EQ(v.merges[0], "e \xE2\x96\x81");
  EXPECT_EQ(v.tokens[80], "\xE2\x96\x81");
  EXPECT_EQ(v.bos_id, 1);
  EXPECT_EQ(v.eos_id, 2);
  EXPECT_EQ(v.unk_id, 0);
  EXPECT_EQ(v.pad_id, 0);
  EXPECT_TRUE(v.add_bos);
  EXPECT_FALSE(v.add_eos);
  EXPECT_TRUE(v.add_space_prefix);
  for (int id : {0, 1, 2}) EXPECT_EQ(v.types[size_t(id)], TokenType::CONTROL) << id;
  EXPECT_EQ(v.types[3], TokenType::NORMAL);
  EXPECT_EQ(std::count(v.types.begin(), v.types.end(), TokenType::BYTE), 0);
  // Scores from merge ranks (see hf_tokenizer_json.h): "e▁" is made by the first merge.
  EXPECT_EQ(v.scores[81], -1.0f);
  EXPECT_EQ(v.scores[80], -1968.0f);
  ASSERT_TRUE(v.hf.has_value());
  EXPECT_TRUE(v.hf->byte_fallback);
  EXPECT_TRUE(v.hf->fuse_unk);
  EXPECT_FALSE(v.hf->byte_level);
  EXPECT_TRUE(v.hf->decode_metaspace);
  ASSERT_EQ(v.hf->normalizer.size(), 2u);
  EXPECT_EQ(v.hf->normalizer[0].kind, HfTokenizerSpec::Normalize::PREPEND);
  EXPECT_EQ(v.hf->normalizer[1].kind, HfTokenizerSpec::Normalize::REPLACE);
  EXPECT_EQ(v.hf->added_tokens.size(), 3u);
}

// Ids @huggingface/tokenizers gives (see TokenizerHfReference for the full comparison).
TEST(TokenizerHfJson, TinyStoriesKnownIds) {
  GREENLLM_REQUIRE_FIXTURE(dir, model_fixture, kTinyStories);
  auto tok = make_tokenizer(load_hf(dir));
  ASSERT_TRUE(tok.is_ok()) << tok.message();
  const Tokenizer& t = **tok;
  const std::string story = "Once upon a time, there was a little girl named Lily.";
  EXPECT_EQ(t.encode(story, true, true), (std::vector<int32_t>{1, 80, 147, 201, 282, 215, 286, 598, 629, 10}));
  EXPECT_EQ(t.decode(t.encode(story, true, true)), story);
  // Added tokens are normalized ones: matched as "▁<|start_story|>" in the normalized text.
  EXPECT_EQ(t.encode("Hello <|start_story|> world", false, true),
            (std::vector<int32_t>{80, 1288, 67, 1, 80, 410, 555}));
  EXPECT_EQ(t.encode("<|start_story|>Once", false, true), (std::vector<int32_t>{1, 147, 682}));
  // Characters without a token and without <0x..> byte tokens: <unk>, runs of them fused.
  EXPECT_EQ(t.encode("\xC3\xA9 (x) \xC3\xA9", false, true), (std::vector<int32_t>{80, 0, 80, 0, 76, 0, 80, 0}));
  EXPECT_EQ(t.encode("\xC3\xA9\xC3\xA9\xF0\x9F\xA6\x99", false, true), (std::vector<int32_t>{80, 0}));
  EXPECT_EQ(t.encode("", true, true), (std::vector<int32_t>{1}));
  EXPECT_EQ(t.token_to_piece(85), " a");
  EXPECT_EQ(t.token_to_piece(1), "");
  EXPECT_EQ(t.token_to_piece(1, true), "<|start_story|>");
  EXPECT_TRUE(t.is_eog(2));
}

TEST(TokenizerHfReference, TinyStoriesInpTexts) {
  const std::string why = test_util::node_unavailable(kHfPackages);
  if (!why.empty()) GTEST_SKIP() << why << "; cannot compare with @huggingface/tokenizers";
  GREENLLM_REQUIRE_FIXTURE(dir, model_fixture, kTinyStories);
  const auto texts = inp_texts();
  if (texts.empty()) GTEST_SKIP() << "fixture tokenizer/ggml-vocab-llama-spm.gguf.inp not found; skipping";
  auto tok = make_tokenizer(load_hf(dir));
  ASSERT_TRUE(tok.is_ok()) << tok.message();
  std::vector<std::pair<std::string, bool>> items;
  for (const auto& t : texts) items.emplace_back(t, false);
  for (const auto& t : texts) items.emplace_back(t, true);
  compare_with_hf(dir, **tok, items, "tinystories-656k-inp");
}

TEST(TokenizerHfReference, TinyStoriesRandomTexts) {
  const std::string why = test_util::node_unavailable(kHfPackages);
  if (!why.empty()) GTEST_SKIP() << why << "; cannot compare with @huggingface/tokenizers";
  GREENLLM_REQUIRE_FIXTURE(dir, model_fixture, kTinyStories);
  auto tok = make_tokenizer(load_hf(dir));
  ASSERT_TRUE(tok.is_ok()) << tok.message();
  compare_with_hf(dir, **tok, random_texts(21, {"<|start_story|>", "<|end_story|>", "<unk>", " <unk>"}, 600),
                  "tinystories-656k-random");
}

// A byte-level tokenizer.json for a GGUF fixture's vocabulary, with `pre_tokenizer`: what Hugging
// Face ships for these models, with the regexes llama.cpp uses (its .out ids must still come out).
std::string write_byte_level_tokenizer_json(const std::string& name, const json& pre_tokenizer, bool nfc,
                                            bool ignore_merges) {
  const auto gguf = test::model_fixture("tokenizer/ggml-vocab-" + name + ".gguf");
  if (!gguf) return "";
  const Vocab v = test_util::vocab_from_gguf_fixture(*gguf);
  json vocab = json::object();
  json added = json::array();
  for (int32_t id = 0; id < v.n_tokens(); ++id) {
    const TokenType t = v.types[size_t(id)];
    if (t == TokenType::CONTROL || t == TokenType::USER_DEFINED) {
      added.push_back({{"id", id},
                       {"content", v.tokens[size_t(id)]},
                       {"single_word", false},
                       {"lstrip", false},
                       {"rstrip", false},
                       {"normalized", false},
                       {"special", t == TokenType::CONTROL}});
    } else {
      vocab[v.tokens[size_t(id)]] = id;
    }
  }
  json root = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", nfc ? json{{"type", "NFC"}} : json(nullptr)},
      {"pre_tokenizer", pre_tokenizer},
      {"post_processor", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}}},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", ignore_merges},
        {"vocab", vocab},
        {"merges", v.merges}}},
  };
  const std::string dir = test::temp_path("hf-" + name);
  fs::create_directories(dir);
  std::ofstream(dir + "/tokenizer.json") << root.dump();
  return dir;
}

json split(SplitRegex r) {
  return {{"type", "Split"},
          {"pattern", {{"Regex", std::string(split_regex_pattern(r))}}},
          {"behavior", "Isolated"},
          {"invert", false}};
}
json byte_level(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}};
}
json sequence(std::vector<json> steps) { return {{"type", "Sequence"}, {"pretokenizers", steps}}; }

// The file loads as llama.cpp's converter would name it, gives the .out ids on the .inp texts, and
// the ids of @huggingface/tokenizers on those and on random texts.
void check_byte_level(const std::string& name, const json& pre_tokenizer, const std::string& expected_pre,
                      bool nfc = false, bool ignore_merges = false, bool check_out = true) {
  const std::string dir = write_byte_level_tokenizer_json(name, pre_tokenizer, nfc, ignore_merges);
  if (dir.empty()) GTEST_SKIP() << "fixture tokenizer/ggml-vocab-" << name << ".gguf not found; skipping";
  Vocab v = load_hf(dir);
  EXPECT_EQ(v.model, "gpt2");
  EXPECT_EQ(v.pre, expected_pre);
  auto tok = make_tokenizer(std::move(v));
  ASSERT_TRUE(tok.is_ok()) << tok.message();

  const auto texts = inp_texts();
  const auto out = test::model_fixture("tokenizer/ggml-vocab-" + name + ".gguf.out");
  if (check_out && !texts.empty() && out) {
    const auto expected = test_util::read_out(*out);
    ASSERT_EQ(expected.size(), texts.size());
    int n_pass = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto ids = (*tok)->encode(texts[i], false, false);
      EXPECT_EQ(ids_to_string(ids), ids_to_string(expected[i])) << name << " text " << i;
      n_pass += ids == expected[i];
    }
    std::printf("%s (tokenizer.json): %d/%zu .out lines\n", name.c_str(), n_pass, texts.size());
  }

  const std::string why = test_util::node_unavailable(kHfPackages);
  if (!why.empty()) GTEST_SKIP() << why << "; cannot compare with @huggingface/tokenizers";
  // ByteLevel's own regex is a JavaScript literal there, where \s also matches U+FEFF and not U+0085
  // (ECMAScript's whitespace, not Unicode's White_Space as in Oniguruma, Rust and llama.cpp): texts
  // with those are left out for it. (Split regexes are translated to Oniguruma's meaning.)
  const bool js_regex = pre_tokenizer.dump().find("\"use_regex\":true") != std::string::npos;
  auto differs_in_js = [&](const std::string& t) {
    return js_regex && (t.find("\xEF\xBB\xBF") != std::string::npos || t.find("\xC2\x85") != std::string::npos);
  };
  std::vector<std::pair<std::string, bool>> items;
  for (const auto& t : texts) items.emplace_back(t, false);
  for (const auto& t : random_texts(uint32_t(std::hash<std::string>()(name) & 0xFFFF), {}, 300)) {
    if (!differs_in_js(t.first)) items.push_back(t);
  }
  compare_with_hf(dir, **tok, items, name + "-tokenizer.json");
}

using S = SplitRegex;

TEST(TokenizerHfReference, ByteLevelDeepseekLlm) {
  // Hugging Face's meaning of the regexes (U+3000 is in the punctuation class, unlike in llama.cpp).
  check_byte_level("deepseek-coder",
                   sequence({split(S::NEWLINE), split(S::DEEPSEEK_LETTERS), split(S::DEEPSEEK_PUNCTUATION),
                             split(S::TRAILING_SPACE), split(S::CJK), split(S::NUMBERS), byte_level(false)}),
                   "deepseek-llm", false, false, /*check_out=*/false);
}

TEST(TokenizerHfReference, ByteLevelGpt2) { check_byte_level("gpt-2", byte_level(true), "gpt-2"); }
TEST(TokenizerHfReference, ByteLevelLlama3) {
  check_byte_level("llama-bpe", sequence({split(S::LLAMA3), byte_level(false)}), "llama-bpe", false, true);
}
TEST(TokenizerHfReference, ByteLevelQwen2Nfc) {
  check_byte_level("qwen2", sequence({split(S::QWEN2), byte_level(false)}), "qwen2", true);
}
TEST(TokenizerHfReference, ByteLevelStarcoder) {
  check_byte_level("starcoder", sequence({split(S::NUMBER), byte_level(true)}), "starcoder");
}
TEST(TokenizerHfReference, ByteLevelFalcon) {
  check_byte_level("falcon", sequence({split(S::FALCON_PUNCTUATION), byte_level(true), split(S::THREE_DIGITS)}),
                   "falcon");
}
TEST(TokenizerHfReference, ByteLevelDeepseekCoder) {
  check_byte_level("deepseek-coder",
                   sequence({split(S::NEWLINE), split(S::SPACE_LETTERS), split(S::SPACE_PUNCTUATION), split(S::CJK),
                             split(S::NUMBER), byte_level(false)}),
                   "deepseek-coder");
}

}  // namespace
}  // namespace greenllm::tokenizer

namespace greenllm::tokenizer {
namespace {

// Texts llama.cpp can tokenize with `vocab` ("llama" model): it aborts on a character that is no
// token when there are no <0x..> byte tokens (see hf_tokenizer_json.h).
bool every_char_is_a_token(const Vocab& vocab, const std::string& text) {
  static thread_local std::unordered_map<const Vocab*, std::unordered_map<std::string, bool>> cache;
  auto& known = cache[&vocab];
  if (known.empty()) {
    for (const auto& t : vocab.tokens) known[t] = true;
  }
  std::string escaped = "\xE2\x96\x81";
  for (const char c : text) escaped += c == ' ' ? std::string("\xE2\x96\x81") : std::string(1, c);
  for (size_t i = 0; i < escaped.size();) {
    const uint8_t b = uint8_t(escaped[i]);
    const size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    if (!known.count(escaped.substr(i, n))) return false;
    i += n;
  }
  return true;
}

// What goes to GGUF: model "llama" as llama.cpp's converter writes it (tokens, scores, types, special
// ids, flags; no merges). llama.cpp and greenllm then give the same ids on it, and (with the merge
// rank scores) Hugging Face's ids on TinyStories text.
TEST(TokenizerHfGguf, TinyStoriesInLlamaCpp) {
  GREENLLM_REQUIRE_FIXTURE(dir, model_fixture, kTinyStories);
  const Vocab hf_vocab = load_hf(dir);
  formats::GgufContent content;
  // The hyper-parameters llama.cpp wants before it reads a vocab (TinyStories-656K's).
  content.set("general.architecture", formats::GgufValue::string("llama"));
  content.set("general.name", formats::GgufValue::string("TinyStories-656K"));
  content.set("llama.context_length", formats::GgufValue::u32(512));
  content.set("llama.embedding_length", formats::GgufValue::u32(128));
  content.set("llama.block_count", formats::GgufValue::u32(2));
  content.set("llama.feed_forward_length", formats::GgufValue::u32(384));
  content.set("llama.attention.head_count", formats::GgufValue::u32(8));
  content.set("llama.attention.head_count_kv", formats::GgufValue::u32(4));
  content.set("llama.attention.layer_norm_rms_epsilon", formats::GgufValue::f32(1e-6f));
  vocab_to_gguf(hf_vocab, content);
  for (const auto& kv : content.metadata) EXPECT_NE(kv.key, "tokenizer.ggml.merges");
  const std::string path = test::temp_path("tinystories-656k-vocab.gguf");
  ASSERT_TRUE(formats::write_gguf(path, content).is_ok());

  const Vocab g = test_util::vocab_from_gguf_fixture(path);
  EXPECT_EQ(g.model, "llama");
  EXPECT_EQ(g.pre, "default");
  EXPECT_EQ(g.tokens, hf_vocab.tokens);
  EXPECT_EQ(g.scores, hf_vocab.scores);
  EXPECT_EQ(g.types, hf_vocab.types);
  EXPECT_TRUE(g.merges.empty());
  EXPECT_EQ(g.bos_id, 1);
  EXPECT_EQ(g.eos_id, 2);
  EXPECT_EQ(g.unk_id, 0);
  EXPECT_TRUE(g.add_bos);
  EXPECT_TRUE(g.add_space_prefix);
  EXPECT_FALSE(g.hf.has_value());
  auto from_gguf = make_tokenizer(g);
  ASSERT_TRUE(from_gguf.is_ok()) << from_gguf.message();
  auto from_hf = make_tokenizer(hf_vocab);
  ASSERT_TRUE(from_hf.is_ok()) << from_hf.message();

  // TinyStories paragraphs and the .inp texts that llama.cpp can tokenize with this vocab.
  std::vector<std::pair<std::string, bool>> items;
  if (const auto stories = test::data_fixture("tinystories/tinystories_val_sample.txt")) {
    const std::string raw = test::read_file(*stories).substr(0, 150000);
    for (size_t pos = 0; pos < raw.size();) {
      size_t end = raw.find("\n\n", pos);
      if (end == std::string::npos) end = raw.size();
      const std::string p = raw.substr(pos, end - pos);
      if (!p.empty() && every_char_is_a_token(hf_vocab, p)) items.emplace_back(p, false);
      pos = end + 2;
    }
  }
  for (const auto& t : inp_texts()) {
    if (every_char_is_a_token(hf_vocab, t)) items.emplace_back(t, false);
  }
  ASSERT_GT(items.size(), 100u);

  int n_hf = 0;
  for (const auto& [text, special] : items)
    n_hf += (*from_gguf)->encode(text, false, false) == (*from_hf)->encode(text, false, true);
  std::printf("TinyStories-656K as GGUF: greenllm gives Hugging Face's ids on %d/%zu texts\n", n_hf, items.size());
  EXPECT_EQ(n_hf, int(items.size()));

  const std::string why = test_util::node_unavailable({"node-llama-cpp", "@node-llama-cpp/linux-x64"});
  if (!why.empty()) GTEST_SKIP() << why << "; cannot compare with llama.cpp";
  const auto ref = test_util::llama_cpp_tokenize(path, items, "tinystories-656k");
  ASSERT_EQ(ref.size(), items.size());
  int n_same = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const auto ours = (*from_gguf)->encode(items[i].first, false, false);
    EXPECT_EQ(ids_to_string(ours), ids_to_string(ref[i])) << "text " << i << " '" << items[i].first << "'";
    n_same += ours == ref[i];
  }
  std::printf("TinyStories-656K as GGUF: llama.cpp gives greenllm's ids on %d/%zu texts\n", n_same, items.size());
  EXPECT_EQ(n_same, int(items.size()));
}

// Broken or unsupported files: the error names the file and where in it.
TEST(TokenizerHfJson, Errors) {
  const std::string dir = test::temp_path("hf-errors");
  fs::create_directories(dir);
  auto error_for = [&](const std::string& tokenizer_json) {
    std::ofstream(dir + "/tokenizer.json", std::ios::trunc) << tokenizer_json;
    auto v = vocab_from_hf(dir);
    return v.is_ok() ? std::string("(no error)") : v.message();
  };
  const std::string file = dir + "/tokenizer.json";
  EXPECT_EQ(vocab_from_hf(dir + "/missing").message(), dir + "/missing/tokenizer.json: not found");
  EXPECT_EQ(error_for("{not json"), file + ": not valid JSON");
  EXPECT_EQ(error_for("{}"), file + ": model: missing");
  const json ok = {{"model", {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}}}, {"merges", {"a b"}}}}};
  EXPECT_EQ(error_for(ok.dump()), "(no error)");
  json j = ok;
  j["model"]["type"] = "Unigram";
  EXPECT_EQ(error_for(j.dump()), file + ": model.type: only BPE models are supported (got \"Unigram\")");
  j = ok;
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "NFC"}}, {{"type", "Lowercase"}}}}};
  EXPECT_EQ(error_for(j.dump()), file + ": normalizer.normalizers[1].type: normalizer 'Lowercase' is not supported");
  j = ok;
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "\\w+"}}}, {"behavior", "Isolated"}};
  EXPECT_EQ(error_for(j.dump()), file + ": pre_tokenizer.pattern.Regex: regex '\\w+' is not supported");
  j = ok;
  j["model"]["vocab"]["c"] = "x";
  EXPECT_EQ(error_for(j.dump()), file + ": model.vocab[\"c\"]: expected a token id");
  j = ok;
  j["model"]["merges"] = json::array({json::array({"a", "b c"})});
  EXPECT_EQ(error_for(j.dump()), file + ": model.merges[0]: merge parts with spaces are not supported");
  j = ok;
  j["model"]["unk_token"] = "<unk>";
  EXPECT_EQ(error_for(j.dump()), file + ": model.unk_token: '<unk>' is no token");
  j = ok;
  std::ofstream(dir + "/tokenizer_config.json") << R"({"bos_token": "<s>"})";
  EXPECT_EQ(error_for(j.dump()), dir + "/tokenizer_config.json: bos_token: '<s>' is no token");
}

// New-format merges ([a, b]) and added tokens beyond the model's vocab.
TEST(TokenizerHfJson, MergePairsAndAddedTokens) {
  const std::string dir = test::temp_path("hf-pairs");
  fs::create_directories(dir);
  const json j = {
      {"added_tokens", {{{"id", 3}, {"content", "<s>"}, {"special", true}}, {{"id", 4}, {"content", "xy"}}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {{{"SpecialToken", {{"id", "<s>"}}}}, {{"Sequence", {{"id", "A"}}}}}}}},
      {"model",
       {{"type", "BPE"},
        {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}}},
        {"merges", json::array({json::array({"a", "b"})})}}}};
  std::ofstream(dir + "/tokenizer.json") << j.dump();
  Vocab v = load_hf(dir);
  ASSERT_EQ(v.n_tokens(), 5);
  EXPECT_EQ(v.merges, std::vector<std::string>{"a b"});
  EXPECT_EQ(v.types[3], TokenType::CONTROL);
  EXPECT_EQ(v.types[4], TokenType::USER_DEFINED);
  EXPECT_EQ(v.bos_id, 3);
  EXPECT_TRUE(v.add_bos);
  auto tok = make_tokenizer(std::move(v));
  ASSERT_TRUE(tok.is_ok()) << tok.message();
  EXPECT_EQ((*tok)->encode("abxyb<s>a", true, true), (std::vector<int32_t>{3, 2, 4, 1, 3, 0}));
  // Without parse_special the special token is text ("<", "s", ">" are no tokens: dropped).
  EXPECT_EQ((*tok)->encode("ab<s>", false, false), (std::vector<int32_t>{2}));
}

}  // namespace
}  // namespace greenllm::tokenizer

namespace greenllm::tokenizer {
namespace {

// A random value somewhere in `j` replaced by a value of another type, or a random key removed.
void mutate(json& j, std::mt19937& rng) {
  json* at = &j;
  for (int depth = 0; depth < 6 && (at->is_object() || at->is_array()) && !at->empty(); ++depth) {
    if (rng() % 4 == 0 && depth > 0) break;
    if (at->is_object()) {
      auto it = at->begin();
      std::advance(it, rng() % at->size());
      if (rng() % 8 == 0) {
        at->erase(it);
        return;
      }
      at = &it.value();
    } else {
      at = &(*at)[rng() % at->size()];
    }
  }
  static const json kValues[] = {nullptr,
                                 0,
                                 -1,
                                 7,
                                 1e20,
                                 "",
                                 "x",
                                 "\xE2\x96\x81",
                                 json::array(),
                                 json::object(),
                                 true,
                                 json::array({"a b"}),
                                 json::object({{"type", "Sequence"}})};
  *at = kValues[rng() % std::size(kValues)];
}

// Hostile tokenizer.json files: errors or working tokenizers, never a crash (ASan in CI).
TEST(TokenizerHfJson, MutatedFilesDoNotCrash) {
  GREENLLM_REQUIRE_FIXTURE(src_dir, model_fixture, kTinyStories);
  const json original = json::parse(test::read_file(src_dir + "/tokenizer.json"));
  const std::string dir = test::temp_path("hf-mutated");
  fs::create_directories(dir);
  std::ofstream(dir + "/tokenizer_config.json") << test::read_file(src_dir + "/tokenizer_config.json");
  std::mt19937 rng(77);
  int n_ok = 0;
  for (int i = 0; i < 300; ++i) {
    json j = original;
    for (int k = 0, n = 1 + int(rng() % 3); k < n; ++k) mutate(j, rng);
    std::ofstream(dir + "/tokenizer.json", std::ios::trunc) << j.dump();
    auto v = vocab_from_hf(dir);
    if (!v.is_ok()) {
      EXPECT_FALSE(v.message().empty());
      continue;
    }
    auto tok = make_tokenizer(std::move(v).value());
    if (!tok.is_ok()) continue;
    ++n_ok;
    const auto ids =
        (*tok)->encode("Once upon a <|start_story|> time \xC3\xA9\xF0\x9F\xA6\x99 \xFF!", true, i % 2 == 0);
    for (const int32_t id : ids) ASSERT_TRUE(id >= 0 && id < (*tok)->vocab().n_tokens()) << id;
    (void)(*tok)->decode(ids);
  }
  std::printf("%d of 300 mutated files still load\n", n_ok);
}

// Random bytes (invalid UTF-8 too) through tokenizer.json tokenizers: ids in range, and valid UTF-8
// that the vocab covers decodes back.
TEST(TokenizerHfJson, RandomBytes) {
  GREENLLM_REQUIRE_FIXTURE(dir, model_fixture, kTinyStories);
  auto tok = make_tokenizer(load_hf(dir));
  ASSERT_TRUE(tok.is_ok()) << tok.message();
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = rng() % 3 == 0 ? char(rng() % 256) : "ab <>|_\n.!'"[rng() % 11];
    const auto ids = (*tok)->encode(s, rng() % 2 == 0, rng() % 2 == 0);
    for (const int32_t id : ids) ASSERT_TRUE(id >= 0 && id < (*tok)->vocab().n_tokens()) << id;
    (void)(*tok)->decode(ids);
  }
  const std::string text = "Lily said, \"Let's play!\" They played with 3 balls.\nThe end.";
  EXPECT_EQ((*tok)->decode((*tok)->encode(text, true, true)), text);
}

}  // namespace
}  // namespace greenllm::tokenizer
