// Hand-built blocks with known bytes decode to the values the format definitions give (written here
// from the layouts in src/quant/blocks.h, not from the quantizers), and the traits table agrees with
// ggml's type geometry.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/fp16.h"
#include "quant/reference.h"

namespace greenllm::quant {
namespace {

constexpr uint16_t kHalf = 0x3800;      // 0.5 as f16
constexpr uint16_t kQuarter = 0x3400;   // 0.25
constexpr uint16_t kOne = 0x3C00;       // 1.0
constexpr uint16_t kMinusOne = 0xBC00;  // -1.0
constexpr uint16_t kTwo = 0x4000;       // 2.0

TEST(QuantFormat, TraitsTableMatchesGgmlGeometry) {
  const GgmlType types[] = {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                            GgmlType::Q8_K, GgmlType::Q6_K, GgmlType::Q5_K, GgmlType::Q4_K};
  EXPECT_EQ(quant_traits_table().size(), std::size(types));
  for (GgmlType t : types) {
    const QuantTraits* q = quant_traits(t);
    ASSERT_NE(q, nullptr) << ggml_type_name(t);
    const GgmlTypeTraits& g = ggml_type_traits(t);
    EXPECT_EQ(q->block_elems, g.block_elems) << g.name;
    EXPECT_EQ(q->block_bytes, g.block_bytes) << g.name;
    EXPECT_NE(q->quantize_row, nullptr);
    EXPECT_NE(q->dequantize_row, nullptr);
  }
  EXPECT_EQ(quant_traits(GgmlType::F32), nullptr);
  EXPECT_EQ(quant_traits(GgmlType::Q2_K), nullptr);
}

// Decodes one block given as raw bytes through the traits table.
std::vector<float> decode(GgmlType type, const std::vector<uint8_t>& bytes) {
  const QuantTraits* t = quant_traits(type);
  EXPECT_EQ(bytes.size(), t->block_bytes);
  std::vector<float> y(t->block_elems);
  t->dequantize_row(bytes.data(), y.data(), t->block_elems);
  return y;
}

void put_u16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = uint8_t(v);
  b[at + 1] = uint8_t(v >> 8);
}

TEST(QuantFormat, Q8_0Decodes) {
  std::vector<uint8_t> b(34);
  put_u16(b, 0, kQuarter);
  for (int j = 0; j < 32; ++j) b[2 + j] = uint8_t(int8_t(j * 8 - 128));  // -128 .. 120
  const auto y = decode(GgmlType::Q8_0, b);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], (j * 8 - 128) * 0.25f) << j;
}

TEST(QuantFormat, Q4_0Decodes) {
  std::vector<uint8_t> b(18);
  put_u16(b, 0, kHalf);
  // element i (i < 16) = low nibble of byte 2+i, element i+16 = its high nibble
  for (int i = 0; i < 16; ++i) b[2 + i] = uint8_t(i | ((15 - i) << 4));
  const auto y = decode(GgmlType::Q4_0, b);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(y[i], (i - 8) * 0.5f) << i;
    EXPECT_EQ(y[i + 16], (15 - i - 8) * 0.5f) << i;
  }
}

TEST(QuantFormat, Q4_1Decodes) {
  std::vector<uint8_t> b(20);
  put_u16(b, 0, kHalf);
  put_u16(b, 2, kMinusOne);
  for (int i = 0; i < 16; ++i) b[4 + i] = uint8_t(i | ((15 - i) << 4));
  const auto y = decode(GgmlType::Q4_1, b);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(y[i], i * 0.5f - 1.0f) << i;
    EXPECT_EQ(y[i + 16], (15 - i) * 0.5f - 1.0f) << i;
  }
}

