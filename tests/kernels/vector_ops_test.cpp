// The vector kernels (dot, axpy, weight-row conversion) of every ISA tier against the reference.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>

#include "kernels_test_util.h"

namespace greenllm::kernels::test {
namespace {

// |isa - exact| <= kDotTolerance(n) * sum |a_i b_i|: as for matmul, a per-lane chain of fused
// multiply-adds (four accumulators, so shorter), a reduction tree, with a factor two of margin.
double dot_tolerance(int64_t n) { return (double(n) / 8.0 + 8.0) * FLT_EPSILON; }

// axpy: one fused multiply-add (ISA) against a rounded product and a rounded sum (reference).
constexpr double kAxpyTolerance = FLT_EPSILON;  // relative to |y| + |alpha x|

constexpr float kNoValue = -777.0f;  // fills elements a call must not write

const int64_t kLengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 100, 128, 1000, 4099};

class VectorOpsTest : public ::testing::TestWithParam<Isa> {};

TEST_P(VectorOpsTest, Dot) {
  GREENLLM_TABLE_OR_SKIP(table, GetParam());
  std::mt19937 rng(1);
  for (int64_t n : kLengths) {
    const std::vector<float> a = random_floats(n, rng), b = random_floats(n, rng);
    double exact = 0.0, magnitude = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      exact += double(a[i]) * b[i];
      magnitude += std::fabs(double(a[i]) * b[i]);
    }
    EXPECT_NEAR(table->dot_f32(a.data(), b.data(), n), exact, dot_tolerance(n) * magnitude + FLT_MIN) << "n=" << n;
  }
}

TEST_P(VectorOpsTest, Axpy) {
  GREENLLM_TABLE_OR_SKIP(table, GetParam());
  std::mt19937 rng(2);
  for (int64_t n : kLengths) {
    const std::vector<float> x = random_floats(n, rng), y0 = random_floats(n + 3, rng);
    const float alpha = 0.37f;
    std::vector<float> y = y0;
    table->axpy_f32(alpha, x.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const double want = double(y0[i]) + double(alpha) * x[i];
      EXPECT_NEAR(y[i], want, kAxpyTolerance * (std::fabs(y0[i]) + std::fabs(alpha * x[i]))) << "n=" << n << " i=" << i;
    }
    for (int64_t i = n; i < n + 3; ++i) EXPECT_EQ(y[i], y0[i]) << "wrote past n=" << n;
  }
}

// Every one of the 65536 encodings converts exactly (NaNs to some NaN of the same sign).
void expect_exact_rows(void (*convert)(const uint16_t*, float*, int64_t), float (*scalar)(uint16_t), const char* what) {
  std::vector<uint16_t> all(65536);
  for (int i = 0; i < 65536; ++i) all[i] = uint16_t(i);
  std::vector<float> out(65536 + 1, kNoValue);
  convert(all.data(), out.data(), 65536);
  for (int i = 0; i < 65536; ++i) {
    const float want = scalar(uint16_t(i));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(out[i]) && std::signbit(out[i]) == std::signbit(want)) << what << " " << i;
    } else {
      EXPECT_EQ(f32_to_bits(out[i]), f32_to_bits(want)) << what << " 0x" << std::hex << i;
    }
  }
  EXPECT_EQ(out[65536], kNoValue);
  // Short rows at every alignment: the tails, and nothing written past n.
  for (int64_t n = 1; n <= 40; ++n) {
    for (int64_t offset = 0; offset < 3; ++offset) {
      std::vector<float> dst(n + 1, kNoValue);
      convert(all.data() + 15360 + offset, dst.data(), n);  // 15360 = f16 1.0, bf16 ~2^-55
      for (int64_t i = 0; i < n; ++i) EXPECT_EQ(dst[i], scalar(uint16_t(15360 + offset + i))) << what;
      EXPECT_EQ(dst[n], kNoValue) << what << " wrote past n=" << n;
    }
  }
}

TEST_P(VectorOpsTest, RowToF32IsExact) {
  GREENLLM_TABLE_OR_SKIP(table, GetParam());
  expect_exact_rows(table->row_to_f32_f16, f16_to_f32, "f16");
  expect_exact_rows(table->row_to_f32_bf16, bf16_to_f32, "bf16");
}

INSTANTIATE_TEST_SUITE_P(AllIsas, VectorOpsTest, ::testing::ValuesIn(kAllIsas), isa_param_name);

}  // namespace
}  // namespace greenllm::kernels::test
