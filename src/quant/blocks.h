// The packed block structs of ggml's 32-element and 256-element (K) quantized formats, byte for byte
// as GGUF stores them (little-endian). `d`/`dmin`/`m` hold IEEE half bits unless noted.
#pragma once

#include <cstdint>

#include "core/ggml_type.h"

namespace greenllm::quant {

inline constexpr int kQK = 32;                 // elements per block of the _0/_1 formats
inline constexpr int kQK_K = 256;              // elements per super-block of the K formats
inline constexpr float kGroupMaxEps = 1e-15f;  // below this |max| a K (sub-)block is treated as all zero

// Q8_0: x[j] = d * qs[j], j = 0..31.  bytes 0-1 d (f16) | 2-33 qs (int8).
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK];
};

// Q4_0: x[j] = d * (q[j] - 8), q unsigned 4-bit.  bytes 0-1 d (f16) | 2-17 qs:
// byte 2+i holds q[i] in its low nibble and q[i+16] in its high nibble (i = 0..15).
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK / 2];
};

// Q4_1: x[j] = d * q[j] + m.  bytes 0-1 d (f16) | 2-3 m (f16) | 4-19 qs, nibbles as in Q4_0.
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQK / 2];
};

// Q5_0: x[j] = d * (q[j] - 16), q unsigned 5-bit.  bytes 0-1 d (f16) | 2-5 qh | 6-21 qs.
// Low 4 bits of q as the nibbles of Q4_0; bit 4 of q[j] is bit j of qh read as a little-endian uint32.
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};

// Q5_1: x[j] = d * q[j] + m.  bytes 0-1 d (f16) | 2-3 m (f16) | 4-7 qh | 8-23 qs, bits as in Q5_0.
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};

// Q8_K (activation format for the K dot products): x[j] = d * qs[j], j = 0..255.
// bytes 0-3 d (f32) | 4-259 qs (int8) | 260-291 bsums: 16 int16 sums of qs over each 16 elements.
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};

// Q6_K: 16 sub-blocks of 16; x[j] = d * scales[j/16] * (q[j] - 32), q unsigned 6-bit, scales int8.
// bytes 0-127 ql | 128-191 qh | 192-207 scales (int8) | 208-209 d (f16).
// Each half h (elements 128h..128h+127, ql+64h, qh+32h), l = 0..31:
//   q[128h+l]    = ql[l]    & 0xF | ((qh[l] >> 0) & 3) << 4
//   q[128h+l+32] = ql[l+32] & 0xF | ((qh[l] >> 2) & 3) << 4
//   q[128h+l+64] = ql[l]    >> 4  | ((qh[l] >> 4) & 3) << 4
//   q[128h+l+96] = ql[l+32] >> 4  | ((qh[l] >> 6) & 3) << 4
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};

// Q4_K / Q5_K share the scales layout: 8 sub-blocks of 32, each with a 6-bit scale sc[s] and 6-bit
// min m[s]; x = d*sc[s] * q - dmin*m[s]. The 12 scale bytes: for s < 4, sc[s] = b[s] & 63 and
// m[s] = b[s+4] & 63; for s >= 4, sc[s] = (b[s+4] & 0xF) | (b[s-4] >> 6) << 4 and
// m[s] = (b[s+4] >> 4) | (b[s] >> 6) << 4.
inline constexpr int kKScaleBytes = 12;

// Q4_K: bytes 0-1 d (f16) | 2-3 dmin (f16) | 4-15 scales | 16-143 qs.
// Chunk c = 0..3 (64 elements, qs + 32c): q[64c+l] = qs[l] & 0xF, q[64c+32+l] = qs[l] >> 4;
// sub-block 2c covers the low nibbles and 2c+1 the high ones.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQK_K / 2];
};

// Q5_K: bytes 0-1 d (f16) | 2-3 dmin (f16) | 4-15 scales | 16-47 qh | 48-175 qs.
// Low 4 bits as Q4_K; bit 4 of q[64c+l] is bit 2c of qh[l], of q[64c+32+l] bit 2c+1 of qh[l].
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};

static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_K) == 292 && sizeof(BlockQ6_K) == 210 && sizeof(BlockQ5_K) == 176 &&
              sizeof(BlockQ4_K) == 144);

}  // namespace greenllm::quant
