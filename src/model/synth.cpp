// Synthetic model writer. Shapes come from the models' published configurations (config.json of
// each: hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, intermediate_size,
// vocab_size, max_position_embeddings, rope_theta, rms_norm_eps).
#include "model/synth.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "core/thread_pool.h"
#include "formats/gguf.h"
#include "model/gguf_export.h"
#include "tokenizer/vocab.h"

namespace greenllm::model {
namespace {

LlamaHParams shape(const char* arch, int64_t dim, int64_t layers, int64_t heads, int64_t kv_heads, int64_t ff,
                   int64_t vocab, int64_t ctx, float rope_base, float eps, RopeType rope) {
  LlamaHParams h;
  h.arch = arch;
  h.n_embd = dim;
  h.n_layer = layers;
  h.n_head = heads;
  h.n_head_kv = kv_heads;
  h.head_dim = dim / heads;
  h.n_rot = h.head_dim;
  h.n_ff = ff;
  h.n_vocab = vocab;
  h.n_ctx_train = ctx;
  h.rope_freq_base = rope_base;
  h.rms_eps = eps;
  h.rope_type = rope;
  return h;
}

// splitmix64: a counter-based generator, so that any row of any tensor can be generated on its own
// (in parallel, in any order) and the file still depends only on the seed.
uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

struct RowRng {
  uint64_t state;
  RowRng(uint64_t seed, uint64_t tensor, uint64_t row) : state(splitmix64(seed ^ splitmix64(tensor * 0x100000001b3ull + row))) {}
  double uniform01() {  // (0, 1]
    state = splitmix64(state);
    return (double(state >> 11) + 1.0) * (1.0 / 9007199254740992.0);
  }
  // Standard normal pair by Box-Muller.
  void normal2(float* a, float* b) {
    const double r = std::sqrt(-2.0 * std::log(uniform01())), t = 6.283185307179586 * uniform01();
    *a = float(r * std::cos(t));
    *b = float(r * std::sin(t));
  }
};

constexpr float kWeightStd = 0.02f;
constexpr float kOutlierScale = 8.0f;
constexpr int kOutlierPerMille = 10;  // 1% of input channels

void store(GgmlType type, float v, uint8_t* dst) {
  if (type == GgmlType::F32) {
    std::memcpy(dst, &v, 4);
  } else {
    const uint16_t x = type == GgmlType::F16 ? f32_to_f16(v) : f32_to_bf16(v);
    std::memcpy(dst, &x, 2);
  }
}

}  // namespace

const std::vector<SynthSpec>& synth_specs() {
  static const std::vector<SynthSpec> specs = {
      {"tinyllama-1.1b", shape("llama", 2048, 22, 32, 4, 5632, 32000, 2048, 10000.0f, 1e-5f, RopeType::NORM)},
      {"llama-2-7b", shape("llama", 4096, 32, 32, 32, 11008, 32000, 4096, 10000.0f, 1e-5f, RopeType::NORM)},
      {"llama-2-13b", shape("llama", 5120, 40, 40, 40, 13824, 32000, 4096, 10000.0f, 1e-5f, RopeType::NORM)},
      {"llama-3-8b", shape("llama", 4096, 32, 32, 8, 14336, 128256, 8192, 500000.0f, 1e-5f, RopeType::NORM)},
      {"mistral-7b", shape("llama", 4096, 32, 32, 8, 14336, 32000, 32768, 1000000.0f, 1e-5f, RopeType::NORM)},
      {"qwen2-0.5b", shape("qwen2", 896, 24, 14, 2, 4864, 151936, 32768, 1000000.0f, 1e-6f, RopeType::NEOX), true, true},
      {"tiny", shape("llama", 64, 2, 4, 2, 128, 320, 256, 10000.0f, 1e-5f, RopeType::NORM)},
  };
  return specs;
}

Result<SynthSpec> find_synth_spec(const std::string& name) {
  std::string known;
  for (const auto& s : synth_specs()) {
    if (s.name == name) return s;
    known += (known.empty() ? "" : ", ") + s.name;
  }
  return Status::error(fmt::format("unknown model shape '{}' (known: {})", name, known));
}

Status write_synth_model(const SynthSpec& spec, const SynthOptions& opts, const std::string& path) {
  const LlamaHParams& h = spec.hp;
  if (opts.type != GgmlType::F32 && opts.type != GgmlType::F16 && opts.type != GgmlType::BF16)
    return Status::error(fmt::format("synth: type {} is not supported yet (f32, f16, bf16)", ggml_type_name(opts.type)));
  GREENLLM_TRY(h.validate("synth " + spec.name));
  if (opts.vocab_from.empty() && h.n_vocab < 3 + 256)
    return Status::error("synth: the built-in vocabulary needs at least 259 tokens (3 special + 256 bytes)");

  formats::GgufContent c;
  write_hparams_metadata(h, opts.type, "greenllm synthetic " + spec.name, /*write_head_dim=*/false, c);

  if (opts.vocab_from.empty()) {
    tokenizer::Vocab vocab;
    vocab.model = "llama";
    vocab.tokens = {"<unk>", "<s>", "</s>"};
    vocab.types = {tokenizer::TokenType::UNKNOWN, tokenizer::TokenType::CONTROL, tokenizer::TokenType::CONTROL};
    for (int b = 0; b < 256; ++b) {
      vocab.tokens.push_back(fmt::format("<0x{:02X}>", b));
      vocab.types.push_back(tokenizer::TokenType::BYTE);
    }
    for (int64_t i = int64_t(vocab.tokens.size()); i < h.n_vocab; ++i) {
      vocab.tokens.push_back(fmt::format("tok{}", i));
      vocab.types.push_back(tokenizer::TokenType::NORMAL);
    }
    vocab.scores.assign(vocab.tokens.size(), 0.0f);
    for (size_t i = 259; i < vocab.scores.size(); ++i) vocab.scores[i] = -float(i);
    vocab.unk_id = 0;
    vocab.bos_id = 1;
    vocab.eos_id = 2;
    tokenizer::vocab_to_gguf(vocab, c);
  } else {
    auto src = formats::GgufFile::open(opts.vocab_from);
    if (!src) return src.status();
    size_t n_tokens = 0;
    for (const auto& kv : (*src)->metadata()) {
      if (kv.key.rfind("tokenizer.", 0) != 0) continue;
      if (kv.key == "tokenizer.ggml.tokens" && kv.value.as_array()) n_tokens = kv.value.as_array()->items.size();
      c.set(kv.key, kv.value);
    }
    if (n_tokens == 0) return Status::error(opts.vocab_from + ": has no tokenizer.ggml.tokens to copy");
    if (int64_t(n_tokens) != h.n_vocab)
      return Status::error(fmt::format("{}: its vocabulary has {} tokens, but the {} shapes need {}", opts.vocab_from,
                                       n_tokens, spec.name, h.n_vocab));
  }

  // Every tensor is described now and generated when the writer reaches it; row r of tensor t
  // depends only on (seed, t, r).
  ThreadPool pool(std::max(1, opts.threads));
  uint64_t tensor_index = 0;
  auto add = [&](const std::string& name, int64_t n_in, int64_t n_out, float center, float std_dev, bool outliers) {
    const bool vector = n_out == 0;
    const GgmlType type = vector ? GgmlType::F32 : opts.type;
    const int64_t rows = vector ? 1 : n_out;
    const size_t elem = type == GgmlType::F32 ? 4 : 2;
    const uint64_t index = tensor_index++;
    const uint64_t seed = opts.seed;
    formats::GgufWriteTensor t;
    t.name = name;
    t.type = type;
    t.shape = vector ? std::vector<int64_t>{n_in} : std::vector<int64_t>{n_in, n_out};
    t.size_bytes = uint64_t(n_in) * uint64_t(rows) * elem;
    t.produce = [=, &pool](uint8_t* dst) {
      // Outlier input channels: the same for every row of this tensor.
      std::vector<float> channel_scale(size_t(n_in), 1.0f);
      if (outliers) {
        RowRng pick(seed, index, ~uint64_t(0));
        for (int64_t k = 0; k < n_in; ++k)
          if (pick.uniform01() * 1000.0 <= kOutlierPerMille) channel_scale[size_t(k)] = kOutlierScale;
      }
      pool.run([&](int ith, int nth) {
        int64_t r0, r1;
        ThreadPool::split(rows, ith, nth, 1, &r0, &r1);
        for (int64_t r = r0; r < r1; ++r) {
          RowRng rng(seed, index, uint64_t(r));
          uint8_t* row = dst + uint64_t(r) * uint64_t(n_in) * elem;
          for (int64_t k = 0; k < n_in; k += 2) {
            float a, b;
            rng.normal2(&a, &b);
            store(type, center + std_dev * channel_scale[size_t(k)] * a, row + size_t(k) * elem);
            if (k + 1 < n_in) store(type, center + std_dev * channel_scale[size_t(k + 1)] * b, row + size_t(k + 1) * elem);
          }
        }
      });
      return Status::ok();
    };
    c.tensors.push_back(std::move(t));
  };
  auto matrix = [&](const std::string& name, int64_t n_in, int64_t n_out) { add(name, n_in, n_out, 0.0f, kWeightStd, true); };
  auto norm = [&](const std::string& name, int64_t n) { add(name, n, 0, 1.0f, 0.05f, false); };
  auto bias = [&](const std::string& name, int64_t n) { add(name, n, 0, 0.0f, kWeightStd, false); };

  matrix("token_embd.weight", h.n_embd, h.n_vocab);
  norm("output_norm.weight", h.n_embd);
  if (!spec.tied_embeddings) matrix("output.weight", h.n_embd, h.n_vocab);
  for (int64_t i = 0; i < h.n_layer; ++i) {
    const std::string p = fmt::format("blk.{}.", i);
    norm(p + "attn_norm.weight", h.n_embd);
    matrix(p + "attn_q.weight", h.n_embd, h.q_dim());
    matrix(p + "attn_k.weight", h.n_embd, h.kv_dim());
    matrix(p + "attn_v.weight", h.n_embd, h.kv_dim());
    if (spec.qkv_bias) {
      bias(p + "attn_q.bias", h.q_dim());
      bias(p + "attn_k.bias", h.kv_dim());
      bias(p + "attn_v.bias", h.kv_dim());
    }
    matrix(p + "attn_output.weight", h.q_dim(), h.n_embd);
    norm(p + "ffn_norm.weight", h.n_embd);
    matrix(p + "ffn_gate.weight", h.n_embd, h.n_ff);
    matrix(p + "ffn_up.weight", h.n_embd, h.n_ff);
    matrix(p + "ffn_down.weight", h.n_ff, h.n_embd);
  }
  return formats::write_gguf(path, c);
}

}  // namespace greenllm::model
