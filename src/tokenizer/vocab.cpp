// Reading and writing a vocabulary: GGUF tokenizer.ggml.* metadata (as llama.cpp loads and writes it)
// and llama2.c's tokenizer.bin.
#include "tokenizer/vocab.h"

#include <cstring>
#include <limits>
#include <optional>

#include "core/mmap_file.h"
#include "formats/gguf.h"

namespace greenllm::tokenizer {
namespace {

using formats::GgufValue;

constexpr const char* kKeyModel = "tokenizer.ggml.model";
constexpr const char* kKeyPre = "tokenizer.ggml.pre";
constexpr const char* kKeyTokens = "tokenizer.ggml.tokens";
constexpr const char* kKeyScores = "tokenizer.ggml.scores";
constexpr const char* kKeyTypes = "tokenizer.ggml.token_type";
constexpr const char* kKeyMerges = "tokenizer.ggml.merges";
constexpr const char* kKeyBos = "tokenizer.ggml.bos_token_id";
constexpr const char* kKeyEos = "tokenizer.ggml.eos_token_id";
constexpr const char* kKeyUnk = "tokenizer.ggml.unknown_token_id";
constexpr const char* kKeyPad = "tokenizer.ggml.padding_token_id";
constexpr const char* kKeyAddBos = "tokenizer.ggml.add_bos_token";
constexpr const char* kKeyAddEos = "tokenizer.ggml.add_eos_token";
constexpr const char* kKeyAddSpacePrefix = "tokenizer.ggml.add_space_prefix";
constexpr const char* kKeyName = "general.name";

TokenType token_type_from_int(int64_t t) {
  // llama.cpp maps values it does not know to UNDEFINED.
  if (t < 0 || t > int64_t(TokenType::BYTE)) return TokenType::UNDEFINED;
  return TokenType(int32_t(t));
}

std::string key_error(const std::string& path, const char* key, const std::string& what) {
  return path + ": " + key + ": " + what;
}

// A special token id: absent keys keep `fallback`; the "none" marker (-1 or its u32 form) clears it.
Result<int32_t> read_special_id(const formats::GgufFile& file, const char* key, int32_t fallback, int32_t n_tokens,
                                bool lenient) {
  const GgufValue* v = file.find(key);
  if (v == nullptr) return fallback;
  const std::optional<int64_t> id = v->as_int();
  if (!id) {
    return Status::error(
        key_error(file.path(), key,
                  std::string("has type ") + formats::gguf_value_type_name(v->type()) + ", expected an integer"));
  }
  if (*id == -1 || *id == int64_t(std::numeric_limits<uint32_t>::max())) return -1;
  if (*id < 0 || *id >= n_tokens) {
    // llama.cpp ignores a bad padding id (it is never used for inference); other ids must be valid.
    if (lenient) return -1;
    return Status::error(key_error(
        file.path(), key,
        "token id " + std::to_string(*id) + " is out of range (vocab has " + std::to_string(n_tokens) + " tokens)"));
  }
  return int32_t(*id);
}

Result<bool> read_flag(const formats::GgufFile& file, const char* key, bool fallback) {
  const GgufValue* v = file.find(key);
  if (v == nullptr) return fallback;
  const std::optional<bool> b = v->as_bool();
  if (!b) {
    return Status::error(key_error(
        file.path(), key, std::string("has type ") + formats::gguf_value_type_name(v->type()) + ", expected bool"));
  }
  return *b;
}

// True for "<0xXX>" with two hex digits: SentencePiece's byte-fallback pieces.
bool is_byte_piece(const std::string& s) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); };
  return s.size() == 6 && s[0] == '<' && s[1] == '0' && s[2] == 'x' && hex(s[3]) && hex(s[4]) && s[5] == '>';
}

std::string escape_spaces(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == ' ')
      out += "\xE2\x96\x81";
    else
      out += c;
  }
  return out;
}

// llama.cpp turns add_bos on for these byte-level pre-tokenizers (a GGUF key can still override it).
bool pre_adds_bos(const std::string& pre) {
  for (const char* p : {"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2",
                        "jina-v5-nano", "tekken", "chameleon"}) {
    if (pre == p) return true;
  }
  return false;
}

}  // namespace

