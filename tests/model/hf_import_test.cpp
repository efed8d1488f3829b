// Hugging Face import against an independent reference: tiny checkpoints the test writes itself
// (Llama, Mistral, Qwen2; F32/F16/BF16; sharded, aliased, tied; RoPE scaling), converted to GGUF and
// run through load_llama_from_gguf + LlamaForward, give the logits of a naive double-precision
// forward computed directly on the Hugging Face tensors with Hugging Face's rotate_half RoPE on the
// un-permuted q/k, so a wrong un-permutation cannot pass. The real tinystories-656k checkpoint
// converts, matches the same reference and greedy-decodes its golden text.
#include "model/hf_import.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <random>

#include "core/fp16.h"
#include "core/thread_pool.h"
#include "formats/gguf.h"
#include "formats/safetensors.h"
#include "formats/safetensors_writer.h"
#include "model/hf_llama_tensors.h"
#include "model/llama_forward.h"
#include "model/llama_model.h"
#include "test_util.h"

namespace greenllm::model {
namespace {

using ojson = nlohmann::ordered_json;
using test::fresh_dir;

struct HfCase {
  std::string name;
  std::string arch = "LlamaForCausalLM";
  int n_embd = 32, n_layer = 2, n_head = 4, n_kv = 2, head_dim = 0, n_ff = 48, n_vocab = 40;  // head_dim 0: absent
  std::string dtype = "F32";
  std::optional<GgmlType> out_type;  // nullopt: the checkpoint's own
  bool tied = false;
  bool alias = false;  // tied, stored as lm_head.weight with the embeddings as a metadata alias
  int n_shards = 1;
  double theta = 10000.0;
  std::string rope_scaling;  // "", "linear", "llama3"
  double factor = 1.0;
  bool biases = false;  // q/k/v biases (Qwen2 always; Llama with attention_bias)
  double eps = 1e-6;

