// A Llama-family model's weights (used in place from the file mapping where possible) and its
// hyper-parameters; loaded from GGUF or from a llama2.c checkpoint.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/ggml_type.h"
#include "core/mmap_file.h"
#include "core/status.h"
#include "model/llama_hparams.h"

namespace greenllm::formats {
class GgufFile;
}

namespace greenllm::model {

// A 2-D weight: n_out rows of n_in elements (GGUF shape {n_in, n_out}), or a 1-D vector (n_out = 1).
struct Weight {
  GgmlType type = GgmlType::F32;
  int64_t n_in = 0;
  int64_t n_out = 0;
  const void* data = nullptr;
  bool present() const { return data != nullptr; }
};

struct LlamaLayer {
  Weight attn_norm;              // (n_embd) F32
  Weight wq, wk, wv, wo;         // (q_dim, n_embd) (kv_dim, n_embd) (kv_dim, n_embd) (n_embd, q_dim)
  Weight bq, bk, bv;             // optional biases (Qwen2): (q_dim) (kv_dim) (kv_dim) F32
  Weight ffn_norm;               // (n_embd) F32
  Weight w_gate, w_up, w_down;   // (n_ff, n_embd) (n_ff, n_embd) (n_embd, n_ff)
};

class LlamaModel {
 public:
  LlamaHParams hparams;
  Weight tok_embd;     // (n_vocab, n_embd)
  Weight output_norm;  // (n_embd) F32
  Weight output;       // (n_vocab, n_embd); the embedding itself when tied
  Weight rope_freqs;   // optional (n_rot / 2) F32: per-frequency divisors (Llama 3.1 scaling)
  std::vector<LlamaLayer> layers;
  bool tied_embeddings = false;
  std::string source_path;
  std::string source_format;  // "gguf" or "llama2c"

  // Total bytes of all weights.
  uint64_t weight_bytes() const;

  // Keeps the mapping / buffers the weights point into alive.
  std::shared_ptr<const formats::GgufFile> gguf;
  std::unique_ptr<MmapFile> mapping;
  std::vector<std::vector<float>> owned;  // weights converted at load time (norm vectors in F16, ...)
};

// Loads the weights of a GGUF file already opened. Errors name the file and tensor (missing,
// wrong shape, or a type greenllm cannot compute yet, e.g. "blk.0.attn_q.weight has type q4_k").
Result<std::unique_ptr<LlamaModel>> load_llama_from_gguf(std::shared_ptr<const formats::GgufFile> file);

// llama2.c checkpoint (run.c's v0 layout): header of 7 int32 (dim, hidden_dim, n_layers, n_heads,
// n_kv_heads, vocab_size (negative: separate classifier), seq_len), then F32 weights.
Result<std::unique_ptr<LlamaModel>> load_llama2c(const std::string& path);

}  // namespace greenllm::model
