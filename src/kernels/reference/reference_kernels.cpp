// The scalar reference tier: the definition of every kernel's result, written for clarity, never
// optimized. Dot products accumulate in double and round once, so the reference is within half an ulp of
// the exact dot product of the (exactly converted) operands whenever the double sum is exact enough.
#include "core/fp16.h"
#include "kernels/kernels.h"

namespace greenllm::kernels {
namespace {

float load_f32(const float* w, int64_t i) { return w[i]; }
float load_f16(const uint16_t* w, int64_t i) { return f16_to_f32(w[i]); }
float load_bf16(const uint16_t* w, int64_t i) { return bf16_to_f32(w[i]); }

// Y (n_tok, n_out) = X (n_tok, n_in) @ W (n_out, n_in)^T for the output rows [row_begin, row_end).
template <typename T, float (*load)(const T*, int64_t)>
void matmul(const MatmulArgs& a, int64_t row_begin, int64_t row_end) {
  const T* w = static_cast<const T*>(a.w);
  for (int64_t t = 0; t < a.n_tok; ++t) {
    const float* x = a.x + t * a.ldx;
    for (int64_t r = row_begin; r < row_end; ++r) {
      const T* w_row = w + r * a.n_in;
      double sum = 0.0;
      for (int64_t k = 0; k < a.n_in; ++k) sum += double(load(w_row, k)) * double(x[k]);
      a.y[t * a.ldy + r] = float(sum);
    }
  }
}

float dot_f32(const float* a, const float* b, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += double(a[i]) * double(b[i]);
  return float(sum);
}

void axpy_f32(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void row_to_f32_f16(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

void row_to_f32_bf16(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(src[i]);
}

const KernelTable kTable = {
    Isa::REFERENCE,
    "reference",
    matmul<float, load_f32>,
    matmul<uint16_t, load_f16>,
    matmul<uint16_t, load_bf16>,
    dot_f32,
    axpy_f32,
    row_to_f32_f16,
    row_to_f32_bf16,
};

}  // namespace

const KernelTable& reference_kernels() { return kTable; }

}  // namespace greenllm::kernels