  int hd() const { return head_dim ? head_dim : n_embd / n_head; }
};
void PrintTo(const HfCase& c, std::ostream* os) { *os << c.name; }

// llama3 scaling parameters of the test cases: chosen so that the four frequencies of a head of 8
// (wavelengths 6.3, 63, 628, 6283 with theta 1e4) fall in all three regions (< 32, between, > 256).
constexpr double kL3Low = 1.0, kL3High = 8.0, kL3OldCtx = 256.0;

struct HfTensor {
  std::vector<int64_t> shape;  // Hugging Face (row-major) order
  std::vector<double> values;  // as stored (after rounding to the dtype)
  std::string dtype;
};

struct HfModel {
  HfCase c;
  std::map<std::string, HfTensor> t;
  const HfTensor& get(const std::string& name) const {
    auto it = t.find(name);
    if (it == t.end()) throw std::runtime_error("no tensor " + name);
    return it->second;
  }
};

double round_to(double v, const std::string& dtype) {
  const float f = float(v);
  if (dtype == "F16") return f16_to_f32(f32_to_f16(f));
  if (dtype == "BF16") return bf16_to_f32(f32_to_bf16(f));
  return f;
}

HfModel make_hf_model(const HfCase& c, uint64_t seed) {
  HfModel m{c, {}};
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  auto add = [&](const std::string& name, std::vector<int64_t> shape, double scale, double offset) {
    HfTensor t{shape, {}, c.dtype};
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    for (int64_t i = 0; i < n; ++i) t.values.push_back(round_to(offset + scale * normal(rng), c.dtype));
    m.t[name] = std::move(t);
  };
  const test::HfLlamaDims dims{.n_vocab = c.n_vocab,
                               .n_embd = c.n_embd,
                               .n_layer = c.n_layer,
                               .q_dim = c.n_head * c.hd(),
                               .kv_dim = c.n_kv * c.hd(),
                               .n_ff = c.n_ff,
                               .tied = c.tied,
                               .biases = c.biases};
  test::for_each_hf_llama_tensor(dims, test::HfRandomScales{}, add);
  return m;
}

ojson config_json(const HfCase& c) {
  ojson j;
  j["architectures"] = {c.arch};
  j["hidden_size"] = c.n_embd;
  j["num_hidden_layers"] = c.n_layer;
  j["num_attention_heads"] = c.n_head;
  j["num_key_value_heads"] = c.n_kv;
  if (c.head_dim) j["head_dim"] = c.head_dim;
  j["intermediate_size"] = c.n_ff;
  j["vocab_size"] = c.n_vocab;
  j["max_position_embeddings"] = 64;
  j["rms_norm_eps"] = c.eps;
  j["rope_theta"] = c.theta;
  j["hidden_act"] = "silu";
  j["tie_word_embeddings"] = c.tied;
  j["torch_dtype"] = "float32";
  if (c.arch == "LlamaForCausalLM") j["attention_bias"] = c.biases;
  if (c.rope_scaling == "linear") j["rope_scaling"] = {{"type", "linear"}, {"factor", c.factor}};
  else if (c.rope_scaling == "llama3")
    j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", c.factor}, {"low_freq_factor", kL3Low},
                         {"high_freq_factor", kL3High}, {"original_max_position_embeddings", kL3OldCtx}};
  else j["rope_scaling"] = nullptr;
  return j;
}

// Writes config.json and the weights (one file, or n_shards with an index; with `alias`, the
// embeddings only as a metadata alias of lm_head.weight, as safetensors' save_model does).
void write_hf(const HfModel& m, const std::string& dir) {
  const HfCase& c = m.c;
  std::ofstream(dir + "/config.json") << config_json(c).dump(2);
  std::vector<test::StTensor> all;
  for (const auto& [name, t] : m.t) {
    std::vector<float> f(t.values.begin(), t.values.end());
    std::string stored = name;
    if (c.alias && name == "model.embed_tokens.weight") stored = "lm_head.weight";
    all.push_back(test::st_tensor(stored, t.dtype, t.shape, f));
  }
  std::map<std::string, std::string> meta = {{"format", "pt"}};
  if (c.alias) meta["model.embed_tokens.weight"] = "lm_head.weight";
  if (c.n_shards == 1) {
    test::st_write(dir + "/model.safetensors", all, meta);
    return;
  }
  std::vector<std::vector<test::StTensor>> shards(size_t(c.n_shards));
  for (size_t i = 0; i < all.size(); ++i) shards[i % shards.size()].push_back(all[i]);
  test::st_write_sharded(dir, shards);
  if (c.alias) {  // rewrite the shard holding lm_head.weight with the alias in its metadata
    for (size_t s = 0; s < shards.size(); ++s)
      for (const auto& t : shards[s])
        if (t.name == "lm_head.weight") {
          char name[64];
          std::snprintf(name, sizeof name, "/model-%05zu-of-%05zu.safetensors", s + 1, shards.size());
          test::st_write(dir + name, shards[s], meta);
        }
  }
}

// Inverse frequencies of Hugging Face's rotary embedding (modeling_rope_utils), in double.
std::vector<double> hf_inv_freq(const HfCase& c) {
  const int d = c.hd();
  std::vector<double> inv(size_t(d / 2));
  for (int i = 0; i < d / 2; ++i) inv[size_t(i)] = 1.0 / std::pow(c.theta, double(2 * i) / d);
  if (c.rope_scaling == "linear")
    for (double& f : inv) f /= c.factor;
  if (c.rope_scaling == "llama3") {
    const double low_wavelen = kL3OldCtx / kL3Low, high_wavelen = kL3OldCtx / kL3High;
    for (double& f : inv) {
      const double wavelen = 2 * std::numbers::pi / f;
      if (wavelen > low_wavelen) {
        f /= c.factor;
      } else if (wavelen >= high_wavelen) {
        const double smooth = (kL3OldCtx / wavelen - kL3Low) / (kL3High - kL3Low);
        f = (1 - smooth) * f / c.factor + smooth * f;
      }
    }
  }
  return inv;
}

// Naive double-precision forward of the Hugging Face model: logits (n_tokens, n_vocab).
std::vector<std::vector<double>> hf_reference(const HfModel& m, const std::vector<int32_t>& tokens) {
  const HfCase& c = m.c;
  const int D = c.n_embd, hd = c.hd(), half = hd / 2, q_dim = c.n_head * hd, kv_dim = c.n_kv * hd;
  const size_t T = tokens.size();
  auto linear = [](const HfTensor& w, const std::vector<double>& x) {  // y = W x, W (n_out, n_in)
    const int64_t n_out = w.shape[0], n_in = w.shape[1];
    std::vector<double> y(size_t(n_out), 0.0);
    for (int64_t r = 0; r < n_out; ++r)
      for (int64_t k = 0; k < n_in; ++k) y[size_t(r)] += w.values[size_t(r * n_in + k)] * x[size_t(k)];
    return y;
  };
  auto rmsnorm = [&](const std::vector<double>& x, const HfTensor& w) {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double s = 1.0 / std::sqrt(ss / double(x.size()) + c.eps);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = w.values[i] * (x[i] * s);
    return y;
  };
  const std::vector<double> inv_freq = hf_inv_freq(c);
  // q * cos + rotate_half(q) * sin, rotate_half(x) = cat(-x[half:], x[:half]).
  auto rope = [&](std::vector<double>& v, int n_heads, size_t pos) {
    for (int h = 0; h < n_heads; ++h)
      for (int i = 0; i < half; ++i) {
        const double a = double(pos) * inv_freq[size_t(i)];
        double& x1 = v[size_t(h * hd + i)];
        double& x2 = v[size_t(h * hd + i + half)];
        const double n1 = x1 * std::cos(a) - x2 * std::sin(a), n2 = x2 * std::cos(a) + x1 * std::sin(a);
        x1 = n1;
        x2 = n2;
      }
  };
  const HfTensor& emb = m.get("model.embed_tokens.weight");
  std::vector<std::vector<double>> x(T);
  for (size_t t = 0; t < T; ++t)
    x[t].assign(emb.values.begin() + tokens[t] * D, emb.values.begin() + (tokens[t] + 1) * D);
  for (int l = 0; l < c.n_layer; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    std::vector<std::vector<double>> ks, vs;
    for (size_t t = 0; t < T; ++t) {
      const auto h = rmsnorm(x[t], m.get(p + "input_layernorm.weight"));
      auto q = linear(m.get(p + "self_attn.q_proj.weight"), h);
      auto k = linear(m.get(p + "self_attn.k_proj.weight"), h);
      auto v = linear(m.get(p + "self_attn.v_proj.weight"), h);
      if (c.biases) {
        for (int i = 0; i < q_dim; ++i) q[size_t(i)] += m.get(p + "self_attn.q_proj.bias").values[size_t(i)];
        for (int i = 0; i < kv_dim; ++i) k[size_t(i)] += m.get(p + "self_attn.k_proj.bias").values[size_t(i)];
        for (int i = 0; i < kv_dim; ++i) v[size_t(i)] += m.get(p + "self_attn.v_proj.bias").values[size_t(i)];
      }
      rope(q, c.n_head, t);
      rope(k, c.n_kv, t);
      ks.push_back(k);
      vs.push_back(v);
      std::vector<double> att(size_t(q_dim), 0.0);
      for (int hh = 0; hh < c.n_head; ++hh) {
        const int g = hh / (c.n_head / c.n_kv);  // repeat_kv: query head hh reads kv head hh / n_rep
        std::vector<double> s(t + 1);
        double mx = -1e300;
        for (size_t j = 0; j <= t; ++j) {
          double d = 0;
          for (int i = 0; i < hd; ++i) d += q[size_t(hh * hd + i)] * ks[j][size_t(g * hd + i)];
          s[j] = d / std::sqrt(double(hd));
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (auto& e : s) sum += e = std::exp(e - mx);
        for (size_t j = 0; j <= t; ++j)
          for (int i = 0; i < hd; ++i) att[size_t(hh * hd + i)] += s[j] / sum * vs[j][size_t(g * hd + i)];
      }
      const auto o = linear(m.get(p + "self_attn.o_proj.weight"), att);
      for (int i = 0; i < D; ++i) x[t][size_t(i)] += o[size_t(i)];
      const auto h2 = rmsnorm(x[t], m.get(p + "post_attention_layernorm.weight"));
      auto gate = linear(m.get(p + "mlp.gate_proj.weight"), h2);
      const auto up = linear(m.get(p + "mlp.up_proj.weight"), h2);
      for (size_t i = 0; i < gate.size(); ++i) gate[i] = gate[i] / (1.0 + std::exp(-gate[i])) * up[i];
      const auto down = linear(m.get(p + "mlp.down_proj.weight"), gate);
      for (int i = 0; i < D; ++i) x[t][size_t(i)] += down[size_t(i)];
    }
  }
  const HfTensor& head = m.t.count("lm_head.weight") && !c.tied ? m.get("lm_head.weight") : emb;
  std::vector<std::vector<double>> logits;
  for (size_t t = 0; t < T; ++t) logits.push_back(linear(head, rmsnorm(x[t], m.get("model.norm.weight"))));
  return logits;
}

struct Converted {
  std::string gguf_path;
  std::unique_ptr<LlamaModel> model;
};

Converted convert_and_load(const std::string& dir, const HfImportOptions& opts, const std::string& gguf_name) {
  Converted out;
  auto conv = import_hf(dir, opts);
  EXPECT_TRUE(conv.is_ok()) << conv.message();
  if (!conv.is_ok()) return out;
  out.gguf_path = test::temp_path(gguf_name);
  const Status written = formats::write_gguf(out.gguf_path, (*conv)->content);
  EXPECT_TRUE(written.is_ok()) << written.message();
  auto file = formats::GgufFile::open(out.gguf_path);
  EXPECT_TRUE(file.is_ok()) << file.message();
  if (!file.is_ok()) return out;
  auto model = load_llama_from_gguf(std::shared_ptr<const formats::GgufFile>(std::move(*file)));
  EXPECT_TRUE(model.is_ok()) << model.message();
  if (model.is_ok()) out.model = std::move(*model);
  return out;
}

// Checks greenllm's prefill logits on the converted file against the reference.
void expect_logits_match(const LlamaModel& model, const HfModel& ref_model, const std::vector<int32_t>& tokens,
                         const std::string& what) {
  const auto ref = hf_reference(ref_model, tokens);
  const size_t n_vocab = size_t(model.hparams.n_vocab);
  ThreadPool pool(2);
  LlamaForward fwd(model, pool);
  SequenceState seq(model.hparams, int64_t(tokens.size()));
  std::vector<float> all;
  const Status st = fwd.forward(seq, tokens, all, /*all_logits=*/true);
  ASSERT_TRUE(st.is_ok()) << st.message();
  const double tol = 2e-4;  // F32 arithmetic against double; weights are exact in both
  for (size_t t = 0; t < tokens.size(); ++t) {
    double scale = 0;
    for (double v : ref[t]) scale = std::max(scale, std::abs(v));
    for (size_t i = 0; i < n_vocab; ++i)
      ASSERT_NEAR(all[t * n_vocab + i], ref[t][i], tol * (1 + scale)) << what << " token " << t << " logit " << i;
  }
}

class HfImportForward : public ::testing::TestWithParam<HfCase> {};

TEST_P(HfImportForward, ConvertedLogitsMatchDoublePrecisionHfForward) {
  const HfCase c = GetParam();
  const HfModel m = make_hf_model(c, 1234);
  const std::string dir = fresh_dir("hf_" + c.name);
  write_hf(m, dir);
  HfImportOptions opts;
  opts.type = c.out_type;
  Converted conv = convert_and_load(dir, opts, "hf_" + c.name + ".gguf");
  ASSERT_NE(conv.model, nullptr);
  const LlamaModel& model = *conv.model;
  EXPECT_EQ(model.hparams.arch, c.arch == "Qwen2ForCausalLM" ? "qwen2" : "llama");
  EXPECT_EQ(model.hparams.rope_type, c.arch == "Qwen2ForCausalLM" ? RopeType::NEOX : RopeType::NORM);
  EXPECT_EQ(model.hparams.head_dim, c.hd());
  EXPECT_EQ(model.hparams.n_head_kv, c.n_kv);
  EXPECT_EQ(model.tied_embeddings, c.tied);
  EXPECT_EQ(model.rope_freqs.present(), c.rope_scaling == "llama3");
  EXPECT_EQ(model.layers[0].bq.present(), c.biases);
  const GgmlType expect_type = c.out_type.value_or(c.dtype == "F32"   ? GgmlType::F32
                                                   : c.dtype == "F16" ? GgmlType::F16
                                                                      : GgmlType::BF16);
  EXPECT_EQ(model.layers[1].wq.type, expect_type);
  EXPECT_EQ(model.tok_embd.type, expect_type);
  const std::vector<int32_t> tokens = {1, 7, 3, 39, 0, 12, 12, 25, 4, 18, 33, 2, 9};
  expect_logits_match(model, m, tokens, c.name);
}

HfCase make_case(std::string name, auto&& edit) {
  HfCase c;
  c.name = std::move(name);
  edit(c);
  return c;
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    Checkpoints, HfImportForward,
    ::testing::Values(
        make_case("llama_f32_gqa", [](HfCase&) {}),
        make_case("llama_mha_untied_f32", [](HfCase& c) { c.n_kv = 4; }),
        make_case("llama_f16_sharded_aliased", [](HfCase& c) {
          c.dtype = "F16"; c.n_shards = 3; c.tied = true; c.alias = true; }),
        make_case("llama_bf16_tied_to_f32", [](HfCase& c) {
          c.dtype = "BF16"; c.tied = true; c.out_type = GgmlType::F32; c.n_kv = 1; }),
        make_case("llama_f16_two_shards", [](HfCase& c) { c.dtype = "F16"; c.n_shards = 2; }),
        make_case("llama_f16_to_f32", [](HfCase& c) { c.dtype = "F16"; c.out_type = GgmlType::F32; }),
        make_case("llama_attention_bias", [](HfCase& c) { c.biases = true; }),
        make_case("llama_linear_scaling", [](HfCase& c) { c.rope_scaling = "linear"; c.factor = 2.5; }),
        make_case("llama3_rope_scaling", [](HfCase& c) {
          c.rope_scaling = "llama3"; c.factor = 8.0; c.head_dim = 8; c.n_head = 4; }),
        make_case("mistral_bf16_head_dim", [](HfCase& c) {
          c.arch = "MistralForCausalLM"; c.dtype = "BF16"; c.head_dim = 12; c.n_shards = 2; }),
        make_case("qwen2_bias_tied", [](HfCase& c) {
          c.arch = "Qwen2ForCausalLM"; c.biases = true; c.tied = true; c.theta = 1e6; c.n_kv = 1; }),
        make_case("qwen2_f16_untied_odd", [](HfCase& c) {
          c.arch = "Qwen2ForCausalLM"; c.biases = true; c.dtype = "F16"; c.n_embd = 36; c.n_head = 6;
          c.n_kv = 3; c.n_ff = 43; c.n_vocab = 53; })),
    [](const auto& info) { return info.param.name; });
// clang-format on

// The stored values: F32 -> F16 rounds each matrix value to nearest even and leaves vectors F32;
// q/k rows are exactly the Hugging Face rows reordered as (head, 2, d/2) -> (head, d/2, 2).
TEST(HfImport, TensorValuesTypesAndUnpermutedRows) {
  HfCase c;
  c.name = "values";
  c.biases = true;
  const HfModel m = make_hf_model(c, 7);
  const std::string dir = fresh_dir("hf_values");
  write_hf(m, dir);
  HfImportOptions opts;
  opts.type = GgmlType::F16;
  auto conv = import_hf(dir, opts);
  ASSERT_TRUE(conv.is_ok()) << conv.message();
  const std::string path = test::temp_path("hf_values.gguf");
  ASSERT_TRUE(formats::write_gguf(path, (*conv)->content).is_ok());
  auto file = formats::GgufFile::open(path);
  ASSERT_TRUE(file.is_ok()) << file.message();
  const formats::GgufFile& g = **file;
  EXPECT_EQ(g.get_string("general.architecture").value(), "llama");
  EXPECT_EQ(g.get_int("general.file_type").value(), 1);
  EXPECT_EQ(g.get_int("llama.context_length").value(), 64);
  EXPECT_EQ(g.get_int("llama.vocab_size").value(), c.n_vocab);
  EXPECT_EQ(g.get_int("llama.rope.dimension_count").value(), c.hd());
  EXPECT_NEAR(g.get_float("llama.attention.layer_norm_rms_epsilon").value(), 1e-6, 1e-12);
  EXPECT_EQ(g.find("llama.attention.key_length"), nullptr);  // not in config.json
  EXPECT_EQ(g.get_string("general.name").value(), "hf_values");

  auto value = [](const formats::GgufTensorInfo& t, size_t i) -> double {
    if (t.type == GgmlType::F32) {
      float f;
      std::memcpy(&f, t.data + 4 * i, 4);
      return f;
    }
    uint16_t h;
    std::memcpy(&h, t.data + 2 * i, 2);
    return f16_to_f32(h);
  };
  // (gguf name, hf name, heads to un-permute)
  const std::vector<std::tuple<std::string, std::string, int>> pairs = {
      {"token_embd.weight", "model.embed_tokens.weight", 0},
      {"output.weight", "lm_head.weight", 0},
      {"output_norm.weight", "model.norm.weight", 0},
      {"blk.1.attn_q.weight", "model.layers.1.self_attn.q_proj.weight", c.n_head},
      {"blk.1.attn_k.weight", "model.layers.1.self_attn.k_proj.weight", c.n_kv},
      {"blk.1.attn_q.bias", "model.layers.1.self_attn.q_proj.bias", c.n_head},
      {"blk.1.attn_k.bias", "model.layers.1.self_attn.k_proj.bias", c.n_kv},
      {"blk.1.attn_v.weight", "model.layers.1.self_attn.v_proj.weight", 0},
      {"blk.1.attn_v.bias", "model.layers.1.self_attn.v_proj.bias", 0},
      {"blk.0.attn_output.weight", "model.layers.0.self_attn.o_proj.weight", 0},
      {"blk.0.attn_norm.weight", "model.layers.0.input_layernorm.weight", 0},
      {"blk.0.ffn_norm.weight", "model.layers.0.post_attention_layernorm.weight", 0},
      {"blk.0.ffn_down.weight", "model.layers.0.mlp.down_proj.weight", 0},
  };
  size_t n_checked = 0;
  for (const auto& [gname, hname, heads] : pairs) {
    const auto* t = g.find_tensor(gname);
    ASSERT_NE(t, nullptr) << gname;
    const HfTensor& src = m.get(hname);
    const bool is_vector = src.shape.size() == 1;
    EXPECT_EQ(t->type, is_vector ? GgmlType::F32 : GgmlType::F16) << gname;
    const int64_t rows = src.shape[0], cols = is_vector ? 1 : src.shape[1];
    if (is_vector) EXPECT_EQ(t->shape, (std::vector<int64_t>{rows})) << gname;
    else EXPECT_EQ(t->shape, (std::vector<int64_t>{cols, rows})) << gname;
    // The torch view (heads, 2, d/2, cols) read as (heads, d/2, 2, cols).
    const int64_t d = heads ? rows / heads : rows, half = d / 2;
    for (int64_t h = 0; h < (heads ? heads : 1); ++h)
      for (int64_t j = 0; j < (heads ? half : rows); ++j)
        for (int64_t s = 0; s < (heads ? 2 : 1); ++s)
          for (int64_t k = 0; k < cols; ++k) {
            const int64_t from = heads ? ((h * 2 + s) * half + j) : j, to = heads ? ((h * half + j) * 2 + s) : j;
            const double want = is_vector ? src.values[size_t(from)] : f16_to_f32(f32_to_f16(float(src.values[size_t(from * cols + k)])));
            ASSERT_EQ(value(*t, size_t(to * cols + k)), want) << gname << " row " << to << " col " << k;
            ++n_checked;
          }
  }
  EXPECT_GT(n_checked, 5000u);
  // Vectors F32, everything else F16.
  for (const auto& t : g.tensors()) EXPECT_EQ(t.type, t.shape.size() == 1 ? GgmlType::F32 : GgmlType::F16) << t.name;
}

TEST(HfImport, Llama3RopeFactorsFollowHuggingFaceScaling) {
  HfCase c;
  c.rope_scaling = "llama3";
  c.factor = 8.0;
  c.head_dim = 8;
  const auto factors = llama3_rope_factors(c.theta, 8, c.factor, kL3Low, kL3High, kL3OldCtx);
  const auto scaled = hf_inv_freq(c);
  HfCase plain = c;
  plain.rope_scaling.clear();
  const auto base = hf_inv_freq(plain);
  ASSERT_EQ(factors.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(factors[i], base[i] / scaled[i], 1e-5 * factors[i]) << i;
  EXPECT_EQ(factors[0], 1.0f);
  EXPECT_GT(factors[1], 1.0f);  // the smooth region
  EXPECT_LT(factors[1], 8.0f);
  EXPECT_EQ(factors[3], 8.0f);
  // Llama 3.1 8B's published scaling: 64 factors from 1 to 8.
  const auto l31 = llama3_rope_factors(500000.0, 128, 8.0, 1.0, 4.0, 8192.0);
  ASSERT_EQ(l31.size(), 64u);
  EXPECT_EQ(l31.front(), 1.0f);
  EXPECT_EQ(l31.back(), 8.0f);
}

TEST(HfImport, VocabularyIsPaddedToVocabSize) {
  HfCase c;
  const HfModel m = make_hf_model(c, 3);
  const std::string dir = fresh_dir("hf_vocab");
  write_hf(m, dir);
  tokenizer::Vocab vocab;
  vocab.tokens = {"<unk>", "<s>", "</s>"};
  vocab.types = {tokenizer::TokenType::UNKNOWN, tokenizer::TokenType::CONTROL, tokenizer::TokenType::CONTROL};
  for (int i = 3; i < 30; ++i) {
    vocab.tokens.push_back("t" + std::to_string(i));
    vocab.types.push_back(tokenizer::TokenType::NORMAL);
  }
  vocab.scores.assign(vocab.tokens.size(), 0.0f);
  vocab.unk_id = 0;
  vocab.bos_id = 1;
  vocab.eos_id = 2;
  HfImportOptions opts;
  opts.vocab = vocab;
  auto conv = import_hf(dir, opts);
  ASSERT_TRUE(conv.is_ok()) << conv.message();
  const std::string path = test::temp_path("hf_vocab.gguf");
  ASSERT_TRUE(formats::write_gguf(path, (*conv)->content).is_ok());
  auto file = formats::GgufFile::open(path);
  ASSERT_TRUE(file.is_ok()) << file.message();
  auto v = tokenizer::vocab_from_gguf(**file);
  ASSERT_TRUE(v.is_ok()) << v.message();
  ASSERT_EQ(v->n_tokens(), c.n_vocab);
  EXPECT_EQ(v->tokens[29], "t29");
  EXPECT_EQ(v->tokens[30], "[PAD30]");
  EXPECT_EQ(v->types[39], tokenizer::TokenType::UNUSED);
  EXPECT_EQ(v->bos_id, 1);

  vocab.tokens.resize(41, "x");
  vocab.types.resize(41, tokenizer::TokenType::NORMAL);
  vocab.scores.resize(41, 0.0f);
  opts.vocab = vocab;
  auto too_many = import_hf(dir, opts);
  ASSERT_FALSE(too_many.is_ok());
  EXPECT_NE(too_many.message().find("more than vocab_size"), std::string::npos) << too_many.message();
}

// Each broken checkpoint gives one line naming what is wrong.
TEST(HfImport, ErrorsNameTheProblem) {
  const HfCase c;
  const HfModel good = make_hf_model(c, 5);
  auto expect_error = [&](const std::string& name, auto&& edit, const std::string& needle) {
    HfModel m = good;
    ojson config = config_json(c);
    const std::string dir = fresh_dir("hf_err_" + name);
    edit(m, config, dir);
    write_hf(m, dir);
    std::ofstream(dir + "/config.json", std::ios::trunc) << config.dump();
    auto conv = import_hf(dir, {});
    ASSERT_FALSE(conv.is_ok()) << name;
    EXPECT_NE(conv.message().find(needle), std::string::npos) << name << ": " << conv.message();
    EXPECT_EQ(conv.message().find('\n'), std::string::npos) << conv.message();
  };
  expect_error("arch", [](HfModel&, ojson& j, auto&) { j["architectures"] = {"GPT2LMHeadModel"}; },
               "'GPT2LMHeadModel' is not supported");
  expect_error("no_hidden", [](HfModel&, ojson& j, auto&) { j.erase("hidden_size"); }, "missing \"hidden_size\"");
  expect_error("bad_heads", [](HfModel&, ojson& j, auto&) { j["num_key_value_heads"] = 3; }, "head_count_kv 3");
  expect_error("yarn", [](HfModel&, ojson& j, auto&) { j["rope_scaling"] = {{"type", "yarn"}, {"factor", 4}}; },
               "rope scaling type 'yarn'");
  expect_error("gelu", [](HfModel&, ojson& j, auto&) { j["hidden_act"] = "gelu"; }, "hidden_act");
  expect_error("missing", [](HfModel& m, ojson&, auto&) { m.t.erase("model.layers.1.mlp.up_proj.weight"); },
               "missing tensor model.layers.1.mlp.up_proj.weight");
  expect_error("shape", [](HfModel& m, ojson&, auto&) { m.t["model.layers.0.mlp.up_proj.weight"].shape = {32, 48}; },
               "model.layers.0.mlp.up_proj.weight has shape [32, 48], expected [48, 32]");
  expect_error("vocab", [](HfModel&, ojson& j, auto&) { j["vocab_size"] = 41; }, "vocab_size 41");
  expect_error("unexpected", [](HfModel& m, ojson&, auto&) {
    m.t["model.layers.0.self_attn.o_proj.bias"] = HfTensor{{32}, std::vector<double>(32, 0.0), "F32"};
  }, "unexpected tensor model.layers.0.self_attn.o_proj.bias");
}

TEST(HfImport, NonFloatDtypeAndBadJsonAreRefused) {
  const HfCase c;
  const HfModel m = make_hf_model(c, 6);
  const std::string dir = fresh_dir("hf_i32");
  write_hf(m, dir);
  // Re-write one shard with a norm stored as I32 (same byte size as F32).
  std::vector<test::StTensor> all;
  for (const auto& [name, t] : m.t) {
    auto st = test::st_tensor(name, "F32", t.shape, std::vector<float>(t.values.begin(), t.values.end()));
    if (name == "model.norm.weight") st.dtype = "I32";
    all.push_back(st);
  }
  test::st_write(dir + "/model.safetensors", all);
  auto conv = import_hf(dir, {});
  ASSERT_FALSE(conv.is_ok());
  EXPECT_NE(conv.message().find("model.norm.weight has dtype I32"), std::string::npos) << conv.message();

  std::ofstream(dir + "/config.json", std::ios::trunc) << "{\"hidden_size\": ";
  auto bad = import_hf(dir, {});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.message().find("config.json: invalid JSON"), std::string::npos) << bad.message();
  EXPECT_FALSE(import_hf(fresh_dir("hf_empty"), {}).is_ok());
}

// --- the real tinystories-656k checkpoint ---

HfModel load_real(const std::string& dir) {
  HfModel m;
  HfCase& c = m.c;
  c.n_embd = 128;
  c.n_layer = 2;
  c.n_head = 8;
  c.n_kv = 4;
  c.n_ff = 384;
  c.n_vocab = 2048;
  c.tied = true;
  c.eps = 1e-6;
  auto ckpt = formats::SafetensorsCheckpoint::open(dir);
  EXPECT_TRUE(ckpt.is_ok()) << ckpt.message();
  if (!ckpt.is_ok()) return m;
  for (std::string name : (*ckpt)->tensor_names()) {
    const auto* t = (*ckpt)->find(name);
    auto values = formats::safetensors_to_f32(*t);
    if (name == "lm_head.weight") name = "model.embed_tokens.weight";  // tied; stored under the head's name
    m.t[name] = HfTensor{t->shape, std::vector<double>(values->begin(), values->end()), "F32"};
  }
  return m;
}

TEST(HfImportReal, TinyStories656KConvertsMatchesReferenceAndGeneratesGolden) {
  GREENLLM_REQUIRE_FIXTURE(dir, model_fixture, "tinystories-656k");
  GREENLLM_REQUIRE_FIXTURE(golden, model_fixture, "tinystories-656k.greedy.txt");
  Converted conv = convert_and_load(dir, {}, "tinystories-656k.gguf");
  ASSERT_NE(conv.model, nullptr);
  const LlamaModel& model = *conv.model;
  {
    auto file = formats::GgufFile::open(conv.gguf_path);
    ASSERT_TRUE(file.is_ok());
    const formats::GgufFile& g = **file;
    EXPECT_EQ(g.tensors().size(), 1u + 1u + 2u * 9u);  // token_embd, output_norm, 9 per layer; no output
    EXPECT_EQ(g.find_tensor("output.weight"), nullptr);
    EXPECT_EQ(g.find_tensor("token_embd.weight")->shape, (std::vector<int64_t>{128, 2048}));
    EXPECT_EQ(g.find_tensor("blk.1.attn_q.weight")->shape, (std::vector<int64_t>{128, 128}));
    EXPECT_EQ(g.find_tensor("blk.1.attn_k.weight")->shape, (std::vector<int64_t>{128, 64}));
    EXPECT_EQ(g.find_tensor("blk.0.ffn_down.weight")->shape, (std::vector<int64_t>{384, 128}));
    EXPECT_EQ(g.find_tensor("blk.0.ffn_gate.weight")->shape, (std::vector<int64_t>{128, 384}));
    EXPECT_EQ(g.find_tensor("blk.0.attn_norm.weight")->shape, (std::vector<int64_t>{128}));
    for (const auto& t : g.tensors()) EXPECT_EQ(t.type, GgmlType::F32) << t.name;
    EXPECT_EQ(g.get_int("llama.context_length").value(), 512);
    EXPECT_EQ(g.get_int("llama.attention.head_count_kv").value(), 4);
    EXPECT_EQ(g.get_string("general.name").value(), "tinystories-656k");
  }
  EXPECT_TRUE(model.tied_embeddings);
  EXPECT_EQ(model.hparams.rms_eps, 1e-6f);

  const HfModel real = load_real(dir);
  ASSERT_FALSE(real.t.empty());
  expect_logits_match(model, real, {1, 433, 290, 264, 352, 11, 509, 1203, 77}, "tinystories-656k");

  // Greedy from BOS (id 1) until EOS (id 2), decoded with tokenizer.json's vocabulary and decoder
  // (Replace "▁" by " ", byte fallback (no byte tokens here), fuse, strip one leading space).
  std::ifstream tj(dir + "/tokenizer.json");
  const auto tokenizer_json = nlohmann::json::parse(tj);
  std::map<int, std::string> pieces;
  for (const auto& [piece, id] : tokenizer_json["model"]["vocab"].items()) pieces[id.get<int>()] = piece;
  ThreadPool pool(2);
  LlamaForward fwd(model, pool);
  SequenceState seq(model.hparams, model.hparams.n_ctx_train);
  std::vector<float> logits;
  int32_t token = 1;
  std::string text;
  int n_generated = 0;
  while (seq.n_past() < model.hparams.n_ctx_train) {
    ASSERT_TRUE(fwd.forward(seq, std::span<const int32_t>(&token, 1), logits).is_ok());
    token = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
    ++n_generated;
    if (token == 2) break;
    text += pieces.at(token);
  }
  for (size_t at; (at = text.find("\xe2\x96\x81")) != std::string::npos;) text.replace(at, 3, " ");
  if (!text.empty() && text[0] == ' ') text.erase(0, 1);
  EXPECT_EQ(n_generated, 139);  // the README's count, the final EOS included
  EXPECT_EQ(text, test::read_file(golden));
}

}  // namespace
}  // namespace greenllm::model
