// Scalar IEEE half (F16) and bfloat16 (BF16) conversions, exact and portable (no F16C needed).
// F16 -> F32 is exact; F32 -> F16/BF16 rounds to nearest even, as ggml does.
#pragma once

#include <cstdint>
#include <cstring>

namespace greenllm {

inline float bits_to_f32(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline uint32_t f32_to_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  if (exp == 0x1f) return bits_to_f32(sign | 0x7f800000u | (mant << 13));  // inf / nan
  if (exp == 0) {
    // zero or subnormal: value = mant * 2^-24
    const float v = float(mant) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  return bits_to_f32(sign | ((exp + 112) << 23) | (mant << 13));
}

inline uint16_t f32_to_f16(float f) {
  const uint32_t x = f32_to_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return uint16_t(sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 : 0));  // inf/nan
  if (abs >= 0x477ff000u) return uint16_t(sign | 0x7c00);  // rounds to >= 65520: overflow to inf
  if (abs < 0x38800000u) {
    // result is subnormal or zero: round abs / 2^-24 to an integer, ties to even
    const float scaled = bits_to_f32(abs) * 16777216.0f;  // exact (power of two)
    uint32_t m = uint32_t(scaled);
    const float frac = scaled - float(m);
    if (frac > 0.5f || (frac == 0.5f && (m & 1))) ++m;
    return uint16_t(sign | m);
  }
  // normal: drop 13 mantissa bits with round-to-nearest-even
  const uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1);
  return uint16_t(sign | ((rounded - (112u << 23)) >> 13));
}

inline float bf16_to_f32(uint16_t b) { return bits_to_f32(uint32_t(b) << 16); }

inline uint16_t f32_to_bf16(float f) {
  const uint32_t x = f32_to_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 64);  // quiet nan
  return uint16_t((x + 0x7fffu + ((x >> 16) & 1)) >> 16);
}

}  // namespace greenllm
