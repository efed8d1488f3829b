// Synthetic models: the shapes of the real models they copy, deterministic random weights with the
// documented statistics (std 0.02, 1% outlier input channels), a vocabulary that loads, and runs.
#include "model/synth.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/fp16.h"
#include "core/thread_pool.h"
#include "formats/gguf.h"
#include "model/llama_forward.h"
#include "model/model_loader.h"
#include "test_util.h"

namespace greenllm::model {
namespace {

TEST(Synth, TinyLlamaShapesHaveTinyLlamasParameterCount) {
  // TinyLlama-1.1B's config.json: hidden 2048, 22 layers, 32 heads, 4 KV heads, intermediate 5632,
  // vocab 32000, untied: 1,100,048,384 parameters (the count its model card rounds to 1.1B).
  auto spec = find_synth_spec("tinyllama-1.1b");
  ASSERT_TRUE(spec.is_ok());
  const auto& h = spec->hp;
  const int64_t per_layer = h.n_embd * h.q_dim() * 2 + h.n_embd * h.kv_dim() * 2 + 3 * h.n_embd * h.n_ff + 2 * h.n_embd;
  EXPECT_EQ(2 * h.n_vocab * h.n_embd + h.n_layer * per_layer + h.n_embd, 1100048384);
  EXPECT_FALSE(find_synth_spec("gpt-5").is_ok());
}

TEST(Synth, DeterministicStatisticsAndLoads) {
  auto spec = find_synth_spec("tiny");
  ASSERT_TRUE(spec.is_ok());
  SynthOptions opts;
  opts.type = GgmlType::F32;
  opts.threads = 2;
  const std::string a = test::temp_path("synth_a.gguf"), b = test::temp_path("synth_b.gguf"),
                    c = test::temp_path("synth_c.gguf");
  ASSERT_TRUE(write_synth_model(*spec, opts, a).is_ok());
  opts.threads = 1;  // the thread count does not change the file
  ASSERT_TRUE(write_synth_model(*spec, opts, b).is_ok());
  opts.seed = 2;
  ASSERT_TRUE(write_synth_model(*spec, opts, c).is_ok());
  EXPECT_EQ(test::read_file(a), test::read_file(b));
  EXPECT_NE(test::read_file(a), test::read_file(c));

  auto file = formats::GgufFile::open(a);
  ASSERT_TRUE(file.is_ok()) << file.message();
  // ffn_gate of the tiny shape: 128 rows of 64 inputs. Per input channel RMS: ~0.02, outliers ~0.16.
  const auto* t = (*file)->find_tensor("blk.0.ffn_gate.weight");
  ASSERT_NE(t, nullptr);
  const int64_t n_in = t->shape[0], n_out = t->shape[1];
  const float* w = reinterpret_cast<const float*>(t->data);
  double total = 0;
  int n_outlier_channels = 0;
  for (int64_t k = 0; k < n_in; ++k) {
    double ss = 0;
    for (int64_t r = 0; r < n_out; ++r) ss += double(w[r * n_in + k]) * w[r * n_in + k];
    const double rms = std::sqrt(ss / double(n_out));
    if (rms > 0.08) ++n_outlier_channels;
    else total += ss;
  }
  EXPECT_NEAR(std::sqrt(total / double((n_in - n_outlier_channels) * n_out)), 0.02, 0.002);
  // Over every matrix of the model, about 1% of the input channels are outliers.
  int64_t channels = 0, outliers = 0;
  for (const auto& ti : (*file)->tensors()) {
    if (ti.shape.size() != 2) continue;
    const float* m = reinterpret_cast<const float*>(ti.data);
    for (int64_t k = 0; k < ti.shape[0]; ++k) {
      double ss = 0;
      for (int64_t r = 0; r < ti.shape[1]; ++r) ss += double(m[r * ti.shape[0] + k]) * m[r * ti.shape[0] + k];
      ++channels;
      if (std::sqrt(ss / double(ti.shape[1])) > 0.08) ++outliers;
    }
  }
  EXPECT_GT(outliers, 0);
  EXPECT_LT(double(outliers) / double(channels), 0.03);

  auto loaded = load_model(a);
  ASSERT_TRUE(loaded.is_ok()) << loaded.message();
  EXPECT_EQ(loaded->model->hparams.n_vocab, spec->hp.n_vocab);
  ThreadPool pool(1);
  LlamaForward fwd(*loaded->model, pool);
  SequenceState seq(loaded->model->hparams, 16);
  std::vector<float> logits;
  const std::vector<int32_t> toks = {1, 300, 5};
  ASSERT_TRUE(fwd.forward(seq, toks, logits).is_ok());
  for (float v : logits) ASSERT_TRUE(std::isfinite(v));
}

TEST(Synth, VocabularyFromAnotherGguf) {
  GREENLLM_REQUIRE_FIXTURE(stories, model_fixture, "stories260K.gguf");
  auto spec = find_synth_spec("tiny");
  ASSERT_TRUE(spec.is_ok());
  SynthOptions opts;
  opts.vocab_from = stories;
  const std::string out = test::temp_path("synth_vocab.gguf");
  auto st = write_synth_model(*spec, opts, out);
  ASSERT_FALSE(st.is_ok());  // 320 tokens needed, 512 given
  EXPECT_NE(st.message().find("512 tokens"), std::string::npos) << st.message();
  spec->hp.n_vocab = 512;
  ASSERT_TRUE(write_synth_model(*spec, opts, out).is_ok());
  auto loaded = load_model(out);
  ASSERT_TRUE(loaded.is_ok()) << loaded.message();
  // stories260K's tokenizer: "Once upon a time" -> 403 407 261 378 (../shared/models/README.md).
  EXPECT_EQ(loaded->tokenizer->encode("Once upon a time", false, false), (std::vector<int32_t>{403, 407, 261, 378}));
}

}  // namespace
}  // namespace greenllm::model
