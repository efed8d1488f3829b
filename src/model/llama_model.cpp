// Binds GGUF tensors (llama.cpp's names: token_embd, blk.N.attn_q, ...) to a LlamaModel, checking
// every shape and type before the forward pass can touch it.
#include "model/llama_model.h"

#include <fmt/format.h>

#include <cstring>

#include "core/fp16.h"
#include "core/text_util.h"
#include "core/mmap_file.h"
#include "formats/gguf.h"
#include "quant/reference.h"

namespace greenllm::model {
namespace {

class GgufBinder {
 public:
  GgufBinder(const formats::GgufFile& file, LlamaModel& model) : file_(file), model_(model) {}

  // A matrix with GGUF shape {n_in, n_out}, in a type the kernels compute.
  Status matrix(const std::string& name, int64_t n_in, int64_t n_out, Weight* out, bool required = true) {
    const auto* t = file_.find_tensor(name);
    if (t == nullptr) {
      if (!required) return Status::ok();
      return Status::error(fmt::format("{}: missing tensor {}", file_.path(), name));
    }
    if (t->shape.size() != 2 || t->shape[0] != n_in || t->shape[1] != n_out)
      return Status::error(fmt::format("{}: tensor {} has shape {}, expected [{}, {}]", file_.path(), name,
                                       shape_to_string(t->shape), n_in, n_out));
    if (!ggml_type_traits(t->type).computable && quant::quant_traits(t->type) == nullptr)
      return Status::error(fmt::format("{}: tensor {} has type {}, which greenllm cannot compute yet "
                                       "(supported: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q6_k, q5_k, q4_k)",
                                       file_.path(), name, ggml_type_name(t->type)));
    GREENLLM_TRY(aligned(*t));
    *out = Weight{t->type, n_in, n_out, t->data};
    return Status::ok();
  }

  // A vector of n elements, converted to F32 if stored as F16/BF16.
  Status vector(const std::string& name, int64_t n, Weight* out, bool required = true) {
    const auto* t = file_.find_tensor(name);
    if (t == nullptr) {
      if (!required) return Status::ok();
      return Status::error(fmt::format("{}: missing tensor {}", file_.path(), name));
    }
    if (t->n_elements() != n || t->shape.empty() || t->shape[0] != n)
      return Status::error(fmt::format("{}: tensor {} has shape {}, expected [{}]", file_.path(), name,
                                       shape_to_string(t->shape), n));
    if (t->type != GgmlType::F32 && t->type != GgmlType::F16 && t->type != GgmlType::BF16)
      return Status::error(fmt::format("{}: tensor {} has type {}; vectors must be f32, f16 or bf16",
                                       file_.path(), name, ggml_type_name(t->type)));
    GREENLLM_TRY(aligned(*t));
    if (t->type == GgmlType::F32) {
      *out = Weight{GgmlType::F32, n, 1, t->data};
      return Status::ok();
    }
    std::vector<float> v(static_cast<size_t>(n));
    const auto* src = reinterpret_cast<const uint8_t*>(t->data);
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      v[size_t(i)] = t->type == GgmlType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
    }
    model_.owned.push_back(std::move(v));
    *out = Weight{GgmlType::F32, n, 1, model_.owned.back().data()};
    return Status::ok();
  }

 private:
  // The kernels read elements through typed pointers: a file with general.alignment 1 or 2 could
  // place a tensor where that is undefined behaviour.
  Status aligned(const formats::GgufTensorInfo& t) const {
    const size_t elem = t.type == GgmlType::F32 || t.type == GgmlType::Q8_K ? 4 : 2;  // widest field read
    if (reinterpret_cast<uintptr_t>(t.data) % elem != 0)
      return Status::error(fmt::format("{}: tensor {} is not aligned to its {}-byte elements (general.alignment too small)",
                                       file_.path(), t.name, elem));
    return Status::ok();
  }

  const formats::GgufFile& file_;
  LlamaModel& model_;
};

}  // namespace

uint64_t LlamaModel::weight_bytes() const {
  auto bytes = [](const Weight& w) -> uint64_t {
    if (!w.present()) return 0;
    return ggml_row_bytes(w.type, uint64_t(w.n_in)).value_or(0) * uint64_t(w.n_out);
  };
  uint64_t total = bytes(tok_embd) + bytes(output_norm) + (tied_embeddings ? 0 : bytes(output)) + bytes(rope_freqs);
  for (const auto& l : layers)
    for (const Weight* w : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.wo, &l.bq, &l.bk, &l.bv, &l.ffn_norm,
                            &l.w_gate, &l.w_up, &l.w_down})
      total += bytes(*w);
  return total;
}

Result<std::unique_ptr<LlamaModel>> load_llama_from_gguf(std::shared_ptr<const formats::GgufFile> file) {
  auto hp = hparams_from_gguf(*file);
  if (!hp) return hp.status();
  auto model = std::make_unique<LlamaModel>();
  model->hparams = *hp;
  model->source_path = file->path();
  model->source_format = "gguf";
  const LlamaHParams& h = model->hparams;
  GgufBinder bind(*file, *model);

  GREENLLM_TRY(bind.matrix("token_embd.weight", h.n_embd, h.n_vocab, &model->tok_embd));
  GREENLLM_TRY(bind.vector("output_norm.weight", h.n_embd, &model->output_norm));
  GREENLLM_TRY(bind.matrix("output.weight", h.n_embd, h.n_vocab, &model->output, /*required=*/false));
  if (!model->output.present()) {
    model->output = model->tok_embd;
    model->tied_embeddings = true;
  }
  GREENLLM_TRY(bind.vector("rope_freqs.weight", h.n_rot / 2, &model->rope_freqs, /*required=*/false));

  model->layers.resize(size_t(h.n_layer));
  for (int64_t i = 0; i < h.n_layer; ++i) {
    LlamaLayer& l = model->layers[size_t(i)];
    const std::string p = fmt::format("blk.{}.", i);
    GREENLLM_TRY(bind.vector(p + "attn_norm.weight", h.n_embd, &l.attn_norm));
    GREENLLM_TRY(bind.matrix(p + "attn_q.weight", h.n_embd, h.q_dim(), &l.wq));
    GREENLLM_TRY(bind.matrix(p + "attn_k.weight", h.n_embd, h.kv_dim(), &l.wk));
    GREENLLM_TRY(bind.matrix(p + "attn_v.weight", h.n_embd, h.kv_dim(), &l.wv));
    GREENLLM_TRY(bind.matrix(p + "attn_output.weight", h.q_dim(), h.n_embd, &l.wo));
    GREENLLM_TRY(bind.vector(p + "attn_q.bias", h.q_dim(), &l.bq, false));
    GREENLLM_TRY(bind.vector(p + "attn_k.bias", h.kv_dim(), &l.bk, false));
    GREENLLM_TRY(bind.vector(p + "attn_v.bias", h.kv_dim(), &l.bv, false));
    GREENLLM_TRY(bind.vector(p + "ffn_norm.weight", h.n_embd, &l.ffn_norm));
    GREENLLM_TRY(bind.matrix(p + "ffn_gate.weight", h.n_embd, h.n_ff, &l.w_gate));
    GREENLLM_TRY(bind.matrix(p + "ffn_up.weight", h.n_embd, h.n_ff, &l.w_up));
    GREENLLM_TRY(bind.matrix(p + "ffn_down.weight", h.n_ff, h.n_embd, &l.w_down));
  }
  model->gguf = std::move(file);
  return model;
}

}  // namespace greenllm::model
