// The fast forward pass against a naive double-precision Llama written here from the model
// definition, on small random models the test writes as GGUF files, covering every option:
// RoPE NORM/NEOX, partial rotary, frequency base, linear scaling, Llama 3.1 rope_freqs, GQA,
// q/k/v biases, tied embeddings, F32/F16/BF16 weights; prefill and decode.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "core/fp16.h"
#include "core/thread_pool.h"
#include "formats/gguf.h"
#include "model/llama_forward.h"
#include "model/llama_model.h"
#include "quant/reference.h"
#include "test_util.h"

namespace greenllm::model {
namespace {

struct Case {
  std::string name;
  std::string arch = "llama";  // llama: NORM rope; qwen2: NEOX
  int n_embd = 32, n_layer = 2, n_head = 4, n_head_kv = 4, head_dim = 8, n_rot = 8, n_ff = 48, n_vocab = 40;
  float rope_base = 10000.0f;
  float linear_factor = 1.0f;  // written as rope.scaling.type = linear
  bool rope_freqs = false;
  bool biases = false;
  bool tied = false;
  GgmlType type = GgmlType::F32;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// Values as the file holds them (after rounding to the weight type), and the writer's bytes.
struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<double> values;  // row-major (n_out, n_in)
  std::vector<uint8_t> bytes;
  GgmlType type;
};

struct TestModel {
  Case c;
  std::vector<Tensor> tensors;
  const Tensor& get(const std::string& name) const {
    for (const auto& t : tensors)
      if (t.name == name) return t;
    throw std::runtime_error("no tensor " + name);
  }
  bool has(const std::string& name) const {
    for (const auto& t : tensors)
      if (t.name == name) return true;
    return false;
  }
};

TestModel make_model(const Case& c, uint64_t seed) {
  TestModel m{c, {}};
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  auto add = [&](const std::string& name, int64_t n_in, int64_t n_out, double scale, double offset, GgmlType type) {
    Tensor t{name, n_out == 0 ? std::vector<int64_t>{n_in} : std::vector<int64_t>{n_in, n_out}, {}, {}, type};
    const int64_t n = n_in * std::max<int64_t>(n_out, 1);
    if (const auto* qt = quant::quant_traits(type)) {
      // Quantized with the reference quantizer (byte-exact with llama-quantize, tests/quant); the
      // reference forward uses the values the blocks decode to.
      std::vector<float> x(static_cast<size_t>(n)), back(static_cast<size_t>(n));
      for (auto& v : x) v = float(offset + scale * normal(rng));
      t.bytes.resize(size_t(n / qt->block_elems * qt->block_bytes));
      qt->quantize_row(x.data(), t.bytes.data(), n);
      qt->dequantize_row(t.bytes.data(), back.data(), n);
      t.values.assign(back.begin(), back.end());
      m.tensors.push_back(std::move(t));
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      const float v = float(offset + scale * normal(rng));
      if (type == GgmlType::F32) {
        t.values.push_back(v);
        t.bytes.resize(t.bytes.size() + 4);
        std::memcpy(t.bytes.data() + 4 * i, &v, 4);
      } else {
        const uint16_t h = type == GgmlType::F16 ? f32_to_f16(v) : f32_to_bf16(v);
        t.values.push_back(type == GgmlType::F16 ? f16_to_f32(h) : bf16_to_f32(h));
        t.bytes.resize(t.bytes.size() + 2);
        std::memcpy(t.bytes.data() + 2 * i, &h, 2);
      }
    }
    m.tensors.push_back(std::move(t));
  };
  const int q_dim = c.n_head * c.head_dim, kv_dim = c.n_head_kv * c.head_dim;
  const double w_scale = 0.3;
  add("token_embd.weight", c.n_embd, c.n_vocab, 1.0, 0.0, c.type);
  add("output_norm.weight", c.n_embd, 0, 0.1, 1.0, GgmlType::F32);
  if (!c.tied) add("output.weight", c.n_embd, c.n_vocab, w_scale, 0.0, c.type);
  if (c.rope_freqs) {
    // Llama 3.1-like factors: 1 for high frequencies, up to 8 for low ones.
    Tensor t{"rope_freqs.weight", {c.n_rot / 2}, {}, {}, GgmlType::F32};
    for (int i = 0; i < c.n_rot / 2; ++i) {
      const float f = 1.0f + 7.0f * float(i) / float(c.n_rot / 2 - 1);
      t.values.push_back(f);
      t.bytes.resize(t.bytes.size() + 4);
      std::memcpy(t.bytes.data() + 4 * i, &f, 4);
    }
    m.tensors.push_back(std::move(t));
  }
  for (int l = 0; l < c.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    add(p + "attn_norm.weight", c.n_embd, 0, 0.1, 1.0, GgmlType::F32);
    add(p + "attn_q.weight", c.n_embd, q_dim, w_scale, 0.0, c.type);
    add(p + "attn_k.weight", c.n_embd, kv_dim, w_scale, 0.0, c.type);
    add(p + "attn_v.weight", c.n_embd, kv_dim, w_scale, 0.0, c.type);
    if (c.biases) {
      add(p + "attn_q.bias", q_dim, 0, 0.2, 0.0, GgmlType::F32);
      add(p + "attn_k.bias", kv_dim, 0, 0.2, 0.0, GgmlType::F32);
      add(p + "attn_v.bias", kv_dim, 0, 0.2, 0.0, GgmlType::F32);
    }
    add(p + "attn_output.weight", q_dim, c.n_embd, w_scale, 0.0, c.type);
    add(p + "ffn_norm.weight", c.n_embd, 0, 0.1, 1.0, GgmlType::F32);
    add(p + "ffn_gate.weight", c.n_embd, c.n_ff, w_scale, 0.0, c.type);
    add(p + "ffn_up.weight", c.n_embd, c.n_ff, w_scale, 0.0, c.type);
    add(p + "ffn_down.weight", c.n_ff, c.n_embd, w_scale, 0.0, c.type);
  }
  return m;
}

std::string write_model(const TestModel& m, const std::string& path) {
  const Case& c = m.c;
  formats::GgufContent content;
  const std::string a = c.arch + ".";
  content.set("general.architecture", formats::GgufValue::string(c.arch));
  content.set(a + "context_length", formats::GgufValue::u32(64));
  content.set(a + "embedding_length", formats::GgufValue::u32(uint32_t(c.n_embd)));
  content.set(a + "block_count", formats::GgufValue::u32(uint32_t(c.n_layer)));
  content.set(a + "feed_forward_length", formats::GgufValue::u32(uint32_t(c.n_ff)));
  content.set(a + "attention.head_count", formats::GgufValue::u32(uint32_t(c.n_head)));
  content.set(a + "attention.head_count_kv", formats::GgufValue::u32(uint32_t(c.n_head_kv)));
  content.set(a + "attention.key_length", formats::GgufValue::u32(uint32_t(c.head_dim)));
  content.set(a + "attention.layer_norm_rms_epsilon", formats::GgufValue::f32(1e-5f));
  content.set(a + "rope.freq_base", formats::GgufValue::f32(c.rope_base));
  content.set(a + "rope.dimension_count", formats::GgufValue::u32(uint32_t(c.n_rot)));
  content.set(a + "vocab_size", formats::GgufValue::u32(uint32_t(c.n_vocab)));
  if (c.linear_factor != 1.0f) {
    content.set(a + "rope.scaling.type", formats::GgufValue::string("linear"));
    content.set(a + "rope.scaling.factor", formats::GgufValue::f32(c.linear_factor));
  }
  for (const auto& t : m.tensors)
    content.tensors.push_back({t.name, t.type, t.shape, t.bytes.data(), t.bytes.size()});
  const auto st = formats::write_gguf(path, content);
  EXPECT_TRUE(st.is_ok()) << st.message();
  return path;
}

// Naive double-precision Llama: returns logits (n_tokens, n_vocab) for a prompt processed from position 0.
std::vector<std::vector<double>> reference_forward(const TestModel& m, const std::vector<int32_t>& tokens) {
  const Case& c = m.c;
  const int D = c.n_embd, hd = c.head_dim, q_dim = c.n_head * hd, kv_dim = c.n_head_kv * hd;
  const size_t T = tokens.size();
  auto matvec = [](const Tensor& w, const std::vector<double>& x) {
    const int64_t n_in = w.shape[0], n_out = w.shape[1];
    std::vector<double> y(size_t(n_out), 0.0);
    for (int64_t r = 0; r < n_out; ++r)
      for (int64_t k = 0; k < n_in; ++k) y[size_t(r)] += w.values[size_t(r * n_in + k)] * x[size_t(k)];
    return y;
  };
  auto rmsnorm = [&](const std::vector<double>& x, const Tensor& w) {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double s = 1.0 / std::sqrt(ss / double(x.size()) + 1e-5);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * s * w.values[i];
    return y;
  };
  auto rope = [&](std::vector<double>& v, int n_heads, size_t pos) {
    const int half = c.n_rot / 2;
    for (int h = 0; h < n_heads; ++h)
      for (int i = 0; i < half; ++i) {
        double theta = double(pos) / c.linear_factor * std::pow(double(c.rope_base), -2.0 * i / c.n_rot);
        if (c.rope_freqs) theta /= m.get("rope_freqs.weight").values[size_t(i)];
        // llama (Meta) layout rotates adjacent pairs; NeoX layout pairs i with i + half.
        const int i0 = c.arch == "llama" ? 2 * i : i, i1 = c.arch == "llama" ? 2 * i + 1 : i + half;
        double& a = v[size_t(h * hd + i0)];
        double& b = v[size_t(h * hd + i1)];
        const double na = a * std::cos(theta) - b * std::sin(theta), nb = a * std::sin(theta) + b * std::cos(theta);
        a = na;
        b = nb;
      }
  };
  std::vector<std::vector<double>> x(T), kcache[8], vcache[8];
  const Tensor& emb = m.get("token_embd.weight");
  for (size_t t = 0; t < T; ++t)
    x[t].assign(emb.values.begin() + tokens[t] * D, emb.values.begin() + (tokens[t] + 1) * D);
  for (int l = 0; l < c.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    for (size_t t = 0; t < T; ++t) {
      auto xn = rmsnorm(x[t], m.get(p + "attn_norm.weight"));
      auto q = matvec(m.get(p + "attn_q.weight"), xn);
      auto k = matvec(m.get(p + "attn_k.weight"), xn);
      auto v = matvec(m.get(p + "attn_v.weight"), xn);
      if (c.biases) {
        for (int i = 0; i < q_dim; ++i) q[size_t(i)] += m.get(p + "attn_q.bias").values[size_t(i)];
        for (int i = 0; i < kv_dim; ++i) k[size_t(i)] += m.get(p + "attn_k.bias").values[size_t(i)];
        for (int i = 0; i < kv_dim; ++i) v[size_t(i)] += m.get(p + "attn_v.bias").values[size_t(i)];
      }
      rope(q, c.n_head, t);
      rope(k, c.n_head_kv, t);
      kcache[l].push_back(k);
      vcache[l].push_back(v);
      std::vector<double> att(size_t(q_dim), 0.0);
      for (int h = 0; h < c.n_head; ++h) {
        const int g = h / (c.n_head / c.n_head_kv);
        std::vector<double> s(t + 1);
        double mx = -1e300;
        for (size_t j = 0; j <= t; ++j) {
          double d = 0;
          for (int i = 0; i < hd; ++i) d += q[size_t(h * hd + i)] * kcache[l][j][size_t(g * hd + i)];
          s[j] = d / std::sqrt(double(hd));
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (auto& e : s) sum += e = std::exp(e - mx);
        for (size_t j = 0; j <= t; ++j)
          for (int i = 0; i < hd; ++i) att[size_t(h * hd + i)] += s[j] / sum * vcache[l][j][size_t(g * hd + i)];
      }
      auto o = matvec(m.get(p + "attn_output.weight"), att);
      for (int i = 0; i < D; ++i) x[t][size_t(i)] += o[size_t(i)];
      xn = rmsnorm(x[t], m.get(p + "ffn_norm.weight"));
      auto gt = matvec(m.get(p + "ffn_gate.weight"), xn);
      auto up = matvec(m.get(p + "ffn_up.weight"), xn);
      for (size_t i = 0; i < gt.size(); ++i) gt[i] = gt[i] / (1.0 + std::exp(-gt[i])) * up[i];
      auto dn = matvec(m.get(p + "ffn_down.weight"), gt);
      for (int i = 0; i < D; ++i) x[t][size_t(i)] += dn[size_t(i)];
    }
  }
  std::vector<std::vector<double>> logits;
  const Tensor& out = m.has("output.weight") ? m.get("output.weight") : emb;
  for (size_t t = 0; t < T; ++t) logits.push_back(matvec(out, rmsnorm(x[t], m.get("output_norm.weight"))));
  return logits;
}

class ForwardReference : public ::testing::TestWithParam<Case> {};

TEST_P(ForwardReference, PrefillAndDecodeMatchDoublePrecision) {
  const Case c = GetParam();
  const TestModel m = make_model(c, 42);
  const std::string path = write_model(m, test::temp_path("fwd_" + c.name + ".gguf"));
  auto file = formats::GgufFile::open(path);
  ASSERT_TRUE(file.is_ok()) << file.message();
  auto model = load_llama_from_gguf(std::shared_ptr<const formats::GgufFile>(std::move(*file)));
  ASSERT_TRUE(model.is_ok()) << model.message();
  EXPECT_EQ((*model)->tied_embeddings, c.tied);

  const std::vector<int32_t> tokens = {1, 7, 3, 39, 0, 12, 12, 25, 4, 18, 33, 2, 9};
  const auto ref = reference_forward(m, tokens);

  // Half precision rounds the activations nowhere (weights only), so the error is F32 arithmetic.
  const double tol = 2e-4;
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    LlamaForward fwd(**model, pool, /*max_batch=*/5);  // forces chunking of the 13-token prompt
    SequenceState prefill_seq((*model)->hparams, 32);
    std::vector<float> all;
    ASSERT_TRUE(fwd.forward(prefill_seq, tokens, all, /*all_logits=*/true).is_ok());
    SequenceState decode_seq((*model)->hparams, 32);
    for (size_t t = 0; t < tokens.size(); ++t) {
      std::vector<float> one;
      ASSERT_TRUE(fwd.forward(decode_seq, std::span<const int32_t>(&tokens[t], 1), one).is_ok());
      double scale = 0;
      for (double v : ref[t]) scale = std::max(scale, std::abs(v));
      for (int i = 0; i < c.n_vocab; ++i) {
        ASSERT_NEAR(all[t * size_t(c.n_vocab) + size_t(i)], ref[t][size_t(i)], tol * (1 + scale))
            << c.name << " prefill token " << t << " logit " << i << " threads " << threads;
        // Batch invariance: decode computes exactly what the batched prefill computed.
        ASSERT_EQ(one[size_t(i)], all[t * size_t(c.n_vocab) + size_t(i)])
            << c.name << " decode differs from prefill at token " << t << " logit " << i;
      }
    }
  }
}

Case make_case(std::string name, auto&& edit) {
  Case c;
  c.name = std::move(name);
  edit(c);
  return c;
}

INSTANTIATE_TEST_SUITE_P(
    AllOptions, ForwardReference,
    ::testing::Values(make_case("llama_f32", [](Case&) {}),
                      make_case("gqa_f16", [](Case& c) { c.n_head_kv = 2; c.type = GgmlType::F16; }),
                      make_case("mqa_bf16", [](Case& c) { c.n_head_kv = 1; c.type = GgmlType::BF16; }),
                      make_case("qwen2_neox_bias_tied", [](Case& c) {
                        c.arch = "qwen2"; c.biases = true; c.tied = true; c.n_head_kv = 2; c.rope_base = 1e6f;
                      }),
                      make_case("partial_rotary_neox", [](Case& c) { c.arch = "qwen2"; c.n_rot = 4; }),
                      make_case("partial_rotary_norm", [](Case& c) { c.n_rot = 6; }),
                      make_case("linear_scaling", [](Case& c) { c.linear_factor = 4.0f; }),
                      make_case("llama31_rope_freqs", [](Case& c) { c.rope_freqs = true; c.rope_base = 500000.0f; c.n_head_kv = 2; }),
                      make_case("head_dim_not_embd_over_heads", [](Case& c) { c.head_dim = 16; c.n_rot = 16; }),
                      // 32 heads of 64: the later prompt chunks cross the threshold above which attention is
                      // spread over the threads, so that path is checked too.
                      make_case("threaded_attention", [](Case& c) {
                        c.n_head = 32; c.n_head_kv = 8; c.head_dim = 64; c.n_rot = 64;
                      }),
                      make_case("q8_0", [](Case& c) { c.n_ff = 64; c.type = GgmlType::Q8_0; c.n_head_kv = 2; }),
                      make_case("q4_0_tied", [](Case& c) { c.n_ff = 64; c.type = GgmlType::Q4_0; c.tied = true; }),
                      make_case("q5_1", [](Case& c) { c.n_ff = 96; c.type = GgmlType::Q5_1; }),
                      // K-quants need rows that are multiples of 256.
                      make_case("q4_k", [](Case& c) {
                        c.n_embd = 256; c.n_head = 4; c.n_head_kv = 2; c.head_dim = 64; c.n_rot = 64; c.n_ff = 256;
                        c.type = GgmlType::Q4_K;
                      }),
                      make_case("q6_k", [](Case& c) {
                        c.n_embd = 256; c.n_head = 4; c.head_dim = 64; c.n_rot = 64; c.n_ff = 512; c.type = GgmlType::Q6_K;
                      }),
                      make_case("odd_sizes_f16", [](Case& c) {
                        c.n_embd = 36; c.n_ff = 43; c.n_vocab = 53; c.head_dim = 6; c.n_rot = 6; c.n_head = 6;
                        c.n_head_kv = 3; c.type = GgmlType::F16; c.tied = true;
                      })),
    [](const auto& info) { return info.param.name; });

TEST(ForwardErrors, TokenOutOfRangeAndContextFull) {
  const TestModel m = make_model(Case{}, 1);
  const std::string path = write_model(m, test::temp_path("fwd_errors.gguf"));
  auto file = formats::GgufFile::open(path);
  ASSERT_TRUE(file.is_ok()) << file.message();
  auto model = load_llama_from_gguf(std::shared_ptr<const formats::GgufFile>(std::move(*file)));
  ASSERT_TRUE(model.is_ok()) << model.message();
  ThreadPool pool(1);
  LlamaForward fwd(**model, pool);
  SequenceState seq((*model)->hparams, 4);
  std::vector<float> logits;
  const std::vector<int32_t> bad = {1, 40};
  auto st = fwd.forward(seq, bad, logits);
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("outside the vocabulary"), std::string::npos) << st.message();
  const std::vector<int32_t> five = {1, 2, 3, 4, 5};
  st = fwd.forward(seq, five, logits);
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("context full"), std::string::npos) << st.message();
}

TEST(ForwardErrors, TypesWithoutKernelsAreRefusedByName) {
  TestModel m = make_model(Case{}, 3);
  // Replace one matrix with an IQ4_NL tensor of the right byte size (18 bytes per 32 elements): a
  // type GGUF defines and greenllm has no kernel or dequantizer for.
  for (auto& t : m.tensors)
    if (t.name == "blk.1.ffn_up.weight") {
      t.type = GgmlType::IQ4_NL;
      t.bytes.assign(size_t(t.shape[0] / 32 * 18 * t.shape[1]), 0);
    }
  const std::string path = write_model(m, test::temp_path("fwd_q8.gguf"));
  auto file = formats::GgufFile::open(path);
  ASSERT_TRUE(file.is_ok()) << file.message();
  auto model = load_llama_from_gguf(std::shared_ptr<const formats::GgufFile>(std::move(*file)));
  ASSERT_FALSE(model.is_ok());
  EXPECT_NE(model.message().find("blk.1.ffn_up.weight has type iq4_nl"), std::string::npos) << model.message();
}

}  // namespace
}  // namespace greenllm::model
