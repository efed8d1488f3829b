// Scalar reference quantize/dequantize of the block formats: the definition of each format,
// bit-compatible with ggml's *_ref functions (so plain llama-quantize output, no imatrix, is
// reproduced byte for byte), and the traits table. `k` is the element count, a multiple of the
// type's block size (a programmer error otherwise).
#pragma once

#include <cstdint>
#include <span>

#include "core/ggml_type.h"
#include "quant/blocks.h"

namespace greenllm::quant {

void quantize_row_q8_0(const float* x, BlockQ8_0* y, int64_t k);
void quantize_row_q4_0(const float* x, BlockQ4_0* y, int64_t k);
void quantize_row_q4_1(const float* x, BlockQ4_1* y, int64_t k);
void quantize_row_q5_0(const float* x, BlockQ5_0* y, int64_t k);
void quantize_row_q5_1(const float* x, BlockQ5_1* y, int64_t k);
void quantize_row_q8_k(const float* x, BlockQ8_K* y, int64_t k);
void quantize_row_q6_k(const float* x, BlockQ6_K* y, int64_t k);
void quantize_row_q5_k(const float* x, BlockQ5_K* y, int64_t k);
void quantize_row_q4_k(const float* x, BlockQ4_K* y, int64_t k);

void dequantize_row_q8_0(const BlockQ8_0* x, float* y, int64_t k);
void dequantize_row_q4_0(const BlockQ4_0* x, float* y, int64_t k);
void dequantize_row_q4_1(const BlockQ4_1* x, float* y, int64_t k);
void dequantize_row_q5_0(const BlockQ5_0* x, float* y, int64_t k);
void dequantize_row_q5_1(const BlockQ5_1* x, float* y, int64_t k);
void dequantize_row_q8_k(const BlockQ8_K* x, float* y, int64_t k);
void dequantize_row_q6_k(const BlockQ6_K* x, float* y, int64_t k);
void dequantize_row_q5_k(const BlockQ5_K* x, float* y, int64_t k);
void dequantize_row_q4_k(const BlockQ4_K* x, float* y, int64_t k);

using QuantizeRowFn = void (*)(const float* x, void* y, int64_t k);
using DequantizeRowFn = void (*)(const void* x, float* y, int64_t k);

struct QuantTraits {
  GgmlType type;
  const char* name;                // ggml's name, e.g. "q4_K"
  uint32_t block_elems;            // elements per block
  uint32_t block_bytes;            // bytes per block (== sizeof the block struct == ggml's)
  QuantizeRowFn quantize_row;      // reference quantizer
  DequantizeRowFn dequantize_row;  // reference dequantizer
};

// One row per block format greenllm implements.
std::span<const QuantTraits> quant_traits_table();
// The row of `type`, or nullptr when it is not a block format greenllm implements.
const QuantTraits* quant_traits(GgmlType type);

}  // namespace greenllm::quant
