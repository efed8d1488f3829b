// Picks the next token from logits: repetition penalty, then top-k, top-p, min-p and temperature,
// then a draw (or argmax when temperature <= 0), in llama.cpp's default order.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "core/status.h"

namespace greenllm::engine {

struct SamplingParams {
  float temperature = 0.8f;     // <= 0: greedy (argmax)
  int32_t top_k = 40;           // <= 0: off
  float top_p = 0.95f;          // >= 1: off
  float min_p = 0.05f;          // <= 0: off; keeps tokens with p >= min_p * p_max
  float repeat_penalty = 1.0f;  // 1: off; > 1 discourages tokens seen in the last repeat_last_n
  int32_t repeat_last_n = 64;
  uint64_t seed = 0;

  // Values in range (temperature finite, top_p and min_p in [0, 1], repeat_penalty > 0); the error
  // names the parameter.
  Status validate() const;
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);

  // `recent` are the tokens so far (prompt and generated), for the repetition penalty.
  // logits (n_vocab) are modified in place by the penalty.
  int32_t sample(std::span<float> logits, std::span<const int32_t> recent);

  const SamplingParams& params() const { return params_; }

 private:
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> candidates_;  // (logit, id), reused
};

}  // namespace greenllm::engine