Result<Vocab> vocab_from_gguf(const formats::GgufFile& file) {
  const std::string& path = file.path();
  Vocab vocab;

  const GgufValue* model = file.find(kKeyModel);
  if (model == nullptr) return Status::error(key_error(path, kKeyModel, "missing key (the file has no tokenizer)"));
  if (model->as_string() == nullptr) {
    return Status::error(
        key_error(path, kKeyModel,
                  std::string("has type ") + formats::gguf_value_type_name(model->type()) + ", expected string"));
  }
  vocab.model = *model->as_string();
  if (const GgufValue* pre = file.find(kKeyPre); pre != nullptr && pre->as_string() != nullptr) {
    vocab.pre = *pre->as_string();
  }
  if (const GgufValue* name = file.find(kKeyName); name != nullptr && name->as_string() != nullptr) {
    vocab.model_name = *name->as_string();
  }

  const GgufValue* tokens = file.find(kKeyTokens);
  if (tokens == nullptr) return Status::error(key_error(path, kKeyTokens, "missing key"));
  std::optional<std::vector<std::string>> token_texts = tokens->as_string_array();
  if (!token_texts) return Status::error(key_error(path, kKeyTokens, "is not an array of strings"));
  if (token_texts->empty()) return Status::error(key_error(path, kKeyTokens, "is empty"));
  if (token_texts->size() > size_t(std::numeric_limits<int32_t>::max())) {
    return Status::error(key_error(path, kKeyTokens, "has too many tokens"));
  }
  vocab.tokens = std::move(*token_texts);
  const size_t n = vocab.tokens.size();
  for (size_t i = 0; i < n; ++i) {
    // As llama.cpp: an empty token could never be produced and would break lookups.
    if (vocab.tokens[i].empty()) vocab.tokens[i] = "[EMPTY_" + std::to_string(i) + "]";
  }

  vocab.scores.assign(n, 0.0f);
  if (const GgufValue* scores = file.find(kKeyScores); scores != nullptr) {
    std::optional<std::vector<float>> s = scores->as_f32_array();
    if (!s) return Status::error(key_error(path, kKeyScores, "is not an array of floats"));
    if (s->size() != n) {
      return Status::error(key_error(
          path, kKeyScores,
          "has " + std::to_string(s->size()) + " values, expected " + std::to_string(n) + " (one per token)"));
    }
    vocab.scores = std::move(*s);
  }

  vocab.types.assign(n, TokenType::NORMAL);
  if (const GgufValue* types = file.find(kKeyTypes); types != nullptr) {
    std::optional<std::vector<int32_t>> t = types->as_i32_array();
    if (!t) return Status::error(key_error(path, kKeyTypes, "is not an array of integers"));
    if (t->size() != n) {
      return Status::error(key_error(
          path, kKeyTypes,
          "has " + std::to_string(t->size()) + " values, expected " + std::to_string(n) + " (one per token)"));
    }
    for (size_t i = 0; i < n; ++i) vocab.types[i] = token_type_from_int((*t)[i]);
  }

  if (const GgufValue* merges = file.find(kKeyMerges); merges != nullptr) {
    std::optional<std::vector<std::string>> m = merges->as_string_array();
    if (!m) return Status::error(key_error(path, kKeyMerges, "is not an array of strings"));
    vocab.merges = std::move(*m);
  }

  // Defaults as llama.cpp's loader: SentencePiece vocabularies put <unk> <s> </s> at 0 1 2, add BOS
  // and prefix a space; byte-level BPE ones default BOS and EOS to 11 and add BOS only for Llama 3
  // style pre-tokenizers; the others name their special tokens.
  const int32_t n_tokens = int32_t(n);
  const bool spm = vocab.model == "llama";
  const bool bpe = vocab.model == "gpt2";
  auto in_range = [&](int32_t id) { return id < n_tokens ? id : -1; };
  const int32_t def_bos = spm ? in_range(1) : bpe ? in_range(11) : -1;
  const int32_t def_eos = spm ? in_range(2) : bpe ? in_range(11) : -1;
  const int32_t def_unk = spm ? 0 : -1;
  vocab.add_bos = spm || (bpe && pre_adds_bos(vocab.pre));
  vocab.add_eos = false;
  vocab.add_space_prefix = spm;

  Result<int32_t> bos = read_special_id(file, kKeyBos, def_bos, n_tokens, false);
  GREENLLM_TRY(bos);
  Result<int32_t> eos = read_special_id(file, kKeyEos, def_eos, n_tokens, false);
  GREENLLM_TRY(eos);
  Result<int32_t> unk = read_special_id(file, kKeyUnk, def_unk, n_tokens, false);
  GREENLLM_TRY(unk);
  Result<int32_t> pad = read_special_id(file, kKeyPad, -1, n_tokens, true);
  GREENLLM_TRY(pad);
  vocab.bos_id = *bos;
  vocab.eos_id = *eos;
  vocab.unk_id = *unk;
  vocab.pad_id = *pad;

  Result<bool> add_bos = read_flag(file, kKeyAddBos, vocab.add_bos);
  GREENLLM_TRY(add_bos);
  Result<bool> add_eos = read_flag(file, kKeyAddEos, vocab.add_eos);
  GREENLLM_TRY(add_eos);
  Result<bool> add_space = read_flag(file, kKeyAddSpacePrefix, vocab.add_space_prefix);
  GREENLLM_TRY(add_space);
  vocab.add_bos = *add_bos;
  vocab.add_eos = *add_eos;
  vocab.add_space_prefix = *add_space;
  return vocab;
}

