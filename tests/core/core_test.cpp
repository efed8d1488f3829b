// Core utilities: half/bfloat16 conversions against IEEE 754 facts, type table, thread pool.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>

#include "core/fp16.h"
#include "core/ggml_type.h"
#include "core/text_util.h"
#include "core/thread_pool.h"

namespace greenllm {
namespace {

TEST(Fp16, KnownBitPatterns) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(f32_to_f16(-2.0f), 0xc000);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7bff);          // largest half
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);          // rounds up to infinity
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);  // tie to even (0)
  EXPECT_EQ(f32_to_f16(std::ldexp(3.0f, -25)), 0x0002);  // 1.5 ulp -> 2 (even)
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // tie -> even
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(3.0f, -11)), 0x3c02);  // tie -> even (up)
  EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(f16_to_f32(0x7c00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST(Fp16, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = f16_to_f32(uint16_t(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(f32_to_f16(f), h) << std::hex << h;
  }
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(f32_to_bf16(bits_to_f32(0x3f808000u)), 0x3f80);  // tie -> even
  EXPECT_EQ(f32_to_bf16(bits_to_f32(0x3f818000u)), 0x3f82);  // tie -> even (up)
  EXPECT_EQ(f32_to_bf16(bits_to_f32(0x3f808001u)), 0x3f81);
}

TEST(GgmlType, BlockGeometryOfKnownTypes) {
  EXPECT_EQ(ggml_type_traits(GgmlType::Q4_K).block_bytes, 144u);
  EXPECT_EQ(ggml_type_traits(GgmlType::Q6_K).block_bytes, 210u);
  EXPECT_EQ(ggml_type_traits(GgmlType::Q8_0).block_bytes, 34u);
  EXPECT_EQ(*ggml_row_bytes(GgmlType::Q4_0, 64), 36u);
  EXPECT_FALSE(ggml_row_bytes(GgmlType::Q4_K, 64).has_value());
  EXPECT_FALSE(ggml_type_traits(4).has_value());  // retired id
  EXPECT_EQ(ggml_type_from_name("bf16"), GgmlType::BF16);
}

TEST(ThreadPool, RunsEveryThreadOnceAndSplitsCoverRange) {
  for (int n : {1, 2, 3, 5}) {
    ThreadPool pool(n);
    for (int rep = 0; rep < 200; ++rep) {
      std::atomic<int> mask{0};
      pool.run([&](int ith, int nth) {
        EXPECT_EQ(nth, n);
        mask.fetch_or(1 << ith);
      });
      ASSERT_EQ(mask.load(), (1 << n) - 1);
    }
    for (int64_t total : {0, 1, 15, 16, 17, 1000}) {
      int64_t covered = 0, prev_end = 0;
      for (int i = 0; i < n; ++i) {
        int64_t b, e;
        ThreadPool::split(total, i, n, 16, &b, &e);
        EXPECT_EQ(b, prev_end);
        EXPECT_TRUE(b % 16 == 0 || b == total);
        covered += e - b;
        prev_end = e;
      }
      EXPECT_EQ(covered, total);
    }
  }
}

}  // namespace
}  // namespace greenllm

namespace greenllm {
namespace {

TEST(TextUtil, PrintableEscapesAndCuts) {
  EXPECT_EQ(printable(std::string("a\nb\x7f", 4)), "a\\x0ab\\x7f");
  EXPECT_EQ(printable(std::string(100, 'x'), 10), std::string(10, 'x') + "...");
  EXPECT_EQ(shape_to_string({4096, 32000}), "[4096, 32000]");
  EXPECT_EQ(shape_to_string({}), "[]");
}

}  // namespace
}  // namespace greenllm
