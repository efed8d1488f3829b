// Kernel selection: the best supported tier by default, GREENLLM_ISA to force one, fallback on an
// unknown or unsupported request, and complete tables.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "core/cpu_features.h"
#include "kernels_test_util.h"

namespace greenllm::kernels::test {
namespace {

const KernelTable& best() {
  if (cpu_features().avx512) return avx512_kernels();
  if (cpu_features().avx2) return avx2_kernels();
  return reference_kernels();
}

TEST(Dispatch, DefaultIsBestSupported) {
  for (const char* request : {static_cast<const char*>(nullptr), ""}) {
    const Selection s = select(request);
    EXPECT_EQ(s.table, &best());
    EXPECT_FALSE(s.fell_back);
  }
}

TEST(Dispatch, ForcesEachSupportedIsa) {
  for (Isa isa : kAllIsas) {
    const Selection s = select(isa_name(isa));
    EXPECT_TRUE(s.requested_known);
    if (isa_supported(isa)) {
      EXPECT_FALSE(s.fell_back);
      EXPECT_EQ(s.table->isa, isa);
      EXPECT_STREQ(s.table->name, isa_name(isa));
    } else {
      EXPECT_TRUE(s.fell_back);
      EXPECT_EQ(s.table, &best());
    }
  }
}

TEST(Dispatch, UnknownRequestFallsBackToBest) {
  const Selection s = select("avx1024");
  EXPECT_FALSE(s.requested_known);
  EXPECT_TRUE(s.fell_back);
  EXPECT_EQ(s.table, &best());
}

TEST(Dispatch, ReferenceIsAlwaysSupported) {
  EXPECT_TRUE(isa_supported(Isa::REFERENCE));
  EXPECT_EQ(table_for(Isa::REFERENCE), &reference_kernels());
  EXPECT_EQ(isa_supported(Isa::AVX512), cpu_features().avx512);
  EXPECT_EQ(isa_supported(Isa::AVX2), cpu_features().avx2);
}

// active() reads GREENLLM_ISA once; run it in a fresh process (a re-executed test binary) so that
// the value set here is the one it sees.
TEST(Dispatch, EnvironmentForcesReference) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  setenv("GREENLLM_ISA", "reference", 1);
  EXPECT_EXIT(std::exit(active().isa == Isa::REFERENCE ? 0 : 1), ::testing::ExitedWithCode(0), "");
  setenv("GREENLLM_VERBOSE", "1", 1);
  EXPECT_EXIT(std::exit(active().isa == Isa::REFERENCE ? 0 : 1), ::testing::ExitedWithCode(0),
              "using reference kernels");
  unsetenv("GREENLLM_VERBOSE");
  setenv("GREENLLM_ISA", "no-such-isa", 1);
  EXPECT_EXIT(std::exit(&active() == &best() ? 0 : 1), ::testing::ExitedWithCode(0),
              "GREENLLM_ISA=no-such-isa is unknown");
  unsetenv("GREENLLM_ISA");
}

class TableTest : public ::testing::TestWithParam<Isa> {};

TEST_P(TableTest, IsCompleteAndNamed) {
  GREENLLM_TABLE_OR_SKIP(table, GetParam());
  EXPECT_EQ(table->isa, GetParam());
  EXPECT_STREQ(table->name, isa_name(GetParam()));
  EXPECT_NE(table->matmul_f32, nullptr);
  EXPECT_NE(table->matmul_f16, nullptr);
  EXPECT_NE(table->matmul_bf16, nullptr);
  EXPECT_NE(table->dot_f32, nullptr);
  EXPECT_NE(table->axpy_f32, nullptr);
  EXPECT_NE(table->row_to_f32_f16, nullptr);
  EXPECT_NE(table->row_to_f32_bf16, nullptr);
}

INSTANTIATE_TEST_SUITE_P(AllIsas, TableTest, ::testing::ValuesIn(kAllIsas), isa_param_name);

}  // namespace
}  // namespace greenllm::kernels::test
