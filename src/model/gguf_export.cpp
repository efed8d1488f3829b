// GGUF content for Llama-family models: metadata as llama.cpp's converters write it, tensors under
// llama.cpp's names, converted between F32/F16/BF16 and (for Hugging Face q/k) un-permuted.
#include "model/gguf_export.h"

#include <fmt/format.h>

#include <cstring>

#include "core/fp16.h"
#include "tokenizer/vocab.h"

namespace greenllm::model {
namespace {

using formats::GgufValue;

bool is_float_type(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16; }

size_t elem_bytes(GgmlType t) { return t == GgmlType::F32 ? 4 : 2; }

float load(const uint8_t* p, GgmlType t) {
  if (t == GgmlType::F32) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, p, 2);
  return t == GgmlType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
}

void store(uint8_t* p, GgmlType t, float f) {
  if (t == GgmlType::F32) {
    std::memcpy(p, &f, 4);
    return;
  }
  const uint16_t h = t == GgmlType::F16 ? f32_to_f16(f) : f32_to_bf16(f);
  std::memcpy(p, &h, 2);
}

}  // namespace

uint64_t ConvertedModel::tensor_bytes() const {
  uint64_t total = 0;
  for (const auto& t : content.tensors) total += t.size_bytes;
  return total;
}

uint32_t gguf_file_type(GgmlType type) {
  switch (type) {
    case GgmlType::F32: return 0;
    case GgmlType::F16: return 1;
    case GgmlType::BF16: return 32;
    default: return 0;
  }
}

void write_hparams_metadata(const LlamaHParams& hp, GgmlType matrix_type, const std::string& name, bool write_head_dim,
                            formats::GgufContent& c) {
  const std::string a = hp.arch + ".";
  c.set("general.architecture", GgufValue::string(hp.arch));
  c.set("general.type", GgufValue::string("model"));
  c.set("general.name", GgufValue::string(name.empty() ? hp.arch : name));
  c.set(a + "block_count", GgufValue::u32(uint32_t(hp.n_layer)));
  c.set(a + "context_length", GgufValue::u32(uint32_t(hp.n_ctx_train)));
  c.set(a + "embedding_length", GgufValue::u32(uint32_t(hp.n_embd)));
  c.set(a + "feed_forward_length", GgufValue::u32(uint32_t(hp.n_ff)));
  c.set(a + "attention.head_count", GgufValue::u32(uint32_t(hp.n_head)));
  c.set(a + "attention.head_count_kv", GgufValue::u32(uint32_t(hp.n_head_kv)));
  c.set(a + "rope.freq_base", GgufValue::f32(hp.rope_freq_base));
  c.set(a + "attention.layer_norm_rms_epsilon", GgufValue::f32(hp.rms_eps));
  if (write_head_dim || hp.head_dim * hp.n_head != hp.n_embd) {
    c.set(a + "attention.key_length", GgufValue::u32(uint32_t(hp.head_dim)));
    c.set(a + "attention.value_length", GgufValue::u32(uint32_t(hp.head_dim)));
  }
  c.set("general.file_type", GgufValue::u32(gguf_file_type(matrix_type)));
  c.set(a + "vocab_size", GgufValue::u32(uint32_t(hp.n_vocab)));
  c.set(a + "rope.dimension_count", GgufValue::u32(uint32_t(hp.n_rot)));
  if (hp.rope_freq_scale != 1.0f) {
    c.set(a + "rope.scaling.type", GgufValue::string("linear"));
    c.set(a + "rope.scaling.factor", GgufValue::f32(1.0f / hp.rope_freq_scale));
  }
  c.set("general.quantization_version", GgufValue::u32(2));
}

