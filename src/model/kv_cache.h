// The state of one sequence: its keys and values per layer and position, and how many positions
// are filled. Several sequences will share one batch later; each owns its own state.
#pragma once

#include <cassert>
#include <cstdint>
#include <vector>

#include "model/llama_hparams.h"

namespace greenllm::model {

class SequenceState {
 public:
  // Room for n_ctx positions; keys and values are F32, kv_dim floats per layer and position.
  SequenceState(const LlamaHParams& hp, int64_t n_ctx);

  int64_t n_ctx() const { return n_ctx_; }
  int64_t n_past() const { return n_past_; }
  // Positions [0, n) are filled: the forward pass advances it; a smaller n forgets what follows.
  void set_n_past(int64_t n) {
    assert(n >= 0 && n <= n_ctx_);
    n_past_ = n;
  }
  int64_t kv_dim() const { return kv_dim_; }
  uint64_t size_bytes() const { return uint64_t(k_.size() + v_.size()) * sizeof(float); }

  // (n_ctx, kv_dim) row-major blocks of one layer.
  float* k(int64_t layer) { return k_.data() + layer * n_ctx_ * kv_dim_; }
  float* v(int64_t layer) { return v_.data() + layer * n_ctx_ * kv_dim_; }

 private:
  int64_t n_ctx_;
  int64_t kv_dim_;
  int64_t n_past_ = 0;
  std::vector<float> k_, v_;
};

}  // namespace greenllm::model
