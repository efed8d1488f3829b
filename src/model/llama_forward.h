// The Llama-family forward pass: a batch of tokens of one sequence through every layer, matrix-matrix
// for prompts and matrix-vector for decode, appending to the sequence's KV cache.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "kernels/kernels.h"
#include "model/kv_cache.h"
#include "model/llama_model.h"

namespace greenllm {
class ThreadPool;
}

namespace greenllm::model {

// Tokens computed at once at most; longer inputs go in chunks (bounds the workspace).
constexpr int64_t kMaxBatchTokens = 4096;

class LlamaForward {
 public:
  // `max_batch` (clamped to 1..kMaxBatchTokens) bounds the tokens computed at once (longer inputs go
  // in chunks) and so the workspace.
  LlamaForward(const LlamaModel& model, ThreadPool& pool, int64_t max_batch = 512,
               const kernels::KernelTable& kernels = kernels::active());

  // Runs `tokens` at positions seq.n_past() onwards and advances n_past. Writes the logits of the last
  // token to `logits` (n_vocab), or with all_logits those of every token ((n_tokens, n_vocab)).
  // Errors: a token id out of range, or more positions than the sequence's context.
  Status forward(SequenceState& seq, std::span<const int32_t> tokens, std::vector<float>& logits,
                 bool all_logits = false);

  const LlamaModel& model() const { return model_; }

 private:
  void forward_chunk(SequenceState& seq, std::span<const int32_t> tokens, float* logits, bool all_logits);
  void matmul(const Weight& w, const float* x, int64_t n_tok, float* y);
  void attention(SequenceState& seq, int64_t layer, int64_t n_tok);
  void rope(float* x, int64_t n_tok, int64_t n_heads, int64_t row_stride) const;

  const LlamaModel& model_;
  ThreadPool& pool_;
  const kernels::KernelTable& kernels_;
  int64_t max_batch_;
  // Workspace, sized for max_batch tokens: (n, n_embd) x, xn; (n, q_dim) q, att; (n, kv_dim) k, v;
  // (n, n_ff) gate, up; per-thread attention scores (n_ctx each); RoPE cos/sin (n, n_rot/2).
  std::vector<float> x_, xn_, q_, k_, v_, att_, gate_, up_, scores_, cos_, sin_;
  std::vector<float> dequant_rows_;  // per thread, one dequantized weight row (quantized weights)
};

}  // namespace greenllm::model
