// Sampling chain. With top-k, only the k best candidates are sorted; without, the whole vocabulary.
#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace greenllm::engine {

Status SamplingParams::validate() const {
  if (!std::isfinite(temperature)) return Status::error("temperature must be a finite number");
  if (!(top_p >= 0.0f && top_p <= 1.0f)) return Status::error("top_p must be between 0 and 1");
  if (!(min_p >= 0.0f && min_p <= 1.0f)) return Status::error("min_p must be between 0 and 1");
  if (!(repeat_penalty > 0.0f) || !std::isfinite(repeat_penalty))
    return Status::error("repeat_penalty must be a positive number (1 is off)");
  return Status::ok();
}

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}

int32_t Sampler::sample(std::span<float> logits, std::span<const int32_t> recent) {
  const int32_t n_vocab = int32_t(logits.size());
  // A NaN logit (from a broken model file) must not reach the comparisons below: it would break the
  // ordering the sorts rely on. It becomes the least likely token.
  for (float& l : logits)
    if (std::isnan(l)) l = -INFINITY;
  // Repetition penalty (CTRL paper, as llama.cpp applies it): each distinct recent token's logit is
  // divided by the penalty if positive, multiplied if negative.
  if (params_.repeat_penalty != 1.0f && params_.repeat_last_n != 0 && !recent.empty()) {
    const size_t n = params_.repeat_last_n < 0 ? recent.size()
                                               : std::min(recent.size(), size_t(params_.repeat_last_n));
    std::unordered_set<int32_t> seen(recent.end() - std::ptrdiff_t(n), recent.end());
    for (int32_t id : seen) {
      if (id < 0 || id >= n_vocab) continue;
      float& l = logits[size_t(id)];
      l = l > 0 ? l / params_.repeat_penalty : l * params_.repeat_penalty;
    }
  }

  if (params_.temperature <= 0.0f) {
    // Greedy: the first maximum, so ties resolve to the lowest id.
    return int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }

  candidates_.resize(size_t(n_vocab));
  for (int32_t i = 0; i < n_vocab; ++i) candidates_[size_t(i)] = {logits[size_t(i)], i};
  auto by_logit = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
  size_t n = candidates_.size();

  if (params_.top_k > 0 && size_t(params_.top_k) < n) {
    std::partial_sort(candidates_.begin(), candidates_.begin() + params_.top_k, candidates_.end(), by_logit);
    n = size_t(params_.top_k);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  }

  // Probabilities of the kept candidates (sorted, descending).
  std::vector<double> probs(n);
  auto softmax = [&](size_t count) {
    const double max_logit = candidates_[0].first;
    double sum = 0.0;
    for (size_t i = 0; i < count; ++i) sum += probs[i] = std::exp(double(candidates_[i].first) - max_logit);
    for (size_t i = 0; i < count; ++i) probs[i] /= sum;
  };
  softmax(n);
  if (params_.top_p < 1.0f) {
    double cum = 0.0;
    size_t keep = n;
    for (size_t i = 0; i < n; ++i) {
      cum += probs[i];
      if (cum >= params_.top_p) {
        keep = i + 1;
        break;
      }
    }
    n = keep;
    softmax(n);
  }
  if (params_.min_p > 0.0f) {
    const double threshold = double(params_.min_p) * probs[0];
    size_t keep = 1;
    while (keep < n && probs[keep] >= threshold) ++keep;
    n = keep;
  }

  // Temperature, then the draw.
  const double max_logit = candidates_[0].first;
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += probs[i] = std::exp((double(candidates_[i].first) - max_logit) / params_.temperature);
  std::uniform_real_distribution<double> uniform(0.0, sum);
  const double r = uniform(rng_);
  double cum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    cum += probs[i];
    if (r < cum) return candidates_[i].second;
  }
  return candidates_[n - 1].second;
}

}  // namespace greenllm::engine
