// The AVX2 tier (AVX2 + FMA + F16C; this file alone is compiled with those flags, see CMakeLists.txt).
// Everything but the table getter has internal linkage and no standard-library template is used here,
// so no AVX code can be picked by the linker for a baseline translation unit.
//
// Matmul is a dot-product formulation: each (W row, token) pair owns one 8-lane accumulator, fed in k
// order one 8-float chunk at a time (the last chunk zero-padded beyond n_in), then reduced by one fixed
// tree (hsum). Every tile shape follows exactly that arithmetic, so a Y element does not depend on
// n_tok, the row range or the tile that computed it: results are batch-invariant.
#include <immintrin.h>

#include "kernels/kernels.h"

namespace greenllm::kernels {
namespace {

constexpr int kLanes = 8;

// Prefill tiles: kRows W rows x kToks tokens = 12 accumulators of the 16 ymm registers (4 x 3 measured
// a little faster than 3 x 4 on Zen 4).
constexpr int kRows = 4;
constexpr int kToks = 3;
// Decode (n_tok = 1): rows per tile, enough independent FMA chains to hide latency.
constexpr int kDecodeRows = 8;
// Prefill processes tokens in blocks so that a block of X stays in L2 (see the AVX-512 tier).
constexpr int64_t kTokBlock = 48;

inline int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

// Lane mask for the first n (0..7) lanes, for maskload/maskstore.
inline __m256i tail_mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// The one horizontal reduction of an 8-lane partial sum: halves, then quarters, ... (a fixed tree).
inline float hsum(__m256 v) {
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  const __m128 s1 = _mm_add_ss(s2, _mm_movehdup_ps(s2));
  return _mm_cvtss_f32(s1);
}

// The first n (< 8) 16-bit values at p, zero-padded to 8.
inline __m128i load_u16_tail(const uint16_t* p, int64_t n) {
  alignas(16) uint16_t buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t i = 0; i < n; ++i) buf[i] = p[i];
  return _mm_load_si128(reinterpret_cast<const __m128i*>(buf));
}

// Weight element types: 8 consecutive weights as 8 floats (exact conversions), full or zero-padded.
struct F32 {
  using T = float;
  static __m256 load(const float* p) { return _mm256_loadu_ps(p); }
  static __m256 load_tail(const float* p, int64_t n) { return _mm256_maskload_ps(p, tail_mask(n)); }
};

struct F16 {
  using T = uint16_t;
  static __m256 load(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static __m256 load_tail(const uint16_t* p, int64_t n) { return _mm256_cvtph_ps(load_u16_tail(p, n)); }
};

// BF16 is the top half of an F32: widen to 32 bits and shift.
struct BF16 {
  using T = uint16_t;
  static __m256 widen(__m128i h) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)); }
  static __m256 load(const uint16_t* p) { return widen(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static __m256 load_tail(const uint16_t* p, int64_t n) { return widen(load_u16_tail(p, n)); }
};

// Y tile (RN tokens, RM rows) = X (RN, n_in) @ W (RM, n_in)^T.
// w: first W row of the tile; x: first token's row; y: Y element (first token, first row).
template <class L, int RM, int RN>
void tile(const typename L::T* w, int64_t n_in, const float* x, int64_t ldx, float* y, int64_t ldy) {
  __m256 acc[RM][RN];
#pragma GCC unroll 8
  for (int i = 0; i < RM; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < RN; ++j) acc[i][j] = _mm256_setzero_ps();

  const int64_t n_full = n_in - n_in % kLanes;
  for (int64_t k = 0; k < n_full; k += kLanes) {
    __m256 xv[RN];
#pragma GCC unroll 8
    for (int j = 0; j < RN; ++j) xv[j] = _mm256_loadu_ps(x + j * ldx + k);
#pragma GCC unroll 8
    for (int i = 0; i < RM; ++i) {
      const __m256 wv = L::load(w + i * n_in + k);
#pragma GCC unroll 8
      for (int j = 0; j < RN; ++j) acc[i][j] = _mm256_fmadd_ps(wv, xv[j], acc[i][j]);
    }
  }
  if (n_full < n_in) {
    const int64_t n_tail = n_in - n_full;
    const __m256i m = tail_mask(n_tail);
    __m256 xv[RN];
#pragma GCC unroll 8
    for (int j = 0; j < RN; ++j) xv[j] = _mm256_maskload_ps(x + j * ldx + n_full, m);
#pragma GCC unroll 8
    for (int i = 0; i < RM; ++i) {
      const __m256 wv = L::load_tail(w + i * n_in + n_full, n_tail);
#pragma GCC unroll 8
      for (int j = 0; j < RN; ++j) acc[i][j] = _mm256_fmadd_ps(wv, xv[j], acc[i][j]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < RM; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < RN; ++j) y[j * ldy + i] = hsum(acc[i][j]);
}

// The tile of rm <= RM rows and rn <= RN tokens, for the edges of a prefill block.
template <class L, int RM, int RN>
void edge_tile(int64_t rm, int64_t rn, const typename L::T* w, int64_t n_in, const float* x, int64_t ldx, float* y,
               int64_t ldy) {
  if constexpr (RM > 1) {
    if (rm < RM) return edge_tile<L, RM - 1, RN>(rm, rn, w, n_in, x, ldx, y, ldy);
  }
  if constexpr (RN > 1) {
    if (rn < RN) return edge_tile<L, RM, RN - 1>(rm, rn, w, n_in, x, ldx, y, ldy);
  }
  tile<L, RM, RN>(w, n_in, x, ldx, y, ldy);
}

// Y (n_tok, n_out) = X (n_tok, n_in) @ W (n_out, n_in)^T for the rows [row_begin, row_end).
template <class L>
void matmul(const MatmulArgs& a, int64_t row_begin, int64_t row_end) {
  const auto* w = static_cast<const typename L::T*>(a.w);
  if (a.n_tok == 1) {
    // x (n_in) -> y (rows): stream W once, kDecodeRows rows at a time.
    int64_t r = row_begin;
    for (; r + kDecodeRows <= row_end; r += kDecodeRows)
      tile<L, kDecodeRows, 1>(w + r * a.n_in, a.n_in, a.x, a.ldx, a.y + r, a.ldy);
    for (; r < row_end; ++r) tile<L, 1, 1>(w + r * a.n_in, a.n_in, a.x, a.ldx, a.y + r, a.ldy);
    return;
  }
  for (int64_t t0 = 0; t0 < a.n_tok; t0 += kTokBlock) {
    const int64_t t1 = min_i64(a.n_tok, t0 + kTokBlock);
    for (int64_t r = row_begin; r < row_end; r += kRows) {
      const int64_t rm = min_i64(kRows, row_end - r);
      for (int64_t t = t0; t < t1; t += kToks) {
        const int64_t rn = min_i64(kToks, t1 - t);
        edge_tile<L, kRows, kToks>(rm, rn, w + r * a.n_in, a.n_in, a.x + t * a.ldx, a.ldx, a.y + t * a.ldy + r, a.ldy);
      }
    }
  }
}

// sum_i a[i] * b[i], with four accumulators over 32-float steps (the order depends on n only).
float dot_f32(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
  }
  for (; i + kLanes <= n; i += kLanes) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    acc0 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), acc0);
  }
  return hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
}

// y[i] += alpha * x[i], one fused multiply-add per element.
void axpy_f32(float alpha, const float* x, float* y, int64_t n) {
  const __m256 va = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    const __m256 r = _mm256_fmadd_ps(va, _mm256_maskload_ps(x + i, m), _mm256_maskload_ps(y + i, m));
    _mm256_maskstore_ps(y + i, m, r);
  }
}

template <class L>
void row_to_f32(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) _mm256_storeu_ps(dst + i, L::load(src + i));
  if (i < n) _mm256_maskstore_ps(dst + i, tail_mask(n - i), L::load_tail(src + i, n - i));
}

constexpr KernelTable kTable = {
    Isa::AVX2, "avx2", matmul<F32>, matmul<F16>, matmul<BF16>, dot_f32, axpy_f32, row_to_f32<F16>, row_to_f32<BF16>,
};

}  // namespace

const KernelTable& avx2_kernels() { return kTable; }

}  // namespace greenllm::kernels
