// A model's vocabulary as GGUF stores it (tokenizer.ggml.*), from GGUF metadata or a llama2.c
// tokenizer.bin (a Hugging Face tokenizer.json: hf_tokenizer_json.h). Token types follow llama.cpp's
// llama_token_type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "tokenizer/pretokenizer.h"

namespace greenllm::formats {
class GgufFile;
struct GgufContent;
}  // namespace greenllm::formats

namespace greenllm::tokenizer {

// clang-format off
enum class TokenType : int32_t {
  UNDEFINED = 0, NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6,
};
// clang-format on

// How a Hugging Face tokenizer.json says to tokenize, where that goes beyond what GGUF stores. GGUF
// has no place for it: a vocab written to GGUF is tokenized by llama.cpp's rules for its model.
struct HfTokenizerSpec {
  // Normalizer steps, in order: PREPEND puts `content` before non-empty text, REPLACE replaces every
  // `pattern` (a literal string) by `content`, NFC composes.
  enum class Normalize : uint8_t { PREPEND, REPLACE, NFC };
  struct NormalizeStep {
    Normalize kind;
    std::string pattern, content;
  };
  // Tokens matched in the text before the model sees it (added_tokens of tokenizer.json).
  struct AddedToken {
    int32_t id;
    std::string content;
    bool special, normalized, lstrip, rstrip;
  };

  std::vector<NormalizeStep> normalizer;
  std::vector<AddedToken> added_tokens;
  std::vector<SplitRegex> pre_tokenizer;  // regex splits, in order (none: the text is one word)
  bool byte_level = false;                // ByteLevel: bytes become GPT-2 characters before BPE
  bool add_prefix_space = false;          // ByteLevel: a space before text that does not start with one
  bool byte_fallback = false;             // a character that is no token becomes its <0xXX> tokens, if all exist
  bool fuse_unk = false;                  // runs of unknown characters become one unknown token
  bool ignore_merges = false;             // a word that is a token is not split by merges
  bool decode_metaspace = false;          // decoder: "▁" in tokens reads as a space
};

struct Vocab {
  std::string model = "llama";  // tokenizer.ggml.model: "llama" = SentencePiece BPE (scores, byte fallback),
                                // "gpt2" = byte-level BPE (merges, pre-tokenizer)
  std::string pre;              // tokenizer.ggml.pre: byte-level BPE pre-tokenizer (pretokenizer.h)
  std::vector<std::string> tokens;
  std::vector<float> scores;        // same length as tokens (0 where the file has none)
  std::vector<TokenType> types;     // same length as tokens
  std::vector<std::string> merges;  // BPE merges "a b", highest priority first
  int32_t bos_id = -1, eos_id = -1, unk_id = -1, pad_id = -1;
  bool add_bos = true;
  bool add_eos = false;
  bool add_space_prefix = true;
  // general.name: llama.cpp derives per-token whitespace stripping around special tokens from it
  // (Phi-3: text right after most special tokens loses its leading whitespace).
  std::string model_name;
  // Set when the vocab came from a tokenizer.json: make_tokenizer then follows Hugging Face's rules.
  std::optional<HfTokenizerSpec> hf;

  int32_t n_tokens() const { return int32_t(tokens.size()); }
};

// From tokenizer.ggml.* keys; errors name the file and key (e.g. missing tokens, length mismatch,
// special ids out of range).
Result<Vocab> vocab_from_gguf(const formats::GgufFile& file);
// Writes tokenizer.ggml.* keys as llama.cpp's converter does: for "llama" tokens, scores, types and
// flags; for "gpt2" tokens, types, merges and pre (no scores).
void vocab_to_gguf(const Vocab& vocab, formats::GgufContent& content);

// llama2.c tokenizer.bin: i32 max_token_length, then per token: f32 score, i32 length, bytes.
// Ids 0/1/2 are <unk>/<s>/</s>; "<0xXX>" tokens are byte tokens. vocab_size < 0 reads tokens until
// the end of the file; otherwise exactly vocab_size tokens must be there.
Result<Vocab> vocab_from_llama2c(const std::string& path, int32_t vocab_size);

}  // namespace greenllm::tokenizer
