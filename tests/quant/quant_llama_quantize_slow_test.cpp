// Byte-exactness against llama.cpp: the source-built peer's llama-quantize --pure (no imatrix)
// quantizes tinystories-5m.gguf (F32, every matrix row a multiple of 256) to each type, and
// greenllm's reference quantizer of the same F32 tensors gives identical bytes.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "quant/reference.h"
#include "quant_interop_util.h"
#include "test_util.h"

namespace greenllm::quant {
namespace {

using namespace greenllm::test;
namespace fs = std::filesystem;

const std::string kLlamaQuantize = "/tmp/llama-cpp-peer/llama.cpp/build/bin/llama-quantize";

struct Case {
  const char* llama_type;  // llama-quantize's type argument
  GgmlType type;           // what --pure gives every matrix
};
class QuantLlamaQuantize : public ::testing::TestWithParam<Case> {};

TEST_P(QuantLlamaQuantize, PureOutputEqualsOurBytes) {
  if (!fs::exists(kLlamaQuantize)) GTEST_SKIP() << kLlamaQuantize << " not built";
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "tinystories-5m.gguf");
  const Case c = GetParam();
  const std::string out = temp_path(std::string("tinystories-5m.") + c.llama_type + ".gguf");
  const std::string log = temp_path(std::string("llama-quantize.") + c.llama_type + ".log");
  ASSERT_EQ(
      run_command(kLlamaQuantize + " --pure '" + model + "' '" + out + "' " + c.llama_type + " 2 >'" + log + "' 2>&1",
                  nullptr),
      0)
      << read_file(log);

  auto src = formats::GgufFile::open(model);
  ASSERT_TRUE(src.is_ok()) << src.message();
  auto dst = formats::GgufFile::open(out);
  ASSERT_TRUE(dst.is_ok()) << dst.message();
  const QuantTraits* t = quant_traits(c.type);
  ASSERT_NE(t, nullptr);

  int n_matrices = 0, n_compared = 0;
  for (const formats::GgufTensorInfo& in : (*src)->tensors()) {
    if (in.shape.size() < 2) continue;
    ++n_matrices;
    ASSERT_EQ(in.type, GgmlType::F32) << in.name;
    const formats::GgufTensorInfo* q = (*dst)->find_tensor(in.name);
    ASSERT_NE(q, nullptr) << in.name;
    ASSERT_EQ(q->type, c.type) << in.name << " is " << ggml_type_name(q->type);
    std::vector<uint8_t> ours(q->size_bytes);
    t->quantize_row(reinterpret_cast<const float*>(in.data), ours.data(), in.n_elements());
    ASSERT_EQ(ours.size(), q->size_bytes);
    size_t n_diff = 0, first = 0;
    for (size_t i = 0; i < ours.size(); ++i) {
      if (ours[i] != q->data[i] && n_diff++ == 0) first = i;
    }
    EXPECT_EQ(n_diff, 0u) << c.llama_type << " " << in.name << ": " << n_diff << " of " << ours.size()
                          << " bytes differ, first at byte " << first << " (block " << first / t->block_bytes << ")";
    ++n_compared;
  }
  EXPECT_GT(n_matrices, 0);
  EXPECT_EQ(n_compared, n_matrices);
}

INSTANTIATE_TEST_SUITE_P(Types, QuantLlamaQuantize,
                         ::testing::Values(Case{"Q8_0", GgmlType::Q8_0}, Case{"Q4_0", GgmlType::Q4_0},
                                           Case{"Q4_1", GgmlType::Q4_1}, Case{"Q5_0", GgmlType::Q5_0},
                                           Case{"Q5_1", GgmlType::Q5_1}, Case{"Q6_K", GgmlType::Q6_K},
                                           Case{"Q5_K_M", GgmlType::Q5_K}, Case{"Q4_K_M", GgmlType::Q4_K}),
                         [](const auto& info) { return std::string(info.param.llama_type); });

// llama-quantize's Q8_0 of stories260K (F16 for the rows of 172) and ours: every tensor has the same
// type and bytes, and llama.cpp generates the same text from both.
TEST(QuantLlamaQuantizeStories260K, Q8_0FileEqualsOurs) {
  if (!fs::exists(kLlamaQuantize)) GTEST_SKIP() << kLlamaQuantize << " not built";
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  const std::string theirs = temp_path("stories260K.llama-quantize.q8_0.gguf");
  const std::string ours = temp_path("stories260K.greenllm.q8_0.gguf");
  const std::string log = temp_path("llama-quantize.stories260K.log");
  ASSERT_EQ(run_command(kLlamaQuantize + " '" + model + "' '" + theirs + "' Q8_0 2 >'" + log + "' 2>&1", nullptr), 0)
      << read_file(log);
  auto src = formats::GgufFile::open(model);
  ASSERT_TRUE(src.is_ok()) << src.message();
  write_q8_0(**src, ours);
  if (HasFatalFailure()) return;
  auto a = formats::GgufFile::open(theirs);
  ASSERT_TRUE(a.is_ok()) << a.message();
  auto b = formats::GgufFile::open(ours);
  ASSERT_TRUE(b.is_ok()) << b.message();
  ASSERT_EQ((*a)->tensors().size(), (*b)->tensors().size());
  for (const formats::GgufTensorInfo& t : (*a)->tensors()) {
    const formats::GgufTensorInfo* u = (*b)->find_tensor(t.name);
    ASSERT_NE(u, nullptr) << t.name;
    EXPECT_EQ(u->type, t.type) << t.name;
    ASSERT_EQ(u->size_bytes, t.size_bytes) << t.name;
    EXPECT_EQ(std::memcmp(u->data, t.data, t.size_bytes), 0) << t.name;
  }

  if (const std::string why = llama_cpp_missing(); !why.empty()) GTEST_SKIP() << why;
  std::string text_theirs, text_ours, why;
  ASSERT_TRUE(llama_cpp_generate(theirs, &text_theirs, &why)) << why;
  ASSERT_TRUE(llama_cpp_generate(ours, &text_ours, &why)) << why;
  EXPECT_EQ(text_ours, text_theirs);
}

}  // namespace
}  // namespace greenllm::quant