void vocab_to_gguf(const Vocab& vocab, formats::GgufContent& content) {
  // As convert_hf_to_gguf.py: SentencePiece-style vocabularies carry scores (llama.cpp ignores merges
  // for them), byte-level BPE ones carry merges and no scores.
  const bool spm = vocab.model == "llama";
  content.set(kKeyModel, GgufValue::string(vocab.model));
  if (!vocab.pre.empty()) content.set(kKeyPre, GgufValue::string(vocab.pre));
  content.set(kKeyTokens, GgufValue::string_array(vocab.tokens));
  if (spm) content.set(kKeyScores, GgufValue::f32_array(vocab.scores));
  std::vector<int32_t> types(vocab.types.size());
  for (size_t i = 0; i < types.size(); ++i) types[i] = int32_t(vocab.types[i]);
  content.set(kKeyTypes, GgufValue::i32_array(types));
  if (!spm && !vocab.merges.empty()) content.set(kKeyMerges, GgufValue::string_array(vocab.merges));
  if (vocab.bos_id >= 0) content.set(kKeyBos, GgufValue::u32(uint32_t(vocab.bos_id)));
  if (vocab.eos_id >= 0) content.set(kKeyEos, GgufValue::u32(uint32_t(vocab.eos_id)));
  if (vocab.unk_id >= 0) content.set(kKeyUnk, GgufValue::u32(uint32_t(vocab.unk_id)));
  if (vocab.pad_id >= 0) content.set(kKeyPad, GgufValue::u32(uint32_t(vocab.pad_id)));
  content.set(kKeyAddBos, GgufValue::boolean(vocab.add_bos));
  content.set(kKeyAddEos, GgufValue::boolean(vocab.add_eos));
  if (spm) content.set(kKeyAddSpacePrefix, GgufValue::boolean(vocab.add_space_prefix));
}

Result<Vocab> vocab_from_llama2c(const std::string& path, int32_t vocab_size) {
  Result<std::unique_ptr<MmapFile>> opened = MmapFile::open(path);
  GREENLLM_TRY(opened);
  const MmapFile& file = **opened;
  const uint8_t* data = file.data();
  const size_t size = file.size_bytes();

  auto read_i32 = [&](size_t at) {
    int32_t x;
    std::memcpy(&x, data + at, 4);
    return x;
  };
  if (size < 4) return Status::error(path + ": too short for a llama2.c tokenizer (no max_token_length)");
  const int32_t max_token_length = read_i32(0);
  if (max_token_length <= 0) {
    return Status::error(path + ": max_token_length " + std::to_string(max_token_length) +
                         " is not positive (at byte 0); not a llama2.c tokenizer.bin?");
  }

  Vocab vocab;
  vocab.model = "llama";
  vocab.bos_id = 1;
  vocab.eos_id = 2;
  vocab.unk_id = 0;
  vocab.add_bos = true;
  vocab.add_eos = false;
  vocab.add_space_prefix = true;

  size_t at = 4;
  while (vocab_size < 0 ? at < size : vocab.n_tokens() < vocab_size) {
    const int32_t id = vocab.n_tokens();
    if (size - at < 8) {
      return Status::error(path + ": token " + std::to_string(id) + " is truncated (at byte " + std::to_string(at) +
                           "); expected " +
                           (vocab_size < 0 ? std::string("score and length") : std::to_string(vocab_size) + " tokens"));
    }
    float score;
    std::memcpy(&score, data + at, 4);
    const int32_t len = read_i32(at + 4);
    if (len < 0 || len > max_token_length || size_t(len) > size - at - 8) {
      return Status::error(path + ": token " + std::to_string(id) + " has bad length " + std::to_string(len) +
                           " (at byte " + std::to_string(at + 4) + "; max_token_length " +
                           std::to_string(max_token_length) + ", " + std::to_string(size - at - 8) + " bytes left)");
    }
    std::string text(reinterpret_cast<const char*>(data + at + 8), size_t(len));
    at += 8 + size_t(len);

    // As llama.cpp's convert-llama2c-to-ggml: llama2.c's export wrote "\n<s>\n" and "\n</s>\n" and
    // replaced "▁" by spaces; undo both so the vocab equals the SentencePiece one.
    TokenType type = TokenType::NORMAL;
    if (id == 0) {
      text = "<unk>";
      type = TokenType::UNKNOWN;
    } else if (id == 1) {
      text = "<s>";
      type = TokenType::CONTROL;
    } else if (id == 2) {
      text = "</s>";
      type = TokenType::CONTROL;
    } else if (text.empty()) {
      type = TokenType::CONTROL;
    } else if (is_byte_piece(text)) {
      type = TokenType::BYTE;
    }
    vocab.tokens.push_back(escape_spaces(text));
    vocab.scores.push_back(score);
    vocab.types.push_back(type);
  }
  if (vocab.n_tokens() < 3) {
    return Status::error(path + ": has " + std::to_string(vocab.n_tokens()) +
                         " tokens; a llama2.c vocabulary starts with <unk> <s> </s>");
  }
  return vocab;
}

}  // namespace greenllm::tokenizer
