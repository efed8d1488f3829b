// The compute kernels behind one table, one implementation per ISA (reference scalar, AVX2, AVX-512),
// chosen once at start-up from cpuid; GREENLLM_ISA=reference|avx2|avx512 forces one (never beyond
// what the CPU supports). The reference tier defines the results; the others are tested against it.
#pragma once

#include <cstdint>

#include "core/ggml_type.h"

namespace greenllm {
class ThreadPool;
}

namespace greenllm::kernels {

enum class Isa { REFERENCE, AVX2, AVX512 };

// Y (n_tok, n_out) = X (n_tok, n_in) @ W (n_out, n_in)^T, restricted to output rows [row_begin, row_end)
// of W (columns of Y). W rows are contiguous, `n_in` elements each, in the type of the function's slot.
// Every Y element is one dot product, W row · X row, whose summation order does not depend on n_tok,
// on the row range or on the thread count: results are batch-invariant (decode equals prefill).
struct MatmulArgs {
  const void* w;       // (n_out, n_in) row-major
  int64_t n_in;
  int64_t n_out;
  const float* x;      // (n_tok, n_in), row stride ldx floats
  int64_t ldx;
  float* y;            // (n_tok, n_out), row stride ldy floats
  int64_t ldy;
  int64_t n_tok;
};
using MatmulFn = void (*)(const MatmulArgs& args, int64_t row_begin, int64_t row_end);

struct KernelTable {
  Isa isa;
  const char* name;  // "reference", "avx2", "avx512"
  MatmulFn matmul_f32;
  MatmulFn matmul_f16;
  MatmulFn matmul_bf16;
  // sum_i a[i] * b[i]
  float (*dot_f32)(const float* a, const float* b, int64_t n);
  // y[i] += alpha * x[i]
  void (*axpy_f32)(float alpha, const float* x, float* y, int64_t n);
  // dst[i] = float(src[i]) for one row of a weight tensor of type F32/F16/BF16
  void (*row_to_f32_f16)(const uint16_t* src, float* dst, int64_t n);
  void (*row_to_f32_bf16)(const uint16_t* src, float* dst, int64_t n);
};

// The tables each ISA translation unit defines (nullptr-free; only call one the CPU supports).
const KernelTable& reference_kernels();
const KernelTable& avx2_kernels();
const KernelTable& avx512_kernels();

// The selected table: the best the CPU supports, or GREENLLM_ISA if set (an unknown or unsupported
// value falls back to the best supported, with a warning on stderr).
const KernelTable& active();
const char* isa_name(Isa isa);

// What select() decided for a GREENLLM_ISA value.
struct Selection {
  const KernelTable* table = nullptr;  // never nullptr
  bool requested_known = false;        // the request named an ISA greenllm has
  bool fell_back = false;              // a request was made but could not be honoured
};

// Whether this CPU can run an ISA's table; the table if so, else nullptr.
bool isa_supported(Isa isa);
const KernelTable* table_for(Isa isa);

// The table active() picks for a GREENLLM_ISA value (nullptr or "" = the best supported), without
// reading the environment, logging or caching: active() is select(getenv("GREENLLM_ISA")), once.
Selection select(const char* isa_request);

// The matmul slot for a weight type, or nullptr if the type has no kernel (quantized types, for now).
MatmulFn matmul_for(const KernelTable& table, GgmlType type);

// Multithreaded Y = X @ W^T over the pool: rows of W are split across threads in blocks of 16.
void matmul(const KernelTable& table, GgmlType w_type, const MatmulArgs& args, ThreadPool& pool);

}  // namespace greenllm::kernels
