// A model's vocabulary as GGUF stores it (tokenizer.ggml.*), from GGUF metadata or a llama2.c
// tokenizer.bin. Token types follow llama.cpp's llama_token_type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

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

struct Vocab {
  std::string model = "llama";  // tokenizer.ggml.model: "llama" = SentencePiece BPE (scores, byte fallback)
  std::string pre;              // tokenizer.ggml.pre (byte-level BPE pre-tokenizer; later)
  std::vector<std::string> tokens;
  std::vector<float> scores;        // same length as tokens (0 where the file has none)
  std::vector<TokenType> types;     // same length as tokens
  std::vector<std::string> merges;  // BPE merges "a b" (byte-level BPE; later)
  int32_t bos_id = -1, eos_id = -1, unk_id = -1, pad_id = -1;
  bool add_bos = true;
  bool add_eos = false;
  bool add_space_prefix = true;
  // general.name: llama.cpp derives per-token whitespace stripping around special tokens from it
  // (Phi-3: text right after most special tokens loses its leading whitespace).
  std::string model_name;

  int32_t n_tokens() const { return int32_t(tokens.size()); }
};

// From tokenizer.ggml.* keys; errors name the file and key (e.g. missing tokens, length mismatch,
// special ids out of range).
Result<Vocab> vocab_from_gguf(const formats::GgufFile& file);
// Writes tokenizer.ggml.* keys as llama.cpp's converter does for a SentencePiece vocabulary.
void vocab_to_gguf(const Vocab& vocab, formats::GgufContent& content);

// llama2.c tokenizer.bin: i32 max_token_length, then per token: f32 score, i32 length, bytes.
// Ids 0/1/2 are <unk>/<s>/</s>; "<0xXX>" tokens are byte tokens. vocab_size < 0 reads tokens until
// the end of the file; otherwise exactly vocab_size tokens must be there.
Result<Vocab> vocab_from_llama2c(const std::string& path, int32_t vocab_size);

}  // namespace greenllm::tokenizer
