// tokenizer.json -> Vocab: the model's vocab and merges, added tokens, and the normalizer,
// pre-tokenizer, decoder and post-processor settings Hugging Face applies around the model.
#include "tokenizer/hf_tokenizer_json.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <unordered_map>

namespace greenllm::tokenizer {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581 "▁"

// A JSON file being read: errors name it and the JSON path of the offending value.
struct Source {
  std::string path;
  Status error(const std::string& where, const std::string& what) const {
    return Status::error(path + ": " + where + ": " + what);
  }
};

// The parsed file, or nullopt (with *status still ok) when it does not exist and is optional.
Result<std::optional<json>> read_json(const std::string& path, bool required) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    if (required) return Status::error(path + ": not found");
    return std::optional<json>();
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return Status::error(path + ": cannot read");
  json parsed = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status::error(path + ": not valid JSON");
  if (!parsed.is_object()) return Status::error(path + ": expected a JSON object at the top level");
  return std::optional<json>(std::move(parsed));
}

// obj[key] when present and not null.
const json* member(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

Result<bool> flag(const Source& src, const json& obj, const char* key, bool fallback, const std::string& where) {
  const json* v = member(obj, key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) return src.error(where + "." + key, "expected true or false");
  return v->get<bool>();
}

// A token named in tokenizer_config.json: a string or {"content": string}.
std::optional<std::string> token_text(const json* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  if (const json* c = member(*v, "content"); c != nullptr && c->is_string()) return c->get<std::string>();
  return std::nullopt;
}

bool is_byte_token(const std::string& s) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); };
  return s.size() == 6 && s.compare(0, 3, "<0x") == 0 && hex(s[3]) && hex(s[4]) && s[5] == '>';
}

// Sequences nest; a file cannot make the readers recurse deeper than this.
constexpr int kMaxDepth = 16;

Status read_normalizer(const Source& src, const json& n, const std::string& where, HfTokenizerSpec& spec,
                       int depth = 0) {
  if (depth > kMaxDepth) return src.error(where, "nested too deeply");
  const json* type = member(n, "type");
  if (type == nullptr || !type->is_string()) return src.error(where + ".type", "missing or not a string");
  const std::string t = type->get<std::string>();
  using K = HfTokenizerSpec::Normalize;
  if (t == "Sequence") {
    const json* list = member(n, "normalizers");
    if (list == nullptr || !list->is_array()) return src.error(where + ".normalizers", "expected an array");
    for (size_t i = 0; i < list->size(); ++i) {
      GREENLLM_TRY(
          read_normalizer(src, (*list)[i], where + ".normalizers[" + std::to_string(i) + "]", spec, depth + 1));
    }
    return Status::ok();
  }
  if (t == "Prepend") {
    const json* p = member(n, "prepend");
    if (p == nullptr || !p->is_string()) return src.error(where + ".prepend", "expected a string");
    spec.normalizer.push_back({K::PREPEND, "", p->get<std::string>()});
    return Status::ok();
  }
  if (t == "Replace") {
    const json* pattern = member(n, "pattern");
    const json* str = pattern == nullptr ? nullptr : member(*pattern, "String");
    if (str == nullptr || !str->is_string() || str->get<std::string>().empty()) {
      return src.error(where + ".pattern", "only non-empty {\"String\": ...} patterns are supported");
    }
    const json* content = member(n, "content");
    if (content == nullptr || !content->is_string()) return src.error(where + ".content", "expected a string");
    spec.normalizer.push_back({K::REPLACE, str->get<std::string>(), content->get<std::string>()});
    return Status::ok();
  }
  if (t == "NFC") {
    spec.normalizer.push_back({K::NFC, "", ""});
    return Status::ok();
  }
  return src.error(where + ".type", "normalizer '" + t + "' is not supported");
}

