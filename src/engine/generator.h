// Generation for one sequence: prompt processing in batches, then sample / decode until EOS, a stop
// string, n_predict tokens or a full context; text is handed out as it becomes final.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engine/sampler.h"
#include "model/kv_cache.h"
#include "model/llama_forward.h"
#include "tokenizer/tokenizer.h"

namespace greenllm::engine {

struct GenerateParams {
  int64_t n_predict = 128;         // < 0: until EOS or the context is full
  std::vector<std::string> stop;   // generation ends before the first occurrence of any of these
  bool ignore_eos = false;
  SamplingParams sampling;
};

enum class StopReason { LENGTH, EOS, STOP_STRING, CONTEXT_FULL };
const char* stop_reason_name(StopReason r);

struct GenerateStats {
  int64_t n_prompt_tokens = 0;
  int64_t n_generated_tokens = 0;
  double prompt_seconds = 0.0;      // the forward pass over the prompt
  double generation_seconds = 0.0;  // every decode step after that
  StopReason stop_reason = StopReason::LENGTH;
  std::vector<int32_t> generated;   // the ids, including a final EOS if one was sampled
};

// Length of the longest suffix of `text` that is a proper prefix of some stop string: those bytes
// may still become a stop string, so a streaming caller holds them back.
size_t stop_string_holdback(std::string_view text, const std::vector<std::string>& stops);

// `prompt` must hold at least one token (BOS alone for an empty prompt). `on_text` receives the
// generated text (never the prompt) in pieces that are final: complete UTF-8 and past any possible
// start of a stop string.
Result<GenerateStats> generate(model::LlamaForward& forward, model::SequenceState& seq,
                               const tokenizer::Tokenizer& tok, const std::vector<int32_t>& prompt,
                               const GenerateParams& params, const std::function<void(std::string_view)>& on_text);

}  // namespace greenllm::engine
