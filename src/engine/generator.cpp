// The generation loop and its stop-string hold-back.
#include "engine/generator.h"

#include <chrono>

namespace greenllm::engine {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

size_t stop_string_holdback(std::string_view text, const std::vector<std::string>& stops) {
  size_t hold = 0;
  for (const auto& s : stops)
    for (size_t len = std::min(s.size() - 1, text.size()); len > hold; --len)
      if (text.substr(text.size() - len) == std::string_view(s).substr(0, len)) {
        hold = len;
        break;
      }
  return hold;
}

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::LENGTH: return "length";
    case StopReason::EOS: return "eos";
    case StopReason::STOP_STRING: return "stop";
    case StopReason::CONTEXT_FULL: return "context_full";
  }
  return "?";
}

Result<GenerateStats> generate(model::LlamaForward& forward, model::SequenceState& seq,
                               const tokenizer::Tokenizer& tok, const std::vector<int32_t>& prompt,
                               const GenerateParams& params, const std::function<void(std::string_view)>& on_text) {
  GenerateStats stats;
  if (prompt.empty()) return Status::error("generate: empty prompt (start with BOS)");
  GREENLLM_TRY(params.sampling.validate());
  for (const auto& s : params.stop)
    if (s.empty()) return Status::error("generate: a stop string is empty");
  Sampler sampler(params.sampling);
  std::vector<int32_t> history(prompt);
  std::vector<float> logits;
  stats.n_prompt_tokens = int64_t(prompt.size());

  const auto t0 = std::chrono::steady_clock::now();
  if (params.n_predict == 0) return stats;
  GREENLLM_TRY(forward.forward(seq, prompt, logits));
  stats.prompt_seconds = seconds_since(t0);

  // Generation starting right after BOS drops the dummy-prefix space of its first word.
  tokenizer::StreamDecoder decoder(tok, prompt.size() == 1 && prompt[0] == tok.bos_id());
  std::string pending;  // decoded text not yet handed out (may be the start of a stop string)
  const auto t1 = std::chrono::steady_clock::now();
  for (;;) {
    const int32_t id = sampler.sample(logits, history);
    stats.generated.push_back(id);
    history.push_back(id);
    if (!params.ignore_eos && tok.is_eog(id)) {
      stats.stop_reason = StopReason::EOS;
      break;
    }
    ++stats.n_generated_tokens;
    pending += decoder.push(id);
    if (!params.stop.empty()) {
      size_t cut = std::string::npos;
      for (const auto& s : params.stop) cut = std::min(cut, pending.find(s));
      if (cut != std::string::npos) {
        pending.resize(cut);
        stats.stop_reason = StopReason::STOP_STRING;
        break;
      }
      const size_t hold = stop_string_holdback(pending, params.stop);
      if (pending.size() > hold) {
        on_text(std::string_view(pending).substr(0, pending.size() - hold));
        pending.erase(0, pending.size() - hold);
      }
    } else if (!pending.empty()) {
      on_text(pending);
      pending.clear();
    }
    if (params.n_predict > 0 && stats.n_generated_tokens >= params.n_predict) {
      stats.stop_reason = StopReason::LENGTH;
      break;
    }
    if (seq.n_past() >= seq.n_ctx()) {
      stats.stop_reason = StopReason::CONTEXT_FULL;
      break;
    }
    const int32_t next[1] = {id};
    GREENLLM_TRY(forward.forward(seq, next, logits));
  }
  if (stats.stop_reason != StopReason::STOP_STRING) pending += decoder.flush();
  if (!pending.empty()) on_text(pending);
  stats.generation_seconds = seconds_since(t1);
  return stats;
}

}  // namespace greenllm::engine