Status read_pre_tokenizer(const Source& src, const json& p, const std::string& where, HfTokenizerSpec& spec,
                          int depth = 0) {
  if (depth > kMaxDepth) return src.error(where, "nested too deeply");
  const json* type = member(p, "type");
  if (type == nullptr || !type->is_string()) return src.error(where + ".type", "missing or not a string");
  const std::string t = type->get<std::string>();
  if (t == "Sequence") {
    const json* list = member(p, "pretokenizers");
    if (list == nullptr || !list->is_array()) return src.error(where + ".pretokenizers", "expected an array");
    for (size_t i = 0; i < list->size(); ++i) {
      GREENLLM_TRY(
          read_pre_tokenizer(src, (*list)[i], where + ".pretokenizers[" + std::to_string(i) + "]", spec, depth + 1));
    }
    return Status::ok();
  }
  if (t == "ByteLevel") {
    if (spec.byte_level) return src.error(where, "a second ByteLevel pre-tokenizer");
    Result<bool> prefix = flag(src, p, "add_prefix_space", false, where);
    GREENLLM_TRY(prefix);
    Result<bool> use_regex = flag(src, p, "use_regex", true, where);
    GREENLLM_TRY(use_regex);
    // The prefix space goes before the whole text; after other splits it would go before each piece.
    if (*prefix && !spec.pre_tokenizer.empty()) {
      return src.error(where + ".add_prefix_space", "is only supported when ByteLevel comes first");
    }
    spec.byte_level = true;
    spec.add_prefix_space = *prefix;
    if (*use_regex) spec.pre_tokenizer.push_back(SplitRegex::GPT2);
    return Status::ok();
  }
  if (t == "Split") {
    const json* pattern = member(p, "pattern");
    const json* regex = pattern == nullptr ? nullptr : member(*pattern, "Regex");
    if (regex == nullptr || !regex->is_string()) return src.error(where + ".pattern", "expected {\"Regex\": ...}");
    const std::optional<SplitRegex> split = split_regex_from_pattern(regex->get<std::string>());
    if (!split)
      return src.error(where + ".pattern.Regex", "regex '" + regex->get<std::string>() + "' is not supported");
    const json* behavior = member(p, "behavior");
    if (behavior == nullptr || *behavior != "Isolated")
      return src.error(where + ".behavior", "only Isolated is supported");
    Result<bool> invert = flag(src, p, "invert", false, where);
    GREENLLM_TRY(invert);
    if (*invert) return src.error(where + ".invert", "inverted splits are not supported");
    // After ByteLevel, splits see GPT-2 characters, not the text: only an ASCII-digit split means
    // the same there (digits map to themselves, every other byte to a non-digit).
    if (spec.byte_level && *split != SplitRegex::THREE_DIGITS) {
      return src.error(where, "this split after the ByteLevel pre-tokenizer is not supported");
    }
    spec.pre_tokenizer.push_back(*split);
    return Status::ok();
  }
  if (spec.byte_level) return src.error(where, "pre-tokenizer '" + t + "' after ByteLevel is not supported");
  if (t == "Digits") {
    Result<bool> individual = flag(src, p, "individual_digits", false, where);
    GREENLLM_TRY(individual);
    spec.pre_tokenizer.push_back(*individual ? SplitRegex::NUMBER : SplitRegex::NUMBERS);
    return Status::ok();
  }
  return src.error(where + ".type", "pre-tokenizer '" + t + "' is not supported");
}

