// Synthetic model writer. Shapes come from the models' published configurations (config.json of
// each: hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, intermediate_size,
// vocab_size, max_position_embeddings, rope_theta, rms_norm_eps).
#include "model/synth.h"

#include <fmt/format.h>

#include <cstring>

#include "core/fp16.h"
#include "formats/gguf.h"
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

// xorshift64*: fast, deterministic, good enough for random weights.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  float uniform() {  // [-1, 1)
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return float(int64_t((s * 0x2545F4914F6CDD1Dull) >> 40) - (int64_t(1) << 23)) / float(1 << 23);
  }
};

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
  if (h.n_vocab < 3 + 256) return Status::error("synth: the vocabulary needs at least 259 tokens");

  formats::GgufContent c;
  const std::string a = h.arch + ".";
  c.set("general.architecture", formats::GgufValue::string(h.arch));
  c.set("general.name", formats::GgufValue::string("greenllm synthetic " + spec.name));
  c.set("general.file_type", formats::GgufValue::u32(opts.type == GgmlType::F32 ? 0 : opts.type == GgmlType::F16 ? 1 : 32));
  c.set(a + "context_length", formats::GgufValue::u32(uint32_t(h.n_ctx_train)));
  c.set(a + "embedding_length", formats::GgufValue::u32(uint32_t(h.n_embd)));
  c.set(a + "block_count", formats::GgufValue::u32(uint32_t(h.n_layer)));
  c.set(a + "feed_forward_length", formats::GgufValue::u32(uint32_t(h.n_ff)));
  c.set(a + "attention.head_count", formats::GgufValue::u32(uint32_t(h.n_head)));
  c.set(a + "attention.head_count_kv", formats::GgufValue::u32(uint32_t(h.n_head_kv)));
  c.set(a + "attention.layer_norm_rms_epsilon", formats::GgufValue::f32(h.rms_eps));
  c.set(a + "rope.freq_base", formats::GgufValue::f32(h.rope_freq_base));
  c.set(a + "rope.dimension_count", formats::GgufValue::u32(uint32_t(h.n_rot)));

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

  // Tensor data lives in `buffers` until the file is written.
  std::vector<std::vector<uint8_t>> buffers;
  Rng rng(opts.seed);
  const size_t elem_bytes = opts.type == GgmlType::F32 ? 4 : 2;
  auto add = [&](const std::string& name, int64_t n_in, int64_t n_out, bool is_norm) {
    const GgmlType type = is_norm ? GgmlType::F32 : opts.type;
    const size_t n = size_t(n_in * n_out);
    std::vector<uint8_t> buf(n * (is_norm ? 4 : elem_bytes));
    const float amp = 0.02f * 1.7320508f;  // uniform on [-amp, amp] has std 0.02
    for (size_t i = 0; i < n; ++i) {
      const float v = is_norm ? 1.0f + 0.1f * rng.uniform() : amp * rng.uniform();
      if (type == GgmlType::F32) {
        std::memcpy(buf.data() + 4 * i, &v, 4);
      } else {
        const uint16_t x = type == GgmlType::F16 ? f32_to_f16(v) : f32_to_bf16(v);
        std::memcpy(buf.data() + 2 * i, &x, 2);
      }
    }
    buffers.push_back(std::move(buf));
    std::vector<int64_t> shape = is_norm ? std::vector<int64_t>{n_in} : std::vector<int64_t>{n_in, n_out};
    c.tensors.push_back({name, type, shape, buffers.back().data(), buffers.back().size()});
  };
  buffers.reserve(size_t(4 + 12 * h.n_layer));
  add("token_embd.weight", h.n_embd, h.n_vocab, false);
  add("output_norm.weight", h.n_embd, 1, true);
  if (!spec.tied_embeddings) add("output.weight", h.n_embd, h.n_vocab, false);
  for (int64_t i = 0; i < h.n_layer; ++i) {
    const std::string p = fmt::format("blk.{}.", i);
    add(p + "attn_norm.weight", h.n_embd, 1, true);
    add(p + "attn_q.weight", h.n_embd, h.q_dim(), false);
    add(p + "attn_k.weight", h.n_embd, h.kv_dim(), false);
    add(p + "attn_v.weight", h.n_embd, h.kv_dim(), false);
    if (spec.qkv_bias) {
      // Biases are vectors but not norms: small random values around 0, stored F32.
      for (auto [nm, n] : {std::pair{"attn_q.bias", h.q_dim()}, {"attn_k.bias", h.kv_dim()}, {"attn_v.bias", h.kv_dim()}}) {
        std::vector<uint8_t> buf(size_t(n) * 4);
        for (int64_t j = 0; j < n; ++j) {
          const float v = 0.02f * rng.uniform();
          std::memcpy(buf.data() + 4 * j, &v, 4);
        }
        buffers.push_back(std::move(buf));
        c.tensors.push_back({p + nm, GgmlType::F32, {n}, buffers.back().data(), buffers.back().size()});
      }
    }
    add(p + "attn_output.weight", h.q_dim(), h.n_embd, false);
    add(p + "ffn_norm.weight", h.n_embd, 1, true);
    add(p + "ffn_gate.weight", h.n_embd, h.n_ff, false);
    add(p + "ffn_up.weight", h.n_embd, h.n_ff, false);
    add(p + "ffn_down.weight", h.n_ff, h.n_embd, false);
  }
  return formats::write_gguf(path, c);
}

}  // namespace greenllm::model