TEST(QuantFormat, Q5_0Decodes) {
  // q[j] = j: the 5th bit is set for j >= 16, i.e. qh = 0xFFFF0000 (little-endian bytes 00 00 ff ff)
  std::vector<uint8_t> b(22);
  put_u16(b, 0, kOne);
  b[2] = 0x00, b[3] = 0x00, b[4] = 0xff, b[5] = 0xff;
  for (int i = 0; i < 16; ++i) b[6 + i] = uint8_t((i & 15) | (((i + 16) & 15) << 4));
  const auto y = decode(GgmlType::Q5_0, b);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], float(j - 16)) << j;
}

TEST(QuantFormat, Q5_1Decodes) {
  // q[j] = 31 - j: 5th bit set for j < 16: qh = 0x0000FFFF
  std::vector<uint8_t> b(24);
  put_u16(b, 0, kHalf);
  put_u16(b, 2, kTwo);
  b[4] = 0xff, b[5] = 0xff, b[6] = 0x00, b[7] = 0x00;
  for (int i = 0; i < 16; ++i) b[8 + i] = uint8_t(((31 - i) & 15) | (((31 - i - 16) & 15) << 4));
  const auto y = decode(GgmlType::Q5_1, b);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], (31 - j) * 0.5f + 2.0f) << j;
}

TEST(QuantFormat, Q8_KDecodes) {
  std::vector<uint8_t> b(292);
  const float d = 0.125f;
  std::memcpy(b.data(), &d, 4);
  for (int j = 0; j < 256; ++j) b[4 + j] = uint8_t(int8_t(j - 128));
  const auto y = decode(GgmlType::Q8_K, b);
  for (int j = 0; j < 256; ++j) EXPECT_EQ(y[j], (j - 128) * 0.125f) << j;
}

// q[j] in 0..63 and int8 scales per 16 elements packed as the header's Q6_K layout describes.
TEST(QuantFormat, Q6_KDecodes) {
  int q[256];
  int8_t sc[16];
  for (int j = 0; j < 256; ++j) q[j] = (j * 37 + 5) % 64;
  for (int s = 0; s < 16; ++s) sc[s] = int8_t(s * 9 - 70);  // -70 .. 65, both signs
  std::vector<uint8_t> b(210, 0);
  for (int h = 0; h < 2; ++h) {
    for (int l = 0; l < 32; ++l) {
      const int* p = q + 128 * h;
      b[64 * h + l] = uint8_t((p[l] & 15) | (p[l + 64] & 15) << 4);
      b[64 * h + l + 32] = uint8_t((p[l + 32] & 15) | (p[l + 96] & 15) << 4);
      b[128 + 32 * h + l] =
          uint8_t((p[l] >> 4) | (p[l + 32] >> 4) << 2 | (p[l + 64] >> 4) << 4 | (p[l + 96] >> 4) << 6);
    }
  }
  for (int s = 0; s < 16; ++s) b[192 + s] = uint8_t(sc[s]);
  put_u16(b, 208, kQuarter);
  const auto y = decode(GgmlType::Q6_K, b);
  for (int j = 0; j < 256; ++j) EXPECT_EQ(y[j], 0.25f * sc[j / 16] * (q[j] - 32)) << j;
}

// The 12 scale bytes of Q4_K/Q5_K for 6-bit sc[8], m[8].
void pack_k_scales(const int* sc, const int* m, uint8_t* b) {
  for (int s = 0; s < 4; ++s) {
    b[s] = uint8_t((sc[s] & 63) | (sc[s + 4] >> 4) << 6);
    b[s + 4] = uint8_t((m[s] & 63) | (m[s + 4] >> 4) << 6);
    b[s + 8] = uint8_t((sc[s + 4] & 15) | (m[s + 4] & 15) << 4);
  }
}

TEST(QuantFormat, KScaleBytesByHand) {
  // sc = {1,2,3,4, 63,16,47,0}, m = {5,6,7,8, 33,0,63,15}: written out byte by byte
  const int sc[8] = {1, 2, 3, 4, 63, 16, 47, 0}, m[8] = {5, 6, 7, 8, 33, 0, 63, 15};
  uint8_t b[12];
  pack_k_scales(sc, m, b);
  const uint8_t expect[12] = {0xC1, 0x42, 0x83, 0x04, 0x85, 0x06, 0xC7, 0x08, 0x1F, 0x00, 0xFF, 0xF0};
  for (int i = 0; i < 12; ++i) EXPECT_EQ(b[i], expect[i]) << i;
}

