// Reads and checks Llama-family hyper-parameters from GGUF metadata.
#include "model/llama_hparams.h"

#include <fmt/format.h>

#include "formats/gguf.h"

namespace greenllm::model {

Result<RopeType> rope_type_for_arch(const std::string& arch) {
  if (arch == "llama" || arch == "mistral") return RopeType::NORM;
  if (arch == "qwen2") return RopeType::NEOX;
  return Status::error(fmt::format("architecture '{}' is not supported (supported: llama, mistral, qwen2)", arch));
}

Status LlamaHParams::validate(const std::string& where) const {
  auto bad = [&](const std::string& what) { return Status::error(where + ": " + what); };
  constexpr int64_t kMaxDim = int64_t(1) << 20;
  if (n_embd <= 0 || n_embd > kMaxDim) return bad(fmt::format("embedding length {} out of range", n_embd));
  if (n_layer <= 0 || n_layer > 4096) return bad(fmt::format("block count {} out of range", n_layer));
  if (n_head <= 0 || n_head > 4096) return bad(fmt::format("head count {} out of range", n_head));
  if (n_head_kv <= 0 || n_head_kv > n_head || n_head % n_head_kv != 0)
    return bad(fmt::format("head_count_kv {} must divide head_count {}", n_head_kv, n_head));
  if (head_dim <= 0 || head_dim > 4096 || head_dim % 2 != 0)
    return bad(fmt::format("head dimension {} must be even and positive", head_dim));
  if (n_rot <= 0 || n_rot > head_dim || n_rot % 2 != 0)
    return bad(fmt::format("rope dimension count {} must be even and at most the head dimension {}", n_rot, head_dim));
  if (n_ff <= 0 || n_ff > kMaxDim) return bad(fmt::format("feed-forward length {} out of range", n_ff));
  if (n_vocab <= 0 || n_vocab > (int64_t(1) << 24)) return bad(fmt::format("vocabulary size {} out of range", n_vocab));
  if (n_ctx_train <= 0 || n_ctx_train > kMaxContext)
    return bad(fmt::format("context length {} out of range (1..{})", n_ctx_train, kMaxContext));
  if (!(rms_eps > 0.0f) || rms_eps > 1.0f) return bad("rms epsilon out of range");
  if (!(rope_freq_base > 0.0f)) return bad("rope frequency base must be positive");
  if (!(rope_freq_scale > 0.0f)) return bad("rope frequency scale must be positive");
  return Status::ok();
}

Result<LlamaHParams> hparams_from_gguf(const formats::GgufFile& file) {
  LlamaHParams hp;
  auto arch = file.get_string("general.architecture");
  if (!arch) return arch.status();
  hp.arch = *arch;
  auto rope = rope_type_for_arch(hp.arch);
  if (!rope) return Status::error(file.path() + ": " + rope.message());
  hp.rope_type = *rope;
  const std::string a = hp.arch + ".";

  auto need_int = [&](const std::string& key, int64_t* out) -> Status {
    auto v = file.get_int(key);
    if (!v) return v.status();
    *out = *v;
    return Status::ok();
  };
  GREENLLM_TRY(need_int(a + "embedding_length", &hp.n_embd));
  GREENLLM_TRY(need_int(a + "block_count", &hp.n_layer));
  GREENLLM_TRY(need_int(a + "attention.head_count", &hp.n_head));
  GREENLLM_TRY(need_int(a + "feed_forward_length", &hp.n_ff));
  GREENLLM_TRY(need_int(a + "context_length", &hp.n_ctx_train));
  hp.n_head_kv = hp.n_head;
  if (file.find(a + "attention.head_count_kv")) GREENLLM_TRY(need_int(a + "attention.head_count_kv", &hp.n_head_kv));
  hp.head_dim = hp.n_head > 0 ? hp.n_embd / hp.n_head : 0;
  if (file.find(a + "attention.key_length")) GREENLLM_TRY(need_int(a + "attention.key_length", &hp.head_dim));
  hp.n_rot = hp.head_dim;
  if (file.find(a + "rope.dimension_count")) GREENLLM_TRY(need_int(a + "rope.dimension_count", &hp.n_rot));

  auto opt_float = [&](const std::string& key, float* out) -> Status {
    if (!file.find(key)) return Status::ok();
    auto v = file.get_float(key);
    if (!v) return v.status();
    *out = float(*v);
    return Status::ok();
  };
  if (auto eps = file.get_float(a + "attention.layer_norm_rms_epsilon"); eps) hp.rms_eps = float(*eps);
  else return eps.status();
  GREENLLM_TRY(opt_float(a + "rope.freq_base", &hp.rope_freq_base));
  // Linear RoPE scaling: `rope.scaling.type` = "linear" with `rope.scaling.factor` (older files
  // carry only `rope.scale_linear`). Llama 3.1's per-frequency scaling comes as rope_freqs.weight.
  float factor = 1.0f;
  GREENLLM_TRY(opt_float(a + "rope.scale_linear", &factor));
  if (const auto* type = file.find(a + "rope.scaling.type")) {
    const std::string* t = type->as_string();
    if (t == nullptr) return Status::error(file.path() + ": " + a + "rope.scaling.type is not a string");
    if (*t == "linear") {
      GREENLLM_TRY(opt_float(a + "rope.scaling.factor", &factor));
    } else if (*t != "none") {
      return Status::error(fmt::format("{}: rope scaling type '{}' is not supported (linear, none)", file.path(), *t));
    }
  }
  if (!(factor > 0.0f)) return Status::error(file.path() + ": rope scaling factor must be positive");
  hp.rope_freq_scale = 1.0f / factor;

  if (file.find(a + "vocab_size")) {
    GREENLLM_TRY(need_int(a + "vocab_size", &hp.n_vocab));
  } else if (const auto* toks = file.find("tokenizer.ggml.tokens"); toks && toks->as_array()) {
    hp.n_vocab = int64_t(toks->as_array()->items.size());
  } else if (const auto* emb = file.find_tensor("token_embd.weight"); emb && emb->shape.size() == 2) {
    hp.n_vocab = emb->shape[1];
  }
  GREENLLM_TRY(hp.validate(file.path()));
  return hp;
}

}  // namespace greenllm::model
