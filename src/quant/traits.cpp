// The traits table of the block formats: geometry and the reference functions, one row per type.
#include <array>

#include "quant/reference.h"

namespace greenllm::quant {
namespace {

template <typename Block, void (*Q)(const float*, Block*, int64_t), void (*D)(const Block*, float*, int64_t)>
constexpr QuantTraits row(GgmlType type, const char* name, uint32_t elems) {
  return {type,
          name,
          elems,
          uint32_t(sizeof(Block)),
          [](const float* x, void* y, int64_t k) { Q(x, static_cast<Block*>(y), k); },
          [](const void* x, float* y, int64_t k) { D(static_cast<const Block*>(x), y, k); }};
}

constexpr std::array kTable = {
    row<BlockQ8_0, quantize_row_q8_0, dequantize_row_q8_0>(GgmlType::Q8_0, "q8_0", kQK),
    row<BlockQ4_0, quantize_row_q4_0, dequantize_row_q4_0>(GgmlType::Q4_0, "q4_0", kQK),
    row<BlockQ4_1, quantize_row_q4_1, dequantize_row_q4_1>(GgmlType::Q4_1, "q4_1", kQK),
    row<BlockQ5_0, quantize_row_q5_0, dequantize_row_q5_0>(GgmlType::Q5_0, "q5_0", kQK),
    row<BlockQ5_1, quantize_row_q5_1, dequantize_row_q5_1>(GgmlType::Q5_1, "q5_1", kQK),
    row<BlockQ8_K, quantize_row_q8_k, dequantize_row_q8_k>(GgmlType::Q8_K, "q8_K", kQK_K),
    row<BlockQ6_K, quantize_row_q6_k, dequantize_row_q6_k>(GgmlType::Q6_K, "q6_K", kQK_K),
    row<BlockQ5_K, quantize_row_q5_k, dequantize_row_q5_k>(GgmlType::Q5_K, "q5_K", kQK_K),
    row<BlockQ4_K, quantize_row_q4_k, dequantize_row_q4_k>(GgmlType::Q4_K, "q4_K", kQK_K),
};

}  // namespace

std::span<const QuantTraits> quant_traits_table() { return kTable; }

const QuantTraits* quant_traits(GgmlType type) {
  for (const QuantTraits& t : kTable)
    if (t.type == type) return &t;
  return nullptr;
}

}  // namespace greenllm::quant
