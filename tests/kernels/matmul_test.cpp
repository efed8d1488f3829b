// Matmul kernels: every ISA tier against the scalar reference (all weight types, odd shapes, strides,
// row ranges), and batch invariance: a token's outputs are bit-identical alone or in any batch.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>

#include "core/thread_pool.h"
#include "kernels_test_util.h"

namespace greenllm::kernels::test {
namespace {

// |isa - reference| <= kMatmulTolerance(n_in) * sum_k |w_k * x_k|. An ISA dot product is a chain of
// n_in / lanes fused multiply-adds per lane (lanes >= 8) and a reduction tree of depth <= 4, each step
// rounding once by at most FLT_EPSILON / 2 of the running magnitude; the reference adds one rounding.
// This is twice that worst case, and still far below the 1 / n_in of one dropped or doubled term.
double matmul_tolerance(int64_t n_in) { return (double(n_in) / 8.0 + 6.0) * FLT_EPSILON; }

constexpr float kUntouched = -12345.0f;  // fills Y elements a call must not write

struct Problem {
  Weights w;
  std::vector<float> x;  // (n_tok, ldx)
  int64_t n_in, n_out, n_tok, ldx, ldy;

  Problem(GgmlType type, int64_t n_in_, int64_t n_out_, int64_t n_tok_, int64_t ldx_pad, int64_t ldy_pad,
          std::mt19937& rng)
      : n_in(n_in_), n_out(n_out_), n_tok(n_tok_), ldx(n_in_ + ldx_pad), ldy(n_out_ + ldy_pad) {
    w = random_weights(type, n_in * n_out, rng);
    x = random_floats(n_tok * ldx, rng);
  }
  MatmulArgs args(float* y) const { return MatmulArgs{w.data(), n_in, n_out, x.data(), ldx, y, ldy, n_tok}; }
  std::vector<float> fresh_y() const { return std::vector<float>(n_tok * ldy, kUntouched); }
  // sum_k |w_k x_k| for one output
  double magnitude(int64_t tok, int64_t row) const {
    double s = 0.0;
    for (int64_t k = 0; k < n_in; ++k) s += std::fabs(double(w.values[row * n_in + k]) * double(x[tok * ldx + k]));
    return s;
  }
};

// Runs `table`'s kernel on rows [row_begin, row_end) and compares with the reference kernel; checks
// that nothing outside those rows (or in the ldy padding) is written.
void check_against_reference(const KernelTable& table, const Problem& p, int64_t row_begin, int64_t row_end) {
  std::vector<float> y = p.fresh_y(), y_ref = p.fresh_y();
  matmul_for(table, p.w.type)(p.args(y.data()), row_begin, row_end);
  matmul_for(reference_kernels(), p.w.type)(p.args(y_ref.data()), row_begin, row_end);
  const double tol = matmul_tolerance(p.n_in);
  int failures = 0;
  for (int64_t t = 0; t < p.n_tok; ++t) {
    for (int64_t j = 0; j < p.ldy; ++j) {
      const float got = y[t * p.ldy + j], want = y_ref[t * p.ldy + j];
      if (j < row_begin || j >= row_end) {
        ASSERT_EQ(got, kUntouched) << "wrote outside rows: tok " << t << " col " << j;
        continue;
      }
      const double bound = tol * p.magnitude(t, j) + FLT_MIN;
      if (std::fabs(double(got) - double(want)) > bound && ++failures <= 5) {
        ADD_FAILURE() << table.name << " " << ggml_type_name(p.w.type) << " n_in=" << p.n_in << " n_tok=" << p.n_tok
                      << " tok " << t << " row " << j << ": got " << got << " want " << want << " (bound " << bound
                      << ")";
      }
    }
  }
  ASSERT_EQ(failures, 0);
}

class MatmulTest : public ::testing::TestWithParam<Isa> {};

TEST_P(MatmulTest, MatchesReferenceOnOddShapes) {
  GREENLLM_TABLE_OR_SKIP(table, GetParam());
  std::mt19937 rng(42);
  const int64_t n_ins[] = {1, 15, 16, 17, 64, 172, 2048 + 3};
  const int64_t n_toks[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 128};
  for (GgmlType type : kWeightTypes) {
    for (int64_t n_in : n_ins) {
      for (int64_t n_tok : n_toks) {
        const int64_t n_out = n_tok == 128 ? 21 : 37;  // not multiples of 16, nor of the tile rows
        SCOPED_TRACE(testing::Message() << ggml_type_name(type) << " n_in=" << n_in << " n_tok=" << n_tok);
        const Problem p(type, n_in, n_out, n_tok, /*ldx_pad=*/0, /*ldy_pad=*/0, rng);
        check_against_reference(*table, p, 0, n_out);
      }
    }
  }
}

TEST_P(MatmulTest, StridedRowsAndRowRanges) {
  GREENLLM_TABLE_OR_SKIP(table, GetParam());
  std::mt19937 rng(7);
  for (GgmlType type : kWeightTypes) {
    for (int64_t n_tok : {1, 5, 13}) {
      SCOPED_TRACE(testing::Message() << ggml_type_name(type) << " n_tok=" << n_tok);
      const Problem p(type, /*n_in=*/172, /*n_out=*/45, n_tok, /*ldx_pad=*/5, /*ldy_pad=*/3, rng);
      check_against_reference(*table, p, 0, 45);
      check_against_reference(*table, p, 3, 29);
      check_against_reference(*table, p, 44, 45);
      check_against_reference(*table, p, 10, 10);
    }
  }
}

// Decode-sized shapes with many rows, where the kernels take their n_tok = 1 path.
TEST_P(MatmulTest, MatchesReferenceOnModelShapes) {
  GREENLLM_TABLE_OR_SKIP(table, GetParam());
  std::mt19937 rng(3);
  for (GgmlType type : kWeightTypes) {
    for (int64_t n_tok : {1, 32}) {
      SCOPED_TRACE(testing::Message() << ggml_type_name(type) << " n_tok=" << n_tok);
      const Problem p(type, /*n_in=*/2048, /*n_out=*/261, n_tok, 0, 0, rng);
      check_against_reference(*table, p, 0, 261);
    }
  }
}

// The outputs of a batch of tokens, computed through the threaded matmul with 1 and 2 threads, are
// bitwise equal to computing each token alone, over row ranges cut at arbitrary places.
TEST_P(MatmulTest, BatchInvariant) {
  GREENLLM_TABLE_OR_SKIP(table, GetParam());
  std::mt19937 rng(11);
  ThreadPool pool1(1), pool2(2);
  const int64_t n_out = 67;
  const int64_t cuts[] = {0, 5, 6, 31, 40, n_out};
  for (GgmlType type : kWeightTypes) {
    for (int64_t n_in : {17, 172, 2048 + 3}) {
      for (int64_t n_tok : {2, 3, 5, 7, 13, 50, 128}) {
        SCOPED_TRACE(testing::Message() << ggml_type_name(type) << " n_in=" << n_in << " n_tok=" << n_tok);
        const Problem p(type, n_in, n_out, n_tok, /*ldx_pad=*/1, /*ldy_pad=*/2, rng);
        std::vector<float> alone = p.fresh_y();
        for (int64_t t = 0; t < n_tok; ++t) {
          for (size_t c = 0; c + 1 < std::size(cuts); ++c) {
            const MatmulArgs one{p.w.data(), n_in, n_out, p.x.data() + t * p.ldx, p.ldx, alone.data() + t * p.ldy,
                                 p.ldy,      1};
            matmul_for(*table, type)(one, cuts[c], cuts[c + 1]);
          }
        }
        for (ThreadPool* pool : {&pool1, &pool2}) {
          std::vector<float> batch = p.fresh_y();
          matmul(*table, type, p.args(batch.data()), *pool);
          ASSERT_EQ(std::memcmp(batch.data(), alone.data(), batch.size() * sizeof(float)), 0)
              << table->name << " with " << pool->n_threads() << " threads";
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, MatmulTest, ::testing::ValuesIn(kAllIsas), isa_param_name);

TEST(MatmulFor, CoversFloatTypesOnly) {
  const KernelTable& t = reference_kernels();
  EXPECT_EQ(matmul_for(t, GgmlType::F32), t.matmul_f32);
  EXPECT_EQ(matmul_for(t, GgmlType::F16), t.matmul_f16);
  EXPECT_EQ(matmul_for(t, GgmlType::BF16), t.matmul_bf16);
  EXPECT_EQ(matmul_for(t, GgmlType::Q4_K), nullptr);
  EXPECT_EQ(matmul_for(t, GgmlType::Q8_0), nullptr);
}

// The reference itself against a double-precision sum computed here: the definition is checked too.
TEST(ReferenceMatmul, IsTheRoundedExactDotProduct) {
  std::mt19937 rng(5);
  for (GgmlType type : kWeightTypes) {
    const Problem p(type, /*n_in=*/300, /*n_out=*/9, /*n_tok=*/3, 0, 0, rng);
    std::vector<float> y = p.fresh_y();
    matmul_for(reference_kernels(), type)(p.args(y.data()), 0, p.n_out);
    for (int64_t t = 0; t < p.n_tok; ++t) {
      for (int64_t r = 0; r < p.n_out; ++r) {
        double s = 0.0;
        for (int64_t k = 0; k < p.n_in; ++k) s += double(p.w.values[r * p.n_in + k]) * p.x[t * p.ldx + k];
        EXPECT_NEAR(y[t * p.ldy + r], s, 1e-12 * p.magnitude(t, r) + std::fabs(s) * FLT_EPSILON);
      }
    }
  }
}

}  // namespace
}  // namespace greenllm::kernels::test
