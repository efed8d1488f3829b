// The AVX-512 tier (F/BW/VL/DQ; this file alone is compiled with those flags, see CMakeLists.txt).
// Everything but the table getter has internal linkage and no standard-library template is used here,
// so no AVX-512 code can be picked by the linker for a baseline translation unit.
//
// Matmul is a dot-product formulation: each (W row, token) pair owns one 16-lane accumulator, fed in k
// order one 16-float chunk at a time (the last chunk masked, zeros beyond n_in), then reduced by one
// fixed tree (hsum). Every tile shape follows exactly that arithmetic, so a Y element does not depend on
// n_tok, the row range or the tile that computed it: results are batch-invariant.
#include <immintrin.h>

#include "kernels/kernels.h"

// GCC 12's AVX-512 intrinsics read a deliberately uninitialized `_mm512_undefined_*` value and warn
// about it at every use (a false positive fixed in later GCC).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace greenllm::kernels {
namespace {

constexpr int kLanes = 16;

// Prefill tiles: kRows W rows x kToks tokens = 24 accumulators, leaving 8 zmm for W and X chunks.
constexpr int kRows = 4;
constexpr int kToks = 6;
// Decode (n_tok = 1): rows per tile, enough independent FMA chains to hide latency.
constexpr int kDecodeRows = 8;
// Prefill processes tokens in blocks so that a block of X (kTokBlock rows) stays in L2 while the W rows
// of a tile are reused across the block's token tiles. (Blocking k as well, to keep those W rows in L1,
// measured slower: the accumulators must then be saved and restored between k blocks.)
constexpr int64_t kTokBlock = 48;

inline int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

inline __mmask16 tail_mask(int64_t n) { return __mmask16((1u << n) - 1u); }

// The one horizontal reduction of a 16-lane partial sum: halves, then quarters, ... (a fixed tree).
inline float hsum(__m512 v) {
  const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  const __m128 s1 = _mm_add_ss(s2, _mm_movehdup_ps(s2));
  return _mm_cvtss_f32(s1);
}

// hsum of four vectors at once, {hsum(a), hsum(b), hsum(c), hsum(d)}: the same additions of the same
// lanes as hsum (float addition is commutative, so only the pairing matters), four at a time.
inline __m128 hsum4(__m512 a, __m512 b, __m512 c, __m512 d) {
  // a[i] + a[i + 8], b[i] + b[i + 8] (i < 8), as [a8 | b8]; likewise [c8 | d8]
  const __m512 ab8 = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)),
                                   _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512 cd8 = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(1, 0, 1, 0)),
                                   _mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(3, 2, 3, 2)));
  // a8[i] + a8[i + 4] (i < 4), ... as [a4 | b4 | c4 | d4]
  const __m512 s4 = _mm512_add_ps(_mm512_shuffle_f32x4(ab8, cd8, _MM_SHUFFLE(2, 0, 2, 0)),
                                  _mm512_shuffle_f32x4(ab8, cd8, _MM_SHUFFLE(3, 1, 3, 1)));
  // within each 128-bit block: s4[i] + s4[i + 2] (i < 2), then the two halves of that
  const __m512 s2 = _mm512_add_ps(s4, _mm512_shuffle_ps(s4, s4, _MM_SHUFFLE(1, 0, 3, 2)));
  const __m512 s1 = _mm512_add_ps(s2, _mm512_shuffle_ps(s2, s2, _MM_SHUFFLE(2, 3, 0, 1)));
  const __m512i firsts = _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  return _mm512_castps512_ps128(_mm512_permutexvar_ps(firsts, s1));
}