TEST(QuantFormat, Q4_KDecodes) {
  const int sc[8] = {1, 20, 33, 63, 16, 47, 0, 9}, m[8] = {63, 5, 17, 32, 0, 48, 15, 2};
  int q[256];
  for (int j = 0; j < 256; ++j) q[j] = (j * 7 + 3) % 16;
  std::vector<uint8_t> b(144, 0);
  put_u16(b, 0, kHalf);
  put_u16(b, 2, kQuarter);
  pack_k_scales(sc, m, b.data() + 4);
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) b[16 + 32 * c + l] = uint8_t(q[64 * c + l] | q[64 * c + 32 + l] << 4);
  const auto y = decode(GgmlType::Q4_K, b);
  for (int j = 0; j < 256; ++j) EXPECT_EQ(y[j], 0.5f * sc[j / 32] * q[j] - 0.25f * m[j / 32]) << j;
}

TEST(QuantFormat, Q5_KDecodes) {
  const int sc[8] = {1, 20, 33, 63, 16, 47, 0, 9}, m[8] = {63, 5, 17, 32, 0, 48, 15, 2};
  int q[256];
  for (int j = 0; j < 256; ++j) q[j] = (j * 11 + 3) % 32;
  std::vector<uint8_t> b(176, 0);
  put_u16(b, 0, kHalf);
  put_u16(b, 2, kQuarter);
  pack_k_scales(sc, m, b.data() + 4);
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      const int lo = q[64 * c + l], hi = q[64 * c + 32 + l];
      b[48 + 32 * c + l] = uint8_t((lo & 15) | (hi & 15) << 4);
      b[16 + l] |= uint8_t((lo >> 4) << (2 * c) | (hi >> 4) << (2 * c + 1));
    }
  }
  const auto y = decode(GgmlType::Q5_K, b);
  for (int j = 0; j < 256; ++j) EXPECT_EQ(y[j], 0.5f * sc[j / 32] * q[j] - 0.25f * m[j / 32]) << j;
}

// Fixed inputs whose quantization is exact by construction: Q8_0 uses
// d = amax/127, so x = k * d with integer k in [-127, 127] and d a power of two gives exact bytes.
TEST(QuantFormat, Q8_0QuantizesExactMultiplesExactly) {
  float x[32];
  for (int j = 0; j < 32; ++j) x[j] = (j == 0 ? -127 : (j * 9) % 255 - 127) * 0.0625f;
  BlockQ8_0 b;
  quantize_row_q8_0(x, &b, 32);
  EXPECT_EQ(b.d, 0x2C00);  // 0.0625
  for (int j = 0; j < 32; ++j) EXPECT_EQ(b.qs[j], j == 0 ? -127 : (j * 9) % 255 - 127) << j;
}

TEST(QuantFormat, Q4_0MaxMagnitudeMapsToZeroNibble) {
  // ggml's Q4_0 puts the signed max at q = 0 (d = max / -8): here max = +4, so d = -0.5.
  float x[32] = {};
  x[5] = 4.0f;
  x[6] = -3.0f;
  x[20] = 1.0f;
  BlockQ4_0 b;
  quantize_row_q4_0(x, &b, 32);
  EXPECT_EQ(b.d, 0xB800);  // -0.5
  EXPECT_EQ(b.qs[5] & 15, 0);
  EXPECT_EQ(b.qs[6] & 15, 14);  // -3 / -0.5 + 8 = 14
  EXPECT_EQ(b.qs[4] >> 4, 6);   // element 20: 1 / -0.5 + 8 = 6
  EXPECT_EQ(b.qs[0] & 15, 8);   // zero
}

}  // namespace
}  // namespace greenllm::quant
