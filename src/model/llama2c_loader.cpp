// llama2.c checkpoints (karpathy/llama2.c run.c, "v0" layout): a 28-byte header and F32 weights
// in a fixed order, mapped in place.
#include <fmt/format.h>

#include <cstring>

#include "core/mmap_file.h"
#include "model/llama_model.h"

namespace greenllm::model {

Result<std::unique_ptr<LlamaModel>> load_llama2c(const std::string& path) {
  auto mapped = MmapFile::open(path);
  if (!mapped) return mapped.status();
  const uint8_t* base = (*mapped)->data();
  const uint64_t size = (*mapped)->size_bytes();
  if (size < 28) return Status::error(fmt::format("{}: too small for a llama2.c header ({} bytes)", path, size));
  if (std::memcmp(base, "GGUF", 4) == 0) return Status::error(path + ": is a GGUF file, not a llama2.c checkpoint");
  int32_t hdr[7];
  std::memcpy(hdr, base, sizeof hdr);
  const int32_t dim = hdr[0], hidden = hdr[1], n_layers = hdr[2], n_heads = hdr[3], n_kv_heads = hdr[4],
                seq_len = hdr[6];
  const bool shared_classifier = hdr[5] > 0;
  const int64_t vocab = hdr[5] < 0 ? -int64_t(hdr[5]) : hdr[5];

  auto model = std::make_unique<LlamaModel>();
  LlamaHParams& h = model->hparams;
  h.arch = "llama";
  h.n_embd = dim;
  h.n_ff = hidden;
  h.n_layer = n_layers;
  h.n_head = n_heads;
  h.n_head_kv = n_kv_heads;
  h.n_vocab = vocab;
  h.n_ctx_train = seq_len;
  h.head_dim = n_heads > 0 ? dim / n_heads : 0;
  h.n_rot = h.head_dim;
  h.rms_eps = 1e-5f;  // run.c's rmsnorm
  h.rope_freq_base = 10000.0f;
  h.rope_type = RopeType::NORM;
  if (n_heads > 0 && dim % n_heads != 0)
    return Status::error(fmt::format("{}: dim {} is not a multiple of n_heads {}", path, dim, n_heads));
  GREENLLM_TRY(h.validate(path + " (llama2.c header)"));

  // Weight order and sizes, in floats (run.c memory_map_weights).
  const int64_t kv_dim = h.kv_dim(), L = n_layers, D = dim, F = hidden, hs = h.head_dim;
  uint64_t offset = 28;
  auto take = [&](int64_t n_in, int64_t n_out, int64_t count, Weight* out, const char* what) -> Status {
    const uint64_t n = uint64_t(n_in) * uint64_t(n_out) * uint64_t(count);
    if (n > (size - offset) / 4)
      return Status::error(fmt::format("{}: truncated: {} needs {} bytes at byte {}, file has {}", path, what,
                                       n * 4, offset, size));
    for (int64_t i = 0; i < count; ++i)
      out[i] = Weight{GgmlType::F32, n_in, n_out, base + offset + uint64_t(i) * uint64_t(n_in * n_out) * 4};
    offset += n * 4;
    return Status::ok();
  };
  std::vector<Weight> att_norm(L), wq(L), wk(L), wv(L), wo(L), ffn_norm(L), w1(L), w2(L), w3(L);
  GREENLLM_TRY(take(D, vocab, 1, &model->tok_embd, "token_embedding_table"));
  GREENLLM_TRY(take(D, 1, L, att_norm.data(), "rms_att_weight"));
  GREENLLM_TRY(take(D, h.q_dim(), L, wq.data(), "wq"));
  GREENLLM_TRY(take(D, kv_dim, L, wk.data(), "wk"));
  GREENLLM_TRY(take(D, kv_dim, L, wv.data(), "wv"));
  GREENLLM_TRY(take(h.q_dim(), D, L, wo.data(), "wo"));
  GREENLLM_TRY(take(D, 1, L, ffn_norm.data(), "rms_ffn_weight"));
  GREENLLM_TRY(take(D, F, L, w1.data(), "w1"));
  GREENLLM_TRY(take(F, D, L, w2.data(), "w2"));
  GREENLLM_TRY(take(D, F, L, w3.data(), "w3"));
  GREENLLM_TRY(take(D, 1, 1, &model->output_norm, "rms_final_weight"));
  Weight skip[2];
  GREENLLM_TRY(take(hs / 2, seq_len, 2, skip, "freq_cis_real/imag"));  // precomputed RoPE tables, unused
  if (shared_classifier) {
    model->output = model->tok_embd;
    model->tied_embeddings = true;
  } else {
    GREENLLM_TRY(take(D, vocab, 1, &model->output, "wcls"));
  }
  if (offset != size)
    return Status::error(fmt::format("{}: {} unexpected bytes after the weights (not a llama2.c v0 checkpoint?)",
                                     path, size - offset));
  model->layers.resize(size_t(L));
  for (int64_t i = 0; i < L; ++i) {
    auto& l = model->layers[size_t(i)];
    l.attn_norm = att_norm[i];
    l.attn_norm.n_out = 1;
    l.wq = wq[i];
    l.wk = wk[i];
    l.wv = wv[i];
    l.wo = wo[i];
    l.ffn_norm = ffn_norm[i];
    l.w_gate = w1[i];
    l.w_down = w2[i];
    l.w_up = w3[i];
  }
  model->output_norm.n_out = 1;
  model->source_path = path;
  model->source_format = "llama2c";
  model->mapping = std::move(*mapped);
  return model;
}

}  // namespace greenllm::model