Status add_tensor(ConvertedModel& out, const std::string& name, const Weight& src, GgmlType type, bool is_vector,
                  int64_t unpermute_heads) {
  if (!is_float_type(src.type) || !is_float_type(type))
    return Status::error(fmt::format("{}: cannot convert {} to {} (f32, f16 and bf16 only)", name,
                                     ggml_type_name(src.type), ggml_type_name(type)));
  if (src.data == nullptr || src.n_in <= 0 || src.n_out <= 0)
    return Status::error(fmt::format("{}: empty tensor", name));
  const int64_t rows = src.n_out, cols = src.n_in;
  int64_t head_rows = 0;
  if (unpermute_heads > 0) {
    head_rows = rows / unpermute_heads;
    if (rows % unpermute_heads != 0 || head_rows % 2 != 0)
      return Status::error(fmt::format("{}: {} rows do not split into {} heads of an even size", name, rows,
                                       unpermute_heads));
  }
  const size_t in_row = size_t(cols) * elem_bytes(src.type), out_row = size_t(cols) * elem_bytes(type);
  const std::vector<int64_t> shape = is_vector ? std::vector<int64_t>{rows * cols} : std::vector<int64_t>{cols, rows};
  const uint64_t n_bytes = uint64_t(rows) * out_row;
  if (src.type == type && unpermute_heads == 0) {
    out.content.tensors.push_back({name, type, shape, src.data, n_bytes});
    return Status::ok();
  }
  std::vector<uint8_t>& buf = out.buffers.emplace_back(n_bytes);
  const auto* in = static_cast<const uint8_t*>(src.data);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t from = r;
    if (head_rows > 0) {
      const int64_t h = r / head_rows, i = r % head_rows;
      from = h * head_rows + (i % 2) * (head_rows / 2) + i / 2;
    }
    const uint8_t* s = in + size_t(from) * in_row;
    uint8_t* d = buf.data() + size_t(r) * out_row;
    if (src.type == type) {
      std::memcpy(d, s, out_row);
    } else {
      for (int64_t k = 0; k < cols; ++k)
        store(d + size_t(k) * elem_bytes(type), type, load(s + size_t(k) * elem_bytes(src.type), src.type));
    }
  }
  out.content.tensors.push_back({name, type, shape, buf.data(), n_bytes});
  return Status::ok();
}

Result<std::unique_ptr<ConvertedModel>> export_llama_gguf(const LlamaModel& model, const tokenizer::Vocab* vocab,
                                                          const ExportOptions& opts) {
  const LlamaHParams& h = model.hparams;
  if (!is_float_type(opts.type))
    return Status::error(fmt::format("output type {} is not supported (f32, f16, bf16)", ggml_type_name(opts.type)));
  GREENLLM_TRY(h.validate(model.source_path));
  auto out = std::make_unique<ConvertedModel>();
  out->hparams = h;
  write_hparams_metadata(h, opts.type, opts.name, /*write_head_dim=*/false, out->content);
  if (vocab != nullptr) {
    if (vocab->n_tokens() != h.n_vocab)
      return Status::error(fmt::format("{}: the vocabulary has {} tokens but the model {}", model.source_path,
                                       vocab->n_tokens(), h.n_vocab));
    tokenizer::vocab_to_gguf(*vocab, out->content);
  }
  auto matrix = [&](const std::string& name, const Weight& w) { return add_tensor(*out, name, w, opts.type, false); };
  auto vector = [&](const std::string& name, const Weight& w) {
    return add_tensor(*out, name, w, GgmlType::F32, true);
  };
  GREENLLM_TRY(matrix("token_embd.weight", model.tok_embd));
  if (model.rope_freqs.present()) GREENLLM_TRY(vector("rope_freqs.weight", model.rope_freqs));
  GREENLLM_TRY(vector("output_norm.weight", model.output_norm));
  if (!model.tied_embeddings) GREENLLM_TRY(matrix("output.weight", model.output));
  for (size_t i = 0; i < model.layers.size(); ++i) {
    const LlamaLayer& l = model.layers[i];
    const std::string p = fmt::format("blk.{}.", i);
    GREENLLM_TRY(vector(p + "attn_norm.weight", l.attn_norm));
    GREENLLM_TRY(matrix(p + "attn_q.weight", l.wq));
    if (l.bq.present()) GREENLLM_TRY(vector(p + "attn_q.bias", l.bq));
    GREENLLM_TRY(matrix(p + "attn_k.weight", l.wk));
    if (l.bk.present()) GREENLLM_TRY(vector(p + "attn_k.bias", l.bk));
    GREENLLM_TRY(matrix(p + "attn_v.weight", l.wv));
    if (l.bv.present()) GREENLLM_TRY(vector(p + "attn_v.bias", l.bv));
    GREENLLM_TRY(matrix(p + "attn_output.weight", l.wo));
    GREENLLM_TRY(vector(p + "ffn_norm.weight", l.ffn_norm));
    GREENLLM_TRY(matrix(p + "ffn_gate.weight", l.w_gate));
    GREENLLM_TRY(matrix(p + "ffn_up.weight", l.w_up));
    GREENLLM_TRY(matrix(p + "ffn_down.weight", l.w_down));
  }
  return out;
}

}  // namespace greenllm::model
