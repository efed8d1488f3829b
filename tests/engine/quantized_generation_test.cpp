// Quantized GGUF files run in greenllm: stories260K with its matrices in Q8_0 (written by greenllm's
// reference quantizer, which is byte-identical to llama-quantize's, see tests/quant) generates the
// golden text as far as llama.cpp's Q8_0 run does, and, when node-llama-cpp is installed, greenllm
// and llama.cpp agree on that prefix of the same file.
#include <gtest/gtest.h>

#include "core/thread_pool.h"
#include "engine/generator.h"
#include "model/model_loader.h"
#include "quant/quant_interop_util.h"
#include "test_util.h"

namespace greenllm::engine {
namespace {

// Bytes of the F32 golden text that llama.cpp reproduces on the Q8_0 file (then a near-tie token
// goes the other way; tests/quant/quant_llama_cpp_test.cpp).
constexpr size_t kQ8_0GoldenPrefixBytes = 295;

size_t common_prefix(const std::string& a, const std::string& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

TEST(QuantizedGeneration, Q8_0Stories260K) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden, model_fixture, "stories260K.greedy256.txt");
  auto src = formats::GgufFile::open(model);
  ASSERT_TRUE(src.is_ok()) << src.message();
  const std::string q8 = test::temp_path("stories260K.q8_0.gguf");
  quant::write_q8_0(**src, q8);
  if (HasFatalFailure()) return;

  auto loaded = model::load_model(q8);
  ASSERT_TRUE(loaded.is_ok()) << loaded.message();
  ThreadPool pool(2);
  model::LlamaForward fwd(*loaded->model, pool);
  model::SequenceState seq(loaded->model->hparams, 512);
  GenerateParams params;
  params.n_predict = 256;
  params.sampling.temperature = 0.0f;
  std::string text;
  auto stats = generate(fwd, seq, *loaded->tokenizer, {1}, params, [&](std::string_view p) { text += p; });
  ASSERT_TRUE(stats.is_ok()) << stats.message();
  const std::string want = test::read_file(golden);
  EXPECT_GE(common_prefix(text, want), kQ8_0GoldenPrefixBytes) << text;

  if (const std::string why = quant::llama_cpp_missing(); !why.empty()) GTEST_SKIP() << why;
  std::string llama_text, why;
  ASSERT_TRUE(quant::llama_cpp_generate(q8, &llama_text, &why)) << why;
  EXPECT_GE(common_prefix(text, llama_text), kQ8_0GoldenPrefixBytes) << "llama.cpp:\n" << llama_text;
}

}  // namespace
}  // namespace greenllm::engine
