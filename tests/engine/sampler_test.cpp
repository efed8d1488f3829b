// Sampler behaviour against the definitions of each step (greedy, top-k, top-p, min-p, temperature,
// repetition penalty) and seeded reproducibility.
#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace greenllm::engine {
namespace {

SamplingParams plain(float temp) {
  SamplingParams p;
  p.temperature = temp;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.repeat_penalty = 1.0f;
  p.seed = 7;
  return p;
}

TEST(Sampler, GreedyPicksFirstMaximum) {
  Sampler s(plain(0.0f));
  std::vector<float> logits = {0.1f, 2.0f, -1.0f, 2.0f};
  EXPECT_EQ(s.sample(logits, {}), 1);
}

TEST(Sampler, TopKOneIsGreedy) {
  auto p = plain(1.5f);
  p.top_k = 1;
  Sampler s(p);
  for (int i = 0; i < 50; ++i) {
    std::vector<float> logits = {0.5f, 0.4f, 3.0f, 2.9f};
    EXPECT_EQ(s.sample(logits, {}), 2);
  }
}

TEST(Sampler, SameSeedSameDraws) {
  auto draw = [](uint64_t seed) {
    auto p = plain(1.0f);
    p.seed = seed;
    Sampler s(p);
    std::vector<int32_t> out;
    for (int i = 0; i < 64; ++i) {
      std::vector<float> logits = {0.0f, 0.1f, 0.2f, 0.3f, 0.4f};
      out.push_back(s.sample(logits, {}));
    }
    return out;
  };
  EXPECT_EQ(draw(11), draw(11));
  EXPECT_NE(draw(11), draw(12));
}

// With temperature 1 and no filters, draws follow softmax(logits): a chi-square test at a
// generous threshold (fixed seed, so it cannot flake).
TEST(Sampler, TemperatureOneFollowsSoftmax) {
  Sampler s(plain(1.0f));
  const std::vector<float> base = {0.0f, 1.0f, 2.0f, -1.0f};
  std::vector<double> p(base.size());
  double z = 0;
  for (size_t i = 0; i < base.size(); ++i) z += p[i] = std::exp(base[i]);
  for (auto& v : p) v /= z;
  const int n = 20000;
  std::vector<int> counts(base.size(), 0);
  for (int i = 0; i < n; ++i) {
    auto logits = base;
    counts[size_t(s.sample(logits, {}))]++;
  }
  double chi2 = 0;
  for (size_t i = 0; i < base.size(); ++i) chi2 += std::pow(counts[i] - n * p[i], 2) / (n * p[i]);
  EXPECT_LT(chi2, 16.3);  // 3 degrees of freedom, p = 0.001
}

TEST(Sampler, TopPKeepsSmallestSetAboveP) {
  auto p = plain(1.0f);
  p.top_p = 0.5f;
  Sampler s(p);
  // softmax of {2, 1, 0, ...}: p0 = 0.63 > 0.5, so only token 0 survives.
  for (int i = 0; i < 100; ++i) {
    std::vector<float> logits = {2.0f, 1.0f, 0.0f, 0.0f};
    EXPECT_EQ(s.sample(logits, {}), 0);
  }
}

TEST(Sampler, MinPDropsUnlikelyTokens) {
  auto p = plain(1.0f);
  p.min_p = 0.2f;
  Sampler s(p);
  // p(token 2) / p(token 0) = e^-3 = 0.05 < 0.2: never drawn; token 1 (e^-0.5 = 0.61) is.
  std::map<int, int> seen;
  for (int i = 0; i < 500; ++i) {
    std::vector<float> logits = {3.0f, 2.5f, 0.0f};
    seen[s.sample(logits, {})]++;
  }
  EXPECT_EQ(seen.count(2), 0u);
  EXPECT_GT(seen[1], 0);
}

TEST(Sampler, RepetitionPenaltyDividesPositiveAndMultipliesNegative) {
  auto p = plain(0.0f);
  p.repeat_penalty = 2.0f;
  p.repeat_last_n = 2;
  Sampler s(p);
  std::vector<float> logits = {3.0f, 2.0f, -1.0f, 1.6f};
  // tokens 0 and 2 are in the last 2; 0 -> 1.5, 2 -> -2; token 5 is outside the window.
  const std::vector<int32_t> recent = {1, 0, 2};
  EXPECT_EQ(s.sample(logits, recent), 1);
  EXPECT_FLOAT_EQ(logits[0], 1.5f);
  EXPECT_FLOAT_EQ(logits[2], -2.0f);
  EXPECT_FLOAT_EQ(logits[1], 2.0f);
}

TEST(Sampler, NanLogitsAreNeverPicked) {
  std::vector<float> logits = {NAN, 1.0f, NAN, 3.0f, 2.0f};
  Sampler greedy(plain(0.0f));
  auto l = logits;
  EXPECT_EQ(greedy.sample(l, {}), 3);
  auto p = plain(1.0f);
  p.top_k = 3;
  Sampler s(p);
  for (int i = 0; i < 200; ++i) {
    l = logits;
    const int32_t id = s.sample(l, {});
    EXPECT_TRUE(id == 1 || id == 3 || id == 4) << id;
  }
}

TEST(Sampler, ParamsOutOfRangeAreNamed) {
  SamplingParams p;
  EXPECT_TRUE(p.validate().is_ok());
  p.repeat_penalty = 0.0f;
  EXPECT_NE(p.validate().message().find("repeat_penalty"), std::string::npos);
  p = SamplingParams{};
  p.top_p = NAN;
  EXPECT_NE(p.validate().message().find("top_p"), std::string::npos);
}

}  // namespace
}  // namespace greenllm::engine
