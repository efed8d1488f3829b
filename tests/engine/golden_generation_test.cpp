// Greedy generation on the real tiny models reproduces the golden texts that llama2.c's run.c and
// llama.cpp produce (files in ../shared/models, read in place), through the engine API.
#include <gtest/gtest.h>

#include "core/thread_pool.h"
#include "engine/generator.h"
#include "model/model_loader.h"
#include "test_util.h"

namespace greenllm::engine {
namespace {

std::string greedy_from_bos(const std::string& model, const std::string& tokenizer, int64_t n, int threads) {
  auto loaded = model::load_model(model, tokenizer);
  EXPECT_TRUE(loaded.is_ok()) << loaded.message();
  if (!loaded.is_ok()) return {};
  ThreadPool pool(threads);
  model::LlamaForward fwd(*loaded->model, pool);
  model::SequenceState seq(loaded->model->hparams, loaded->model->hparams.n_ctx_train);
  GenerateParams params;
  params.n_predict = n;
  params.sampling.temperature = 0.0f;
  std::string text;
  auto stats = generate(fwd, seq, *loaded->tokenizer, {loaded->tokenizer->bos_id()}, params,
                        [&](std::string_view piece) { text += piece; });
  EXPECT_TRUE(stats.is_ok()) << stats.message();
  if (stats.is_ok()) {
    EXPECT_EQ(stats->n_generated_tokens, n);
  }
  return text;
}

TEST(GoldenGeneration, Stories260KGguf) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden, model_fixture, "stories260K.greedy256.txt");
  for (int threads : {1, 2}) EXPECT_EQ(greedy_from_bos(model, "", 256, threads), test::read_file(golden));
}

TEST(GoldenGeneration, Stories260KLlama2c) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.bin");
  GREENLLM_REQUIRE_FIXTURE(tok, model_fixture, "tok512.bin");
  GREENLLM_REQUIRE_FIXTURE(golden, model_fixture, "stories260K.greedy256.txt");
  EXPECT_EQ(greedy_from_bos(model, tok, 256, 2), test::read_file(golden));
}

TEST(GoldenGeneration, TinyStories5M) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "tinystories-5m.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden, model_fixture, "tinystories-5m.greedy200.txt");
  EXPECT_EQ(greedy_from_bos(model, "", 200, 2), test::read_file(golden));
}

TEST(GoldenGeneration, StopStringEndsBeforeItAndEosEnds) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden, model_fixture, "stories260K.greedy256.txt");
  auto loaded = model::load_model(model);
  ASSERT_TRUE(loaded.is_ok()) << loaded.message();
  ThreadPool pool(1);
  model::LlamaForward fwd(*loaded->model, pool);
  model::SequenceState seq(loaded->model->hparams, 256);
  GenerateParams params;
  params.n_predict = 256;
  params.sampling.temperature = 0.0f;
  params.stop = {"named Lily"};
  std::string text;
  auto stats = generate(fwd, seq, *loaded->tokenizer, {1}, params, [&](std::string_view p) { text += p; });
  ASSERT_TRUE(stats.is_ok()) << stats.message();
  EXPECT_EQ(stats->stop_reason, StopReason::STOP_STRING);
  const std::string g = test::read_file(golden);
  EXPECT_EQ(text, g.substr(0, g.find("named Lily")));
}

TEST(GoldenGeneration, LlamaToLlama2cMismatchIsAnError) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.bin");
  auto loaded = model::load_model(model);  // no tokenizer given
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_NE(loaded.message().find("--tokenizer"), std::string::npos) << loaded.message();
}

TEST(GoldenGeneration, TruncatedLlama2cCheckpointIsAnError) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.bin");
  GREENLLM_REQUIRE_FIXTURE(tok, model_fixture, "tok512.bin");
  const std::string bytes = test::read_file(model);
  const std::string cut = test::temp_path("truncated.bin");
  {
    FILE* f = std::fopen(cut.c_str(), "wb");
    std::fwrite(bytes.data(), 1, bytes.size() / 2, f);
    std::fclose(f);
  }
  auto loaded = model::load_model(cut, tok);
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_NE(loaded.message().find("truncated"), std::string::npos) << loaded.message();
  EXPECT_NE(loaded.message().find(cut), std::string::npos) << loaded.message();
}

}  // namespace
}  // namespace greenllm::engine
