// Shared by the kernel tests: the ISA tiers to check, and random operands of each weight type.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "core/ggml_type.h"
#include "kernels/kernels.h"

namespace greenllm::kernels {
// So that parameterized tests print "avx512", not the enum's bytes.
inline void PrintTo(Isa isa, std::ostream* os) { *os << isa_name(isa); }
}  // namespace greenllm::kernels

namespace greenllm::kernels::test {

inline const Isa kAllIsas[] = {Isa::REFERENCE, Isa::AVX2, Isa::AVX512};
inline const Isa kOptimizedIsas[] = {Isa::AVX2, Isa::AVX512};
inline const GgmlType kWeightTypes[] = {GgmlType::F32, GgmlType::F16, GgmlType::BF16};

inline std::string isa_param_name(const ::testing::TestParamInfo<Isa>& info) { return isa_name(info.param); }

// The table of an ISA, or skips the test when this CPU cannot run it.
#define GREENLLM_TABLE_OR_SKIP(var, isa)                                             \
  const ::greenllm::kernels::KernelTable* var = ::greenllm::kernels::table_for(isa); \
  if (var == nullptr) GTEST_SKIP() << isa_name(isa) << " is not supported by this CPU"

// A weight matrix in one of the float types, with its exact values as floats (what the kernels
// must multiply by).
struct Weights {
  GgmlType type;
  std::vector<float> f32;     // storage when type == F32
  std::vector<uint16_t> u16;  // storage when type == F16 / BF16
  std::vector<float> values;  // the exact value of every element
  const void* data() const { return type == GgmlType::F32 ? static_cast<const void*>(f32.data()) : u16.data(); }
};

// n elements uniform in [-1, 1]; for F16 one element in 16 is a subnormal, so conversions are exact
// there too.
inline Weights random_weights(GgmlType type, int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Weights w;
  w.type = type;
  w.values.resize(n);
  if (type == GgmlType::F32)
    w.f32.resize(n);
  else
    w.u16.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    const float v = dist(rng);
    switch (type) {
      case GgmlType::F32:
        w.f32[i] = v;
        w.values[i] = v;
        break;
      case GgmlType::F16: {
        uint16_t h = f32_to_f16(v);
        if (rng() % 16 == 0) h = uint16_t((h & 0x8000) | (rng() % 0x400));  // subnormal or zero
        w.u16[i] = h;
        w.values[i] = f16_to_f32(h);
        break;
      }
      default:
        w.u16[i] = f32_to_bf16(v);
        w.values[i] = bf16_to_f32(w.u16[i]);
        break;
    }
  }
  return w;
}

inline std::vector<float> random_floats(int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

}  // namespace greenllm::kernels::test