// Weight element types: 16 (or 8) consecutive weights as floats (exact conversions), full or masked.
// kSplitDecode: the single-token path is faster on 8-lane halves (measured on Zen 4: F32 and F16 gain
// 15-40% in cache; BF16, whose widening is not the bottleneck, loses a little).
struct F32 {
  using T = float;
  static constexpr bool kSplitDecode = true;
  static __m512 load(const float* p) { return _mm512_loadu_ps(p); }
  static __m512 load_tail(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
  static __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
  static __m256 load8_tail(const float* p, __mmask8 m) { return _mm256_maskz_loadu_ps(m, p); }
};

struct F16 {
  using T = uint16_t;
  static constexpr bool kSplitDecode = true;
  static __m512 load(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static __m512 load_tail(const uint16_t* p, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }
  static __m256 load8(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static __m256 load8_tail(const uint16_t* p, __mmask8 m) { return _mm256_cvtph_ps(_mm_maskz_loadu_epi16(m, p)); }
};

// BF16 is the top half of an F32: widen to 32 bits and shift.
struct BF16 {
  using T = uint16_t;
  static constexpr bool kSplitDecode = false;
  static __m512 widen(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }
  static __m512 load(const uint16_t* p) { return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static __m512 load_tail(const uint16_t* p, __mmask16 m) { return widen(_mm256_maskz_loadu_epi16(m, p)); }
  static __m256 widen8(__m128i h) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16)); }
  static __m256 load8(const uint16_t* p) { return widen8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static __m256 load8_tail(const uint16_t* p, __mmask8 m) { return widen8(_mm_maskz_loadu_epi16(m, p)); }
};

// Y tile (RN tokens, RM rows) = X (RN, n_in) @ W (RM, n_in)^T.
// w: first W row of the tile; x: first token's row; y: Y element (first token, first row).
template <class L, int RM, int RN>
void tile(const typename L::T* w, int64_t n_in, const float* x, int64_t ldx, float* y, int64_t ldy) {
  __m512 acc[RM][RN];
#pragma GCC unroll 8
  for (int i = 0; i < RM; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < RN; ++j) acc[i][j] = _mm512_setzero_ps();

  const int64_t n_full = n_in - n_in % kLanes;
  for (int64_t k = 0; k < n_full; k += kLanes) {
    __m512 xv[RN];
#pragma GCC unroll 8
    for (int j = 0; j < RN; ++j) xv[j] = _mm512_loadu_ps(x + j * ldx + k);
#pragma GCC unroll 8
    for (int i = 0; i < RM; ++i) {
      const __m512 wv = L::load(w + i * n_in + k);
#pragma GCC unroll 8
      for (int j = 0; j < RN; ++j) acc[i][j] = _mm512_fmadd_ps(wv, xv[j], acc[i][j]);
    }
  }
  if (n_full < n_in) {
    const __mmask16 m = tail_mask(n_in - n_full);
    __m512 xv[RN];
#pragma GCC unroll 8
    for (int j = 0; j < RN; ++j) xv[j] = _mm512_maskz_loadu_ps(m, x + j * ldx + n_full);
#pragma GCC unroll 8
    for (int i = 0; i < RM; ++i) {
      const __m512 wv = L::load_tail(w + i * n_in + n_full, m);
#pragma GCC unroll 8
      for (int j = 0; j < RN; ++j) acc[i][j] = _mm512_fmadd_ps(wv, xv[j], acc[i][j]);
    }
  }
  // Y elements of a token are contiguous: reduce four rows at a time where the tile has them.
  constexpr int RM4 = RM - RM % 4;
#pragma GCC unroll 8
  for (int j = 0; j < RN; ++j) {
#pragma GCC unroll 8
    for (int i = 0; i < RM4; i += 4)
      _mm_storeu_ps(y + j * ldy + i, hsum4(acc[i][j], acc[i + 1][j], acc[i + 2][j], acc[i + 3][j]));
#pragma GCC unroll 8
    for (int i = RM4; i < RM; ++i) y[j * ldy + i] = hsum(acc[i][j]);
  }
}

// The single-token tile of RM rows, y (RM) = W (RM, n_in) @ x (n_in), with each 16-lane accumulator
// held as two 8-lane halves: lane for lane the same arithmetic as tile<L, RM, 1>, so the same results,
// but with 256-bit conversions and loads, which Zen 4 runs faster per element than the 512-bit ones
// (the bottleneck of a matrix-vector product whose W is in cache).
template <class L, int RM>
void decode_tile(const typename L::T* w, int64_t n_in, const float* x, float* y) {
  __m256 lo[RM], hi[RM];
#pragma GCC unroll 16
  for (int i = 0; i < RM; ++i) lo[i] = hi[i] = _mm256_setzero_ps();
  const int64_t n_full = n_in - n_in % kLanes;
  for (int64_t k = 0; k < n_full; k += kLanes) {
    const __m256 x_lo = _mm256_loadu_ps(x + k), x_hi = _mm256_loadu_ps(x + k + 8);
#pragma GCC unroll 16
    for (int i = 0; i < RM; ++i) {
      lo[i] = _mm256_fmadd_ps(L::load8(w + i * n_in + k), x_lo, lo[i]);
      hi[i] = _mm256_fmadd_ps(L::load8(w + i * n_in + k + 8), x_hi, hi[i]);
    }
  }
  if (n_full < n_in) {
    const __mmask16 m = tail_mask(n_in - n_full);
    const __mmask8 m_lo = __mmask8(m), m_hi = __mmask8(m >> 8);
    const __m256 x_lo = _mm256_maskz_loadu_ps(m_lo, x + n_full);
    const __m256 x_hi = _mm256_maskz_loadu_ps(m_hi, x + n_full + 8);
#pragma GCC unroll 16
    for (int i = 0; i < RM; ++i) {
      lo[i] = _mm256_fmadd_ps(L::load8_tail(w + i * n_in + n_full, m_lo), x_lo, lo[i]);
      hi[i] = _mm256_fmadd_ps(L::load8_tail(w + i * n_in + n_full + 8, m_hi), x_hi, hi[i]);
    }
  }
  __m512 acc[RM];
#pragma GCC unroll 16
  for (int i = 0; i < RM; ++i) acc[i] = _mm512_insertf32x8(_mm512_castps256_ps512(lo[i]), hi[i], 1);
  constexpr int RM4 = RM - RM % 4;
#pragma GCC unroll 16
  for (int i = 0; i < RM4; i += 4) _mm_storeu_ps(y + i, hsum4(acc[i], acc[i + 1], acc[i + 2], acc[i + 3]));
#pragma GCC unroll 16
  for (int i = RM4; i < RM; ++i) y[i] = hsum(acc[i]);
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
    if constexpr (L::kSplitDecode) {
      for (; r + kDecodeRows <= row_end; r += kDecodeRows)
        decode_tile<L, kDecodeRows>(w + r * a.n_in, a.n_in, a.x, a.y + r);
      for (; r + kRows <= row_end; r += kRows) decode_tile<L, kRows>(w + r * a.n_in, a.n_in, a.x, a.y + r);
      for (; r < row_end; ++r) decode_tile<L, 1>(w + r * a.n_in, a.n_in, a.x, a.y + r);
    } else {
      for (; r + kDecodeRows <= row_end; r += kDecodeRows)
        tile<L, kDecodeRows, 1>(w + r * a.n_in, a.n_in, a.x, a.ldx, a.y + r, a.ldy);
      for (; r + kRows <= row_end; r += kRows) tile<L, kRows, 1>(w + r * a.n_in, a.n_in, a.x, a.ldx, a.y + r, a.ldy);
      for (; r < row_end; ++r) tile<L, 1, 1>(w + r * a.n_in, a.n_in, a.x, a.ldx, a.y + r, a.ldy);
    }
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

// sum_i a[i] * b[i], with four accumulators over 64-float steps (the order depends on n only).
float dot_f32(const float* a, const float* b, int64_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    acc2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), acc2);
    acc3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), acc3);
  }
  for (; i + kLanes <= n; i += kLanes) acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc0);
  }
  return hsum(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

// y[i] += alpha * x[i], one fused multiply-add per element.
void axpy_f32(float alpha, const float* x, float* y, int64_t n) {
  const __m512 va = _mm512_set1_ps(alpha);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 r = _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i));
    _mm512_mask_storeu_ps(y + i, m, r);
  }
}

template <class L>
void row_to_f32(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) _mm512_storeu_ps(dst + i, L::load(src + i));
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(dst + i, m, L::load_tail(src + i, m));
  }
}

constexpr KernelTable kTable = {
    Isa::AVX512, "avx512", matmul<F32>, matmul<F16>, matmul<BF16>, dot_f32, axpy_f32, row_to_f32<F16>, row_to_f32<BF16>,
};

}  // namespace

const KernelTable& avx512_kernels() { return kTable; }

}  // namespace greenllm::kernels