// What the decoder implies for pieces: "▁" as a space, and one leading space dropped.
Status read_decoder(const Source& src, const json& d, const std::string& where, HfTokenizerSpec& spec,
                    bool& strips_leading_space, int depth = 0) {
  if (depth > kMaxDepth) return src.error(where, "nested too deeply");
  const json* type = member(d, "type");
  if (type == nullptr || !type->is_string()) return src.error(where + ".type", "missing or not a string");
  const std::string t = type->get<std::string>();
  if (t == "Sequence") {
    const json* list = member(d, "decoders");
    if (list == nullptr || !list->is_array()) return src.error(where + ".decoders", "expected an array");
    for (size_t i = 0; i < list->size(); ++i) {
      GREENLLM_TRY(read_decoder(src, (*list)[i], where + ".decoders[" + std::to_string(i) + "]", spec,
                                strips_leading_space, depth + 1));
    }
    return Status::ok();
  }
  if (t == "ByteLevel" || t == "ByteFallback" || t == "Fuse") return Status::ok();
  if (t == "Replace") {
    const json* pattern = member(d, "pattern");
    const json* str = pattern == nullptr ? nullptr : member(*pattern, "String");
    const json* content = member(d, "content");
    if (str == nullptr || *str != kSpaceMark || content == nullptr || *content != " ") {
      return src.error(where, "only the Replace of \"\u2581\" by \" \" is supported");
    }
    spec.decode_metaspace = true;
    return Status::ok();
  }
  if (t == "Strip") {
    const json* content = member(d, "content");
    const json* start = member(d, "start");
    const json* stop = member(d, "stop");
    if (content == nullptr || *content != " " || start == nullptr || !start->is_number_integer() || *start > 1 ||
        (stop != nullptr && *stop != 0)) {
      return src.error(where, "only Strip of at most one leading \" \" is supported");
    }
    strips_leading_space = *start == 1;
    return Status::ok();
  }
  if (t == "Metaspace") {
    spec.decode_metaspace = true;
    const json* scheme = member(d, "prepend_scheme");
    Result<bool> add_prefix = flag(src, d, "add_prefix_space", true, where);
    GREENLLM_TRY(add_prefix);
    strips_leading_space = scheme != nullptr ? *scheme != "never" : *add_prefix;
    return Status::ok();
  }
  return src.error(where + ".type", "decoder '" + t + "' is not supported");
}

// The tokenizer.ggml.pre name llama.cpp uses for these splits (its converter names them by hashing
// the tokenizer's output; the regexes identify the same families), or "" if none.
std::string pre_name_for(const std::vector<SplitRegex>& splits) {
  using S = SplitRegex;
  const std::pair<const char*, std::vector<S>> kKnown[] = {
      {"llama-bpe", {S::LLAMA3}},
      {"qwen2", {S::QWEN2}},
      {"gpt-2", {S::GPT2}},
      {"starcoder", {S::NUMBER, S::GPT2}},
      {"falcon", {S::FALCON_PUNCTUATION, S::GPT2, S::THREE_DIGITS}},
      {"deepseek-coder", {S::NEWLINE, S::SPACE_LETTERS, S::SPACE_PUNCTUATION, S::CJK, S::NUMBER}},
      {"deepseek-llm",
       {S::NEWLINE, S::DEEPSEEK_LETTERS, S::DEEPSEEK_PUNCTUATION, S::TRAILING_SPACE, S::CJK, S::NUMBERS}},
  };
  for (const auto& [name, steps] : kKnown) {
    if (steps == splits) return name;
  }
  return "";
}

// SentencePiece-style scores that make llama.cpp's merging (best-scored pair whose text is a token)
// follow merge order: -(rank + 1) for the token each merge makes, below all of them for the rest.
// (convert_hf_to_gguf.py's LlamaHfVocab writes -1000 for every token; then llama.cpp merges
// leftmost-first and gives Hugging Face's ids on only 18 of 728 TinyStories paragraphs.)
std::vector<float> scores_from_merge_ranks(const Vocab& vocab) {
  std::unordered_map<std::string_view, int32_t> ids;
  for (size_t id = 0; id < vocab.tokens.size(); ++id) ids.emplace(vocab.tokens[id], int32_t(id));
  std::vector<float> scores(vocab.tokens.size(), -float(vocab.merges.size() + 1));
  std::vector<bool> made(vocab.tokens.size(), false);
  std::string joined;
  for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
    const std::string& m = vocab.merges[rank];
    const size_t space = m.find(' ', 1);
    if (space == std::string::npos) continue;
    joined.assign(m, 0, space);
    joined.append(m, space + 1, std::string::npos);
    const auto it = ids.find(joined);
    if (it == ids.end() || made[size_t(it->second)]) continue;
    made[size_t(it->second)] = true;
    scores[size_t(it->second)] = -float(rank + 1);
  }
  return scores;
}

}  // namespace

