// Interop with llama.cpp (node-llama-cpp's prebuilt binary through tests/node/llama_generate.mjs):
// stories260K written again with its matrices quantized to Q8_0 by greenllm loads and generates in
// llama.cpp. Neither our Q8_0 file nor llama-quantize's gives the F32 golden text in full: both leave
// it at the same near-tie token (byte 296, in the second line); quant_llama_quantize_slow_test checks
// that the two files are byte-identical and give the same text.
#include <gtest/gtest.h>

#include <string>

#include "quant_interop_util.h"

namespace greenllm::quant {
namespace {

using namespace greenllm::test;

// Bytes of the golden text that llama.cpp reproduces on the Q8_0 file (llama-quantize's and ours).
constexpr size_t kQ8_0GoldenPrefixBytes = 295;

TEST(QuantLlamaCpp, Q8_0Stories260KGeneratesInLlamaCpp) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden, model_fixture, "stories260K.greedy256.txt");
  auto src = formats::GgufFile::open(model);
  ASSERT_TRUE(src.is_ok()) << src.message();
  const std::string out = temp_path("stories260K.q8_0.gguf");
  write_q8_0(**src, out);
  if (HasFatalFailure()) return;

  // The file reads back with the types we wrote.
  auto back = formats::GgufFile::open(out);
  ASSERT_TRUE(back.is_ok()) << back.message();
  // 32 matrices (6 per layer, token_embd, output) in Q8_0; the 5 ffn_down (rows of 172) in F16.
  int n_q8 = 0, n_f16 = 0;
  for (const auto& t : (*back)->tensors()) {
    n_q8 += t.type == GgmlType::Q8_0;
    n_f16 += t.type == GgmlType::F16;
  }
  EXPECT_EQ(n_q8, 32);
  EXPECT_EQ(n_f16, 5);

  if (const std::string why = llama_cpp_missing(); !why.empty()) GTEST_SKIP() << why;
  std::string text, why;
  ASSERT_TRUE(llama_cpp_generate(out, &text, &why)) << why;
  const std::string want = read_file(golden);
  size_t common = 0;
  while (common < text.size() && common < want.size() && text[common] == want[common]) ++common;
  EXPECT_GE(common, kQ8_0GoldenPrefixBytes) << "llama.cpp's text:\n" << text;
  EXPECT_GT(text.size(), kQ8_0GoldenPrefixBytes);
}

}  // namespace
}  // namespace greenllm::quant
