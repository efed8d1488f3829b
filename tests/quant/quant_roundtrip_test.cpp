// Round trips through the reference quantizers stay within each format's named error budget,
// relative to the largest |x| of the block (the 32-element block, or the 256-element super-block),
// on Gaussian data, blocks with an outlier, all-zero and constant blocks.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "quant/reference.h"

namespace greenllm::quant {
namespace {

// Max |x - dequant(quant(x))| / max|x| over a block. Budgets come from each format's step size:
// Q8_0 d = amax/127 and error <= d/2 (plus f16 rounding of d, 127 * 2^-11 d); Q4_0/Q5_0 map the
// signed max to the end of the range, so the opposite extreme can be off by a whole step
// (amax/8, amax/16); Q4_1/Q5_1 step (max-min)/15 or /31 <= 2 amax/15, /31, error half a step plus
// f16 rounding of d and m; Q8_K keeps d in f32: amax/254. The K-quants' half step is amax/64 (Q6_K,
// levels -32..31) and amax/31, amax/15 (Q5_K, Q4_K, range <= 2 amax); their sub-block scales and mins
// are stored with 8 or 6 bits against the super-block's, which can cost more than half a step, so
// their budget is 1.5 half steps (observed: 1.03, 1.18, 1.06 half steps).
struct Budget {
  GgmlType type;
  double max_rel;  // max |error| / block amax
};
constexpr Budget kBudgets[] = {
    {GgmlType::Q8_0, 0.57 / 127}, {GgmlType::Q4_0, 1.01 / 8},  {GgmlType::Q4_1, 1.1 / 15},
    {GgmlType::Q5_0, 1.01 / 16},  {GgmlType::Q5_1, 1.15 / 31}, {GgmlType::Q8_K, 0.501 / 127},
    {GgmlType::Q6_K, 1.5 / 64},   {GgmlType::Q5_K, 1.5 / 31},  {GgmlType::Q4_K, 1.5 / 15},
};

enum class Kind { GAUSSIAN, OUTLIER, ZERO, CONSTANT, MIXED_SCALES };

std::vector<float> make_data(Kind kind, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i) {
    switch (kind) {
      case Kind::GAUSSIAN:
        x[i] = normal(rng) * 0.02f;
        break;
      case Kind::OUTLIER:
        x[i] = normal(rng) * 0.02f + (i % 97 == 13 ? 1.5f : 0.0f);
        break;
      case Kind::ZERO:
        x[i] = 0.0f;
        break;
      case Kind::CONSTANT:
        x[i] = (i / 256 % 2 ? -0.37f : 0.37f);
        break;
      case Kind::MIXED_SCALES:
        x[i] = normal(rng) * (i / 32 % 3 == 0 ? 1.0f : 0.01f) + 0.05f;
        break;
    }
  }
  return x;
}

void check(const Budget& b, Kind kind, uint32_t seed) {
  const QuantTraits* t = quant_traits(b.type);
  ASSERT_NE(t, nullptr);
  const int n = 8 * 256;
  const std::vector<float> x = make_data(kind, n, seed);
  std::vector<uint8_t> q(size_t(n / t->block_elems) * t->block_bytes);
  std::vector<float> y(n);
  t->quantize_row(x.data(), q.data(), n);
  t->dequantize_row(q.data(), y.data(), n);
  double worst = 0;
  for (int blk = 0; blk < n / int(t->block_elems); ++blk) {
    const int lo = blk * int(t->block_elems), hi = lo + int(t->block_elems);
    double amax = 0, err = 0;
    for (int i = lo; i < hi; ++i) {
      amax = std::max(amax, double(std::fabs(x[i])));
      err = std::max(err, std::fabs(double(x[i]) - double(y[i])));
    }
    if (amax == 0) {
      EXPECT_EQ(err, 0.0) << t->name << " all-zero block " << blk;
      continue;
    }
    worst = std::max(worst, err / amax);
  }
  EXPECT_LE(worst, b.max_rel) << t->name << " kind " << int(kind) << " seed " << seed;
}

TEST(QuantRoundTrip, WithinBudgetOnGaussianData) {
  for (const Budget& b : kBudgets)
    for (uint32_t seed = 1; seed <= 5; ++seed) check(b, Kind::GAUSSIAN, seed);
}

TEST(QuantRoundTrip, WithinBudgetWithOutliers) {
  for (const Budget& b : kBudgets)
    for (uint32_t seed = 1; seed <= 5; ++seed) check(b, Kind::OUTLIER, seed);
}

TEST(QuantRoundTrip, WithinBudgetWithSubBlocksOfVeryDifferentScale) {
  for (const Budget& b : kBudgets)
    for (uint32_t seed = 1; seed <= 5; ++seed) check(b, Kind::MIXED_SCALES, seed);
}

TEST(QuantRoundTrip, AllZeroBlocksAreExact) {
  for (const Budget& b : kBudgets) check(b, Kind::ZERO, 0);
}

TEST(QuantRoundTrip, ConstantBlocksWithinBudget) {
  for (const Budget& b : kBudgets) check(b, Kind::CONSTANT, 0);
}

// Quantizing a block is independent of its neighbours: one row equals the concatenation of blocks.
TEST(QuantRoundTrip, RowIsConcatenationOfBlocks) {
  const std::vector<float> x = make_data(Kind::OUTLIER, 4 * 256, 7);
  for (const QuantTraits& t : quant_traits_table()) {
    const int n = int(x.size()), nb = n / int(t.block_elems);
    std::vector<uint8_t> whole(size_t(nb) * t.block_bytes), parts(whole.size());
    t.quantize_row(x.data(), whole.data(), n);
    for (int b = 0; b < nb; ++b)
      t.quantize_row(x.data() + b * t.block_elems, parts.data() + size_t(b) * t.block_bytes, t.block_elems);
    EXPECT_EQ(whole, parts) << t.name;
  }
}

}  // namespace
}  // namespace greenllm::quant
