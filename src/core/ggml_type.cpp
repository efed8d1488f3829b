// Block geometry of every ggml tensor type (values from ggml's type traits table).
#include "core/ggml_type.h"

#include <array>
#include <cassert>
#include <cstdint>

namespace greenllm {
namespace {

constexpr std::array<GgmlTypeTraits, 32> kTraits = {{
    {GgmlType::F32, "f32", 1, 4, true},
    {GgmlType::F16, "f16", 1, 2, true},
    {GgmlType::Q4_0, "q4_0", 32, 18, false},
    {GgmlType::Q4_1, "q4_1", 32, 20, false},
    {GgmlType::Q5_0, "q5_0", 32, 22, false},
    {GgmlType::Q5_1, "q5_1", 32, 24, false},
    {GgmlType::Q8_0, "q8_0", 32, 34, false},
    {GgmlType::Q8_1, "q8_1", 32, 36, false},
    {GgmlType::Q2_K, "q2_k", 256, 84, false},
    {GgmlType::Q3_K, "q3_k", 256, 110, false},
    {GgmlType::Q4_K, "q4_k", 256, 144, false},
    {GgmlType::Q5_K, "q5_k", 256, 176, false},
    {GgmlType::Q6_K, "q6_k", 256, 210, false},
    {GgmlType::Q8_K, "q8_k", 256, 292, false},
    {GgmlType::IQ2_XXS, "iq2_xxs", 256, 66, false},
    {GgmlType::IQ2_XS, "iq2_xs", 256, 74, false},
    {GgmlType::IQ3_XXS, "iq3_xxs", 256, 98, false},
    {GgmlType::IQ1_S, "iq1_s", 256, 50, false},
    {GgmlType::IQ4_NL, "iq4_nl", 32, 18, false},
    {GgmlType::IQ3_S, "iq3_s", 256, 110, false},
    {GgmlType::IQ2_S, "iq2_s", 256, 82, false},
    {GgmlType::IQ4_XS, "iq4_xs", 256, 136, false},
    {GgmlType::I8, "i8", 1, 1, false},
    {GgmlType::I16, "i16", 1, 2, false},
    {GgmlType::I32, "i32", 1, 4, false},
    {GgmlType::I64, "i64", 1, 8, false},
    {GgmlType::F64, "f64", 1, 8, false},
    {GgmlType::IQ1_M, "iq1_m", 256, 56, false},
    {GgmlType::BF16, "bf16", 1, 2, true},
    {GgmlType::TQ1_0, "tq1_0", 256, 54, false},
    {GgmlType::TQ2_0, "tq2_0", 256, 66, false},
    {GgmlType::MXFP4, "mxfp4", 32, 17, false},
}};

}  // namespace

std::optional<GgmlTypeTraits> ggml_type_traits(uint32_t id) {
  for (const auto& t : kTraits)
    if (uint32_t(t.type) == id) return t;
  return std::nullopt;
}

const GgmlTypeTraits& ggml_type_traits(GgmlType type) {
  for (const auto& t : kTraits)
    if (t.type == type) return t;
  assert(false && "GgmlType value outside the table");
  return kTraits[0];
}

std::string_view ggml_type_name(GgmlType type) { return ggml_type_traits(type).name; }

std::optional<GgmlType> ggml_type_from_name(std::string_view name) {
  for (const auto& t : kTraits)
    if (name == t.name) return t.type;
  return std::nullopt;
}

std::optional<uint64_t> ggml_row_bytes(GgmlType type, uint64_t n_elems) {
  const auto& t = ggml_type_traits(type);
  if (n_elems % t.block_elems != 0) return std::nullopt;
  const uint64_t n_blocks = n_elems / t.block_elems;
  if (n_blocks > UINT64_MAX / t.block_bytes) return std::nullopt;  // would wrap around
  return n_blocks * t.block_bytes;
}

}  // namespace greenllm
