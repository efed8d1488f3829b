// Hyper-parameters of a Llama-family model (llama, mistral, qwen2), read from GGUF `{arch}.*` keys.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace greenllm::formats {
class GgufFile;
}

namespace greenllm::model {

// How RoPE pairs the dimensions of a head: NORM rotates adjacent pairs (2i, 2i+1), as Meta's
// Llama and llama2.c do; NEOX rotates (i, i + n_rot/2), as GPT-NeoX and Qwen2 do.
enum class RopeType { NORM, NEOX };

// Largest context length accepted from a file or a flag (16M positions).
constexpr int64_t kMaxContext = int64_t(1) << 24;

struct LlamaHParams {
  std::string arch = "llama";
  int64_t n_vocab = 0;
  int64_t n_embd = 0;      // model dimension
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;   // < n_head: grouped-query attention
  int64_t head_dim = 0;    // usually n_embd / n_head
  int64_t n_ff = 0;        // SwiGLU hidden size
  int64_t n_ctx_train = 0; // context length the model was trained with
  int64_t n_rot = 0;       // dimensions of each head that RoPE rotates (the first n_rot)
  float rms_eps = 1e-5f;
  float rope_freq_base = 10000.0f;
  float rope_freq_scale = 1.0f;  // linear scaling: positions are multiplied by this (1 / factor)
  RopeType rope_type = RopeType::NORM;

  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_head_kv * head_dim; }
  // Checks the values are consistent and in range; the message names `where`.
  Status validate(const std::string& where) const;
};

Result<LlamaHParams> hparams_from_gguf(const formats::GgufFile& file);
// The RoPE pairing llama.cpp uses for an architecture name; error for architectures not supported.
Result<RopeType> rope_type_for_arch(const std::string& arch);

}  // namespace greenllm::model
