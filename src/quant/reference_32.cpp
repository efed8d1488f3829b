// Reference quantize/dequantize of the 32-element block formats Q8_0, Q4_0, Q4_1, Q5_0, Q5_1,
// with ggml's rounding rules (see each function) so the bytes equal ggml's *_ref output.
#include <algorithm>
#include <cassert>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "quant/reference.h"

namespace greenllm::quant {
namespace {

// The element of largest magnitude, sign kept (the first one on ties), as ggml picks it.
float signed_absmax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

void min_max(const float* x, int n, float* min, float* max) {
  *min = FLT_MAX;
  *max = -FLT_MAX;
  for (int j = 0; j < n; ++j) {
    if (x[j] < *min) *min = x[j];
    if (x[j] > *max) *max = x[j];
  }
}

}  // namespace

// Q8_0: d = absmax/127 (f32, then stored as f16); q = round-half-away(x / d) computed with the f32 d.
void quantize_row_q8_0(const float* x, BlockQ8_0* y, int64_t k) {
  assert(k % kQK == 0);
  for (int64_t i = 0; i < k / kQK; ++i, x += kQK) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_f16(d);
    for (int j = 0; j < kQK; ++j) y[i].qs[j] = int8_t(std::round(x[j] * id));
  }
}

// Q4_0: d = -max/8 where max is the signed absmax (so max maps to q = 0); q = trunc(x/d + 8.5), <= 15.
void quantize_row_q4_0(const float* x, BlockQ4_0* y, int64_t k) {
  assert(k % kQK == 0);
  for (int64_t i = 0; i < k / kQK; ++i, x += kQK) {
    const float d = signed_absmax(x, kQK) / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_f16(d);
    for (int j = 0; j < kQK / 2; ++j) {
      const uint8_t q0 = uint8_t(std::min(15, int(int8_t(x[j] * id + 8.5f))));
      const uint8_t q1 = uint8_t(std::min(15, int(int8_t(x[j + kQK / 2] * id + 8.5f))));
      y[i].qs[j] = uint8_t(q0 | (q1 << 4));
    }
  }
}

// Q4_1: d = (max - min)/15, m = min; q = trunc((x - min)/d + 0.5), <= 15.
void quantize_row_q4_1(const float* x, BlockQ4_1* y, int64_t k) {
  assert(k % kQK == 0);
  for (int64_t i = 0; i < k / kQK; ++i, x += kQK) {
    float min, max;
    min_max(x, kQK, &min, &max);
    const float d = (max - min) / 15;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_f16(d);
    y[i].m = f32_to_f16(min);
    for (int j = 0; j < kQK / 2; ++j) {
      const uint8_t q0 = uint8_t(std::min(15, int(int8_t((x[j] - min) * id + 0.5f))));
      const uint8_t q1 = uint8_t(std::min(15, int(int8_t((x[j + kQK / 2] - min) * id + 0.5f))));
      y[i].qs[j] = uint8_t(q0 | (q1 << 4));
    }
  }
}

namespace {
void pack_q5(const uint8_t* q, uint8_t* qs, uint8_t* qh_bytes) {
  uint32_t qh = 0;
  for (int j = 0; j < kQK / 2; ++j) {
    qs[j] = uint8_t((q[j] & 0x0F) | ((q[j + kQK / 2] & 0x0F) << 4));
    qh |= uint32_t((q[j] >> 4) & 1) << j;
    qh |= uint32_t((q[j + kQK / 2] >> 4) & 1) << (j + kQK / 2);
  }
  const uint8_t le[4] = {uint8_t(qh), uint8_t(qh >> 8), uint8_t(qh >> 16), uint8_t(qh >> 24)};
  std::memcpy(qh_bytes, le, 4);
}
uint32_t read_qh(const uint8_t* b) {
  return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}
}  // namespace

// Q5_0: d = -max/16 (signed absmax); q = trunc(x/d + 16.5), <= 31.
void quantize_row_q5_0(const float* x, BlockQ5_0* y, int64_t k) {
  assert(k % kQK == 0);
  for (int64_t i = 0; i < k / kQK; ++i, x += kQK) {
    const float d = signed_absmax(x, kQK) / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_f16(d);
    uint8_t q[kQK];
    for (int j = 0; j < kQK; ++j) q[j] = uint8_t(std::min(31, int(int8_t(x[j] * id + 16.5f))));
    pack_q5(q, y[i].qs, y[i].qh);
  }
}

// Q5_1: d = (max - min)/31, m = min; q = trunc((x - min)/d + 0.5) (no clamp, as in ggml).
void quantize_row_q5_1(const float* x, BlockQ5_1* y, int64_t k) {
  assert(k % kQK == 0);
  for (int64_t i = 0; i < k / kQK; ++i, x += kQK) {
    float min, max;
    min_max(x, kQK, &min, &max);
    const float d = (max - min) / 31;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = f32_to_f16(d);
    y[i].m = f32_to_f16(min);
    uint8_t q[kQK];
    for (int j = 0; j < kQK; ++j) q[j] = uint8_t((x[j] - min) * id + 0.5f);
    pack_q5(q, y[i].qs, y[i].qh);
  }
}

void dequantize_row_q8_0(const BlockQ8_0* x, float* y, int64_t k) {
  assert(k % kQK == 0);
  for (int64_t i = 0; i < k / kQK; ++i, y += kQK) {
    const float d = f16_to_f32(x[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = x[i].qs[j] * d;
  }
}

void dequantize_row_q4_0(const BlockQ4_0* x, float* y, int64_t k) {
  assert(k % kQK == 0);
  for (int64_t i = 0; i < k / kQK; ++i, y += kQK) {
    const float d = f16_to_f32(x[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = ((x[i].qs[j] & 0x0F) - 8) * d;
      y[j + kQK / 2] = ((x[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_row_q4_1(const BlockQ4_1* x, float* y, int64_t k) {
  assert(k % kQK == 0);
  for (int64_t i = 0; i < k / kQK; ++i, y += kQK) {
    const float d = f16_to_f32(x[i].d), m = f16_to_f32(x[i].m);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = (x[i].qs[j] & 0x0F) * d + m;
      y[j + kQK / 2] = (x[i].qs[j] >> 4) * d + m;
    }
  }
}

void dequantize_row_q5_0(const BlockQ5_0* x, float* y, int64_t k) {
  assert(k % kQK == 0);
  for (int64_t i = 0; i < k / kQK; ++i, y += kQK) {
    const float d = f16_to_f32(x[i].d);
    const uint32_t qh = read_qh(x[i].qh);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = (x[i].qs[j] & 0x0F) | int((qh >> j) & 1) << 4;
      const int q1 = (x[i].qs[j] >> 4) | int((qh >> (j + kQK / 2)) & 1) << 4;
      y[j] = (q0 - 16) * d;
      y[j + kQK / 2] = (q1 - 16) * d;
    }
  }
}

void dequantize_row_q5_1(const BlockQ5_1* x, float* y, int64_t k) {
  assert(k % kQK == 0);
  for (int64_t i = 0; i < k / kQK; ++i, y += kQK) {
    const float d = f16_to_f32(x[i].d), m = f16_to_f32(x[i].m);
    const uint32_t qh = read_qh(x[i].qh);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = (x[i].qs[j] & 0x0F) | int((qh >> j) & 1) << 4;
      const int q1 = (x[i].qs[j] >> 4) | int((qh >> (j + kQK / 2)) & 1) << 4;
      y[j] = q0 * d + m;
      y[j + kQK / 2] = q1 * d + m;
    }
  }
}

}  // namespace greenllm::quant