Result<Vocab> vocab_from_hf(const std::string& dir) {
  const Source tj{(fs::path(dir) / "tokenizer.json").string()};
  const Source tc{(fs::path(dir) / "tokenizer_config.json").string()};
  Result<std::optional<json>> tokenizer_json = read_json(tj.path, true);
  GREENLLM_TRY(tokenizer_json);
  Result<std::optional<json>> config_json = read_json(tc.path, false);
  GREENLLM_TRY(config_json);
  Result<std::optional<json>> model_config_json = read_json((fs::path(dir) / "config.json").string(), false);
  GREENLLM_TRY(model_config_json);
  const json& root = **tokenizer_json;
  const json config = *config_json ? **config_json : json::object();
  const json model_config = *model_config_json ? **model_config_json : json::object();

  const json* model = member(root, "model");
  if (model == nullptr || !model->is_object()) return tj.error("model", "missing");
  const json* model_type = member(*model, "type");
  if (model_type == nullptr || *model_type != "BPE") {
    return tj.error("model.type",
                    "only BPE models are supported (got " + (model_type ? model_type->dump() : "none") + ")");
  }
  for (const char* unsupported : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const json* v = member(*model, unsupported);
    if (v != nullptr && !(v->is_string() && v->get<std::string>().empty())) {
      return tj.error(std::string("model.") + unsupported, "is not supported");
    }
  }
  if (const json* dropout = member(*model, "dropout"); dropout != nullptr && !(dropout->is_number() && *dropout == 0)) {
    return tj.error("model.dropout", "BPE dropout is not supported");
  }

  Vocab vocab;
  HfTokenizerSpec spec;
  Result<bool> byte_fallback = flag(tj, *model, "byte_fallback", false, "model");
  GREENLLM_TRY(byte_fallback);
  Result<bool> fuse_unk = flag(tj, *model, "fuse_unk", false, "model");
  GREENLLM_TRY(fuse_unk);
  Result<bool> ignore_merges = flag(tj, *model, "ignore_merges", false, "model");
  GREENLLM_TRY(ignore_merges);
  spec.byte_fallback = *byte_fallback;
  spec.fuse_unk = *fuse_unk;
  spec.ignore_merges = *ignore_merges;

  // Tokens by id: the model's vocab, then the added tokens (which may add ids or repeat ones).
  std::map<int64_t, std::string> by_id;
  const json* model_vocab = member(*model, "vocab");
  if (model_vocab == nullptr || !model_vocab->is_object()) return tj.error("model.vocab", "expected an object");
  for (const auto& [text, id] : model_vocab->items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= INT32_MAX) {
      return tj.error("model.vocab[\"" + text + "\"]", "expected a token id");
    }
    by_id[id.get<int64_t>()] = text;
  }
  std::map<int64_t, bool> added_special;  // id -> special
  if (const json* added = member(root, "added_tokens"); added != nullptr) {
    if (!added->is_array()) return tj.error("added_tokens", "expected an array");
    for (size_t i = 0; i < added->size(); ++i) {
      const json& a = (*added)[i];
      const std::string where = "added_tokens[" + std::to_string(i) + "]";
      const json* id = member(a, "id");
      const json* content = member(a, "content");
      if (id == nullptr || !id->is_number_integer() || id->get<int64_t>() < 0 || id->get<int64_t>() >= INT32_MAX) {
        return tj.error(where + ".id", "expected a token id");
      }
      if (content == nullptr || !content->is_string() || content->get<std::string>().empty()) {
        return tj.error(where + ".content", "expected a non-empty string");
      }
      HfTokenizerSpec::AddedToken t;
      t.id = int32_t(id->get<int64_t>());
      t.content = content->get<std::string>();
      Result<bool> special = flag(tj, a, "special", false, where);
      GREENLLM_TRY(special);
      Result<bool> normalized = flag(tj, a, "normalized", !*special, where);
      GREENLLM_TRY(normalized);
      Result<bool> lstrip = flag(tj, a, "lstrip", false, where);
      GREENLLM_TRY(lstrip);
      Result<bool> rstrip = flag(tj, a, "rstrip", false, where);
      GREENLLM_TRY(rstrip);
      Result<bool> single_word = flag(tj, a, "single_word", false, where);
      GREENLLM_TRY(single_word);
      if (*single_word) return tj.error(where + ".single_word", "is not supported");
      t.special = *special;
      t.normalized = *normalized;
      t.lstrip = *lstrip;
      t.rstrip = *rstrip;
      by_id[t.id] = t.content;
      added_special[t.id] = t.special;
      spec.added_tokens.push_back(std::move(t));
    }
  }
  if (by_id.empty()) return tj.error("model.vocab", "is empty");
  // Ids no token has become "[PADn]" (as the converter pads), but not by the million.
  const int64_t n = by_id.rbegin()->first + 1;
  if (n > int64_t(by_id.size()) + 65536) {
    return tj.error("model.vocab", std::to_string(by_id.size()) + " tokens have ids up to " + std::to_string(n - 1));
  }
  vocab.tokens.resize(size_t(n));
  vocab.types.assign(size_t(n), TokenType::UNUSED);
  for (int64_t id = 0; id < n; ++id) vocab.tokens[size_t(id)] = "[PAD" + std::to_string(id) + "]";  // ids no token has
  for (const auto& [id, text] : by_id) {
    vocab.tokens[size_t(id)] = text;
    vocab.types[size_t(id)] = TokenType::NORMAL;
  }

  const json* merges = member(*model, "merges");
  if (merges == nullptr || !merges->is_array()) return tj.error("model.merges", "expected an array");
  vocab.merges.reserve(merges->size());
  for (size_t i = 0; i < merges->size(); ++i) {
    const json& m = (*merges)[i];
    const std::string where = "model.merges[" + std::to_string(i) + "]";
    if (m.is_string()) {
      vocab.merges.push_back(m.get<std::string>());
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      const std::string a = m[0].get<std::string>(), b = m[1].get<std::string>();
      // GGUF stores merges as "a b": a part with a space in it could not be read back.
      if (a.empty() || b.empty() || a.find(' ') != std::string::npos || b.find(' ') != std::string::npos) {
        return tj.error(where, "merge parts with spaces are not supported");
      }
      vocab.merges.push_back(a + " " + b);
    } else {
      return tj.error(where, "expected \"a b\" or [\"a\", \"b\"]");
    }
  }

  if (const json* n = member(root, "normalizer"); n != nullptr)
    GREENLLM_TRY(read_normalizer(tj, *n, "normalizer", spec));
  if (const json* p = member(root, "pre_tokenizer"); p != nullptr) {
    GREENLLM_TRY(read_pre_tokenizer(tj, *p, "pre_tokenizer", spec));
  }
  bool strips_leading_space = false;
  if (const json* d = member(root, "decoder"); d != nullptr) {
    GREENLLM_TRY(read_decoder(tj, *d, "decoder", spec, strips_leading_space));
  }

  // Token types as llama.cpp's converter assigns them.
  for (const auto& [id, special] : added_special) {
    vocab.types[size_t(id)] = special ? TokenType::CONTROL : TokenType::USER_DEFINED;
  }
  if (!spec.byte_level) {
    for (size_t id = 0; id < vocab.tokens.size(); ++id) {
      if (vocab.types[id] == TokenType::NORMAL && is_byte_token(vocab.tokens[id])) vocab.types[id] = TokenType::BYTE;
    }
  }

  auto id_of = [&](const std::string& text) -> int32_t {
    for (auto it = spec.added_tokens.rbegin(); it != spec.added_tokens.rend(); ++it) {
      if (it->content == text) return it->id;
    }
    if (const json* v = member(*model_vocab, text.c_str()); v != nullptr) return int32_t(v->get<int64_t>());
    return -1;
  };

  // BOS / EOS added by the post-processor's template (single sequence: [BOS] $A [EOS]).
  std::optional<bool> template_bos, template_eos;
  std::string template_first, template_last;
  std::vector<const json*> processors;
  if (const json* pp = member(root, "post_processor"); pp != nullptr) {
    if (const json* list = member(*pp, "processors"); list != nullptr && list->is_array()) {
      for (const json& p : *list) processors.push_back(&p);
    } else {
      processors.push_back(pp);
    }
  }
  for (const json* p : processors) {
    const json* type = member(*p, "type");
    if (type == nullptr || *type == "ByteLevel") continue;
    if (*type != "TemplateProcessing") {
      return tj.error("post_processor", "post-processor " + type->dump() + " is not supported");
    }
    const json* single = member(*p, "single");
    if (single == nullptr || !single->is_array() || single->empty()) {
      return tj.error("post_processor.single", "expected a non-empty array");
    }
    auto special_of = [](const json& item) -> std::string {
      const json* s = member(item, "SpecialToken");
      const json* id = s == nullptr ? nullptr : member(*s, "id");
      return id != nullptr && id->is_string() ? id->get<std::string>() : "";
    };
    template_first = special_of(single->front());
    template_last = single->size() > 1 ? special_of(single->back()) : "";
    template_bos = !template_first.empty();
    template_eos = !template_last.empty();
    size_t n_sequences = 0;
    for (const json& item : *single) n_sequences += member(item, "Sequence") != nullptr;
    if (n_sequences != 1 || single->size() - n_sequences != size_t(*template_bos) + size_t(*template_eos)) {
      return tj.error("post_processor.single", "only [BOS] $A [EOS] templates are supported");
    }
  }

  // Special ids: tokenizer_config.json's, then the template's, then config.json's (as SpecialVocab).
  auto special_id = [&](const char* kind, const std::string& from_template) -> Result<int32_t> {
    if (const std::optional<std::string> text = token_text(member(config, (std::string(kind) + "_token").c_str()))) {
      const int32_t id = id_of(*text);
      if (id < 0) return tc.error(std::string(kind) + "_token", "'" + *text + "' is no token");
      return id;
    }
    if (!from_template.empty()) {
      const int32_t id = id_of(from_template);
      if (id < 0) return tj.error("post_processor", "'" + from_template + "' is no token");
      return id;
    }
    if (const json* id = member(model_config, (std::string(kind) + "_token_id").c_str());
        id != nullptr && id->is_number_integer() && *id >= 0 && *id < n) {
      return int32_t(id->get<int64_t>());
    }
    return -1;
  };
  Result<int32_t> bos = special_id("bos", template_first);
  GREENLLM_TRY(bos);
  Result<int32_t> eos = special_id("eos", template_last);
  GREENLLM_TRY(eos);
  Result<int32_t> pad = special_id("pad", "");
  GREENLLM_TRY(pad);
  vocab.bos_id = *bos;
  vocab.eos_id = *eos;
  vocab.pad_id = *pad;
  if (const json* unk = member(*model, "unk_token"); unk != nullptr) {
    if (!unk->is_string()) return tj.error("model.unk_token", "expected a string");
    vocab.unk_id = id_of(unk->get<std::string>());
    if (vocab.unk_id < 0) return tj.error("model.unk_token", "'" + unk->get<std::string>() + "' is no token");
  }

  // Hugging Face adds BOS / EOS by the template; without one, by tokenizer_config.json's flags.
  Result<bool> add_bos = flag(tc, config, "add_bos_token", false, "");
  GREENLLM_TRY(add_bos);
  Result<bool> add_eos = flag(tc, config, "add_eos_token", false, "");
  GREENLLM_TRY(add_eos);
  vocab.add_bos = template_bos.value_or(*add_bos) && vocab.bos_id >= 0;
  vocab.add_eos = template_eos.value_or(*add_eos) && vocab.eos_id >= 0;

  if (spec.byte_level) {
    vocab.model = "gpt2";
    vocab.pre = pre_name_for(spec.pre_tokenizer);
    vocab.scores.assign(size_t(n), 0.0f);
    vocab.add_space_prefix = false;
  } else {
    vocab.model = "llama";
    vocab.pre = "default";
    vocab.scores = scores_from_merge_ranks(vocab);
    vocab.add_space_prefix = strips_leading_space;
  }
  vocab.model_name = fs::path(dir).filename().string();
  if (const json* name = member(model_config, "_name_or_path"); name != nullptr && name->is_string()) {
    vocab.model_name = name->get<std::string>();
  }
  vocab.hf = std::move(spec);
  return vocab;
}

}  // namespace greenllm::tokenizer
