// Hugging Face Llama/Mistral/Qwen2 checkpoints to GGUF content: config.json to {arch}.* keys,
// "model.layers.N.self_attn.q_proj.weight" to "blk.N.attn_q.weight", and so on.
#include "model/hf_import.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <set>
#include <sstream>

#include "core/text_util.h"
#include "formats/safetensors.h"

namespace greenllm::model {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct ArchInfo {
  const char* hf_name;
  const char* model_type;
  const char* gguf_arch;
  bool unpermute_qk;
  int64_t default_ctx;  // max_position_embeddings default of the transformers config class
};
constexpr ArchInfo kArchs[] = {
    {"LlamaForCausalLM", "llama", "llama", true, 2048},
    {"MistralForCausalLM", "mistral", "llama", true, 131072},
    {"Qwen2ForCausalLM", "qwen2", "qwen2", false, 32768},
};

Result<GgmlType> ggml_type_of(const formats::SafetensorsTensor& t) {
  switch (t.dtype) {
    case formats::SafetensorsDtype::F32: return GgmlType::F32;
    case formats::SafetensorsDtype::F16: return GgmlType::F16;
    case formats::SafetensorsDtype::BF16: return GgmlType::BF16;
    default:
      return Status::error(fmt::format("{}: tensor {} has dtype {}; only F32, F16 and BF16 checkpoints can be converted",
                                       *t.file_path, t.name, formats::safetensors_dtype_name(t.dtype)));
  }
}

// Binds Hugging Face tensors by name, checking shapes, and remembers which ones were used.
class HfTensors {
 public:
  explicit HfTensors(const formats::SafetensorsCheckpoint& ckpt) : ckpt_(ckpt) {}

  // `shape` in Hugging Face (row-major) order; a 1-D tensor of n becomes n rows of 1 element.
  Status get(const std::string& name, const std::vector<int64_t>& shape, Weight* out, bool required = true) {
    const formats::SafetensorsTensor* t = ckpt_.find(name);
    if (t == nullptr) {
      if (!required) return Status::ok();
      return Status::error(fmt::format("{}: missing tensor {}", where(), name));
    }
    if (t->shape != shape)
      return Status::error(fmt::format("{}: tensor {} has shape {}, expected {}", *t->file_path, name,
                                       shape_to_string(t->shape), shape_to_string(shape)));
    auto type = ggml_type_of(*t);
    if (!type) return type.status();
    used_.insert(t);
    *out = shape.size() == 1 ? Weight{*type, 1, shape[0], t->data} : Weight{*type, shape[1], shape[0], t->data};
    return Status::ok();
  }

  void mark_used(const std::string& name) {
    if (const auto* t = ckpt_.find(name)) used_.insert(t);
  }

  // A tensor of the checkpoint that no step used: the conversion would silently drop it.
  Status check_all_used() const {
    for (const auto& name : ckpt_.tensor_names()) {
      const auto* t = ckpt_.find(name);
      if (used_.count(t) != 0) continue;
      if (name.size() >= 19 && name.substr(name.size() - 19) == "rotary_emb.inv_freq") continue;  // recomputed
      return Status::error(fmt::format("{}: unexpected tensor {} (greenllm converts Llama, Mistral and Qwen2 "
                                       "checkpoints without it)",
                                       *t->file_path, name));
    }
    return Status::ok();
  }

 private:
  std::string where() const { return ckpt_.files().empty() ? "checkpoint" : ckpt_.files()[0]->path(); }
  const formats::SafetensorsCheckpoint& ckpt_;
  std::set<const formats::SafetensorsTensor*> used_;
};

Result<std::string> read_small_file(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > max_bytes) return Status::error(fmt::format("{}: larger than {} bytes", path, max_bytes));
  return text;
}

}  // namespace

std::vector<float> llama3_rope_factors(double base, int64_t dim, double factor, double low_freq_factor,
                                       double high_freq_factor, double old_context_len) {
  // torch computes the frequencies and the comparisons in float32; so does this.
  const float low_wavelen = float(old_context_len / low_freq_factor);
  const float high_wavelen = float(old_context_len / high_freq_factor);
  std::vector<float> factors;
  for (int64_t i = 0; i < dim; i += 2) {
    const float freq = 1.0f / std::pow(float(base), float(i) / float(dim));
    const float wavelen = float(2.0 * std::numbers::pi) / freq;
    if (wavelen < high_wavelen) {
      factors.push_back(1.0f);
    } else if (wavelen > low_wavelen) {
      factors.push_back(float(factor));
    } else {
      const float smooth = (float(old_context_len) / wavelen - float(low_freq_factor)) /
                           float(high_freq_factor - low_freq_factor);
      factors.push_back(1.0f / ((1.0f - smooth) / float(factor) + smooth));
    }
  }
  return factors;
}

Result<HfConfig> parse_hf_config(const std::string& json_text, const std::string& where) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    return Status::error(fmt::format("{}: invalid JSON: {}", where, e.what()));
  }
  if (!j.is_object()) return Status::error(where + ": not a JSON object");
  auto bad = [&](const std::string& what) { return Status::error(where + ": " + what); };

  HfConfig cfg;
  const ArchInfo* arch = nullptr;
  std::string named;
  if (auto a = j.find("architectures"); a != j.end() && a->is_array() && !a->empty() && (*a)[0].is_string()) {
    named = (*a)[0].get<std::string>();
    for (const auto& info : kArchs)
      if (named == info.hf_name) arch = &info;
  } else if (auto m = j.find("model_type"); m != j.end() && m->is_string()) {
    named = m->get<std::string>();
    for (const auto& info : kArchs)
      if (named == info.model_type) arch = &info;
  }
  if (arch == nullptr)
    return bad(fmt::format("architecture '{}' is not supported (LlamaForCausalLM, MistralForCausalLM, "
                           "Qwen2ForCausalLM)",
                           named.empty() ? "(none given)" : named));
  cfg.hf_architecture = arch->hf_name;
  cfg.unpermute_qk = arch->unpermute_qk;
  LlamaHParams& hp = cfg.hparams;
  hp.arch = arch->gguf_arch;
  auto rope = rope_type_for_arch(hp.arch);
  if (!rope) return rope.status();
  hp.rope_type = *rope;

  auto present = [&](const char* key) { return j.contains(key) && !j[key].is_null(); };
  auto get_int = [&](const char* key, int64_t* out, std::optional<int64_t> fallback) -> Status {
    if (!present(key)) {
      if (fallback) {
        *out = *fallback;
        return Status::ok();
      }
      return bad(fmt::format("missing \"{}\"", key));
    }
    if (!j[key].is_number_integer() || j[key].get<int64_t>() <= 0)
      return bad(fmt::format("\"{}\" must be a positive integer, not {}", key, j[key].dump()));
    *out = j[key].get<int64_t>();
    return Status::ok();
  };
  auto get_float = [&](const char* key, double* out, double fallback) -> Status {
    if (!present(key)) {
      *out = fallback;
      return Status::ok();
    }
    if (!j[key].is_number()) return bad(fmt::format("\"{}\" must be a number, not {}", key, j[key].dump()));
    *out = j[key].get<double>();
    return Status::ok();
  };
  GREENLLM_TRY(get_int("hidden_size", &hp.n_embd, std::nullopt));
  GREENLLM_TRY(get_int("num_hidden_layers", &hp.n_layer, std::nullopt));
  GREENLLM_TRY(get_int("num_attention_heads", &hp.n_head, std::nullopt));
  GREENLLM_TRY(get_int("num_key_value_heads", &hp.n_head_kv, hp.n_head));
  GREENLLM_TRY(get_int("intermediate_size", &hp.n_ff, std::nullopt));
  GREENLLM_TRY(get_int("vocab_size", &hp.n_vocab, std::nullopt));
  GREENLLM_TRY(get_int("max_position_embeddings", &hp.n_ctx_train, arch->default_ctx));
  cfg.head_dim_explicit = present("head_dim");
  if (!cfg.head_dim_explicit && hp.n_embd % hp.n_head != 0)
    return bad(fmt::format("hidden_size {} is not a multiple of num_attention_heads {}", hp.n_embd, hp.n_head));
  GREENLLM_TRY(get_int("head_dim", &hp.head_dim, hp.n_embd / hp.n_head));
  hp.n_rot = hp.head_dim;
  double eps = 0, theta = 0;
  GREENLLM_TRY(get_float("rms_norm_eps", &eps, 1e-6));
  GREENLLM_TRY(get_float("rope_theta", &theta, 10000.0));
  hp.rms_eps = float(eps);
  hp.rope_freq_base = float(theta);
  if (present("tie_word_embeddings")) {
    if (!j["tie_word_embeddings"].is_boolean()) return bad("\"tie_word_embeddings\" must be true or false");
    cfg.tie_word_embeddings = j["tie_word_embeddings"].get<bool>();
  }
  if (present("hidden_act") && j["hidden_act"] != "silu")
    return bad(fmt::format("hidden_act {} is not supported (silu)", j["hidden_act"].dump()));
  if (present("mlp_bias") && j["mlp_bias"] == true) return bad("mlp_bias is not supported");

  if (present("rope_scaling")) {
    const json& rs = j["rope_scaling"];
    if (!rs.is_object()) return bad("\"rope_scaling\" must be an object or null");
    std::string type;
    for (const char* k : {"rope_type", "type"})
      if (rs.contains(k) && rs[k].is_string()) type = rs[k].get<std::string>();
    auto rs_float = [&](const char* key, double fallback) -> Result<double> {
      if (!rs.contains(key) || rs[key].is_null()) return fallback;
      if (!rs[key].is_number() || !(rs[key].get<double>() > 0))
        return bad(fmt::format("rope_scaling.{} must be a positive number", key));
      return rs[key].get<double>();
    };
    if (type == "linear") {
      auto factor = rs_float("factor", 1.0);
      if (!factor) return factor.status();
      cfg.rope_scaling_type = type;
      hp.rope_freq_scale = float(1.0 / *factor);
    } else if (type == "llama3") {
      auto factor = rs_float("factor", 8.0);
      auto low = rs_float("low_freq_factor", 1.0);
      auto high = rs_float("high_freq_factor", 4.0);
      // Hugging Face reads the original context from rope_scaling; llama.cpp's converter from the
      // top level (default 8192). Real Llama 3.x configs agree; rope_scaling wins here.
      double top_ctx = 8192;
      GREENLLM_TRY(get_float("original_max_position_embeddings", &top_ctx, 8192));
      auto old_ctx = rs_float("original_max_position_embeddings", top_ctx);
      for (const auto* r : {&factor, &low, &high, &old_ctx})
        if (!*r) return r->status();
      if (*low == *high) return bad("rope_scaling low_freq_factor equals high_freq_factor");
      cfg.rope_scaling_type = type;
      GREENLLM_TRY(hp.validate(where));  // n_rot bounded before it sizes the factor table
      cfg.rope_freqs = llama3_rope_factors(theta, hp.n_rot, *factor, *low, *high, *old_ctx);
    } else if (!type.empty() && type != "default") {
      return bad(fmt::format("rope scaling type '{}' is not supported (linear, llama3)", type));
    }
  }
  GREENLLM_TRY(hp.validate(where));
  return cfg;
}

bool is_hf_folder(const std::string& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::exists(fs::path(dir) / "config.json", ec);
}

Result<std::unique_ptr<ConvertedModel>> import_hf(const std::string& dir, const HfImportOptions& opts) {
  const std::string config_path = (fs::path(dir) / "config.json").string();
  auto text = read_small_file(config_path, 16u << 20);
  if (!text) return text.status();
  auto cfg = parse_hf_config(*text, config_path);
  if (!cfg) return cfg.status();
  const LlamaHParams& h = cfg->hparams;
  auto opened = formats::SafetensorsCheckpoint::open(dir);
  if (!opened) return opened.status();
  std::shared_ptr<const formats::SafetensorsCheckpoint> ckpt = std::move(*opened);

  HfTensors tensors(*ckpt);
  const std::string embd_name = "model.embed_tokens.weight";
  const std::vector<int64_t> embd_shape = {h.n_vocab, h.n_embd};
  const formats::SafetensorsTensor* embd = ckpt->find(embd_name);
  if (embd == nullptr && cfg->tie_word_embeddings) embd = ckpt->find("lm_head.weight");
  if (embd == nullptr) return Status::error(fmt::format("{}: missing tensor {}", dir, embd_name));
  if (embd->shape.size() == 2 && embd->shape[1] == h.n_embd && embd->shape[0] != h.n_vocab)
    return Status::error(fmt::format("{}: {} has {} rows but config.json says vocab_size {}", *embd->file_path,
                                     embd->name, embd->shape[0], h.n_vocab));
  auto source_type = ggml_type_of(*embd);
  if (!source_type) return source_type.status();
  const GgmlType type = opts.type.value_or(*source_type);
  if (type != GgmlType::F32 && type != GgmlType::F16 && type != GgmlType::BF16)
    return Status::error(fmt::format("output type {} is not supported (f32, f16, bf16)", ggml_type_name(type)));

  auto out = std::make_unique<ConvertedModel>();
  out->hparams = h;
  std::string name = opts.name;
  if (name.empty()) {
    fs::path p = fs::path(dir);
    if (p.filename().empty()) p = p.parent_path();
    name = p.filename().string();
  }
  write_hparams_metadata(h, type, name, cfg->head_dim_explicit, out->content);
  if (opts.vocab) {
    tokenizer::Vocab vocab = *opts.vocab;
    if (vocab.n_tokens() > h.n_vocab)
      return Status::error(fmt::format("{}: the tokenizer has {} tokens, more than vocab_size {}", dir,
                                       vocab.n_tokens(), h.n_vocab));
    for (int64_t i = vocab.n_tokens(); i < h.n_vocab; ++i) {
      vocab.tokens.push_back(fmt::format("[PAD{}]", i));
      vocab.scores.push_back(-1000.0f);
      vocab.types.push_back(tokenizer::TokenType::UNUSED);
    }
    tokenizer::vocab_to_gguf(vocab, out->content);
  }

  // Matrices in `type`, vectors (norms, biases) in F32, as llama.cpp writes them.
  auto matrix = [&](const std::string& gguf, const std::string& hf, int64_t rows, int64_t cols,
                    int64_t unpermute_heads = 0) -> Status {
    Weight w;
    GREENLLM_TRY(tensors.get(hf, {rows, cols}, &w));
    return add_tensor(*out, gguf, w, type, false, unpermute_heads);
  };
  auto vector = [&](const std::string& gguf, const std::string& hf, int64_t n, bool required = true,
                    int64_t unpermute_heads = 0) -> Status {
    Weight w;
    GREENLLM_TRY(tensors.get(hf, {n}, &w, required));
    if (!w.present()) return Status::ok();
    return add_tensor(*out, gguf, w, GgmlType::F32, true, unpermute_heads);
  };

  GREENLLM_TRY(matrix("token_embd.weight", embd->name, h.n_vocab, h.n_embd));
  if (!cfg->rope_freqs.empty()) {
    std::vector<uint8_t>& buf = out->buffers.emplace_back(cfg->rope_freqs.size() * sizeof(float));
    std::memcpy(buf.data(), cfg->rope_freqs.data(), buf.size());
    GREENLLM_TRY(add_tensor(*out, "rope_freqs.weight", Weight{GgmlType::F32, 1, int64_t(cfg->rope_freqs.size()),
                                                              buf.data()},
                            GgmlType::F32, true));
  }
  GREENLLM_TRY(vector("output_norm.weight", "model.norm.weight", h.n_embd));
  if (cfg->tie_word_embeddings) {
    tensors.mark_used("lm_head.weight");  // the same values as the embeddings, by definition
  } else if (ckpt->find("lm_head.weight") != nullptr) {
    GREENLLM_TRY(matrix("output.weight", "lm_head.weight", h.n_vocab, h.n_embd));
  }  // else: no lm_head at all: llama.cpp and greenllm then use the embeddings (tied)

  const int64_t q_heads = cfg->unpermute_qk ? h.n_head : 0, k_heads = cfg->unpermute_qk ? h.n_head_kv : 0;
  for (int64_t i = 0; i < h.n_layer; ++i) {
    const std::string p = fmt::format("blk.{}.", i), hf = fmt::format("model.layers.{}.", i);
    GREENLLM_TRY(vector(p + "attn_norm.weight", hf + "input_layernorm.weight", h.n_embd));
    GREENLLM_TRY(matrix(p + "attn_q.weight", hf + "self_attn.q_proj.weight", h.q_dim(), h.n_embd, q_heads));
    GREENLLM_TRY(vector(p + "attn_q.bias", hf + "self_attn.q_proj.bias", h.q_dim(), false, q_heads));
    GREENLLM_TRY(matrix(p + "attn_k.weight", hf + "self_attn.k_proj.weight", h.kv_dim(), h.n_embd, k_heads));
    GREENLLM_TRY(vector(p + "attn_k.bias", hf + "self_attn.k_proj.bias", h.kv_dim(), false, k_heads));
    GREENLLM_TRY(matrix(p + "attn_v.weight", hf + "self_attn.v_proj.weight", h.kv_dim(), h.n_embd));
    GREENLLM_TRY(vector(p + "attn_v.bias", hf + "self_attn.v_proj.bias", h.kv_dim(), false));
    GREENLLM_TRY(matrix(p + "attn_output.weight", hf + "self_attn.o_proj.weight", h.n_embd, h.q_dim()));
    GREENLLM_TRY(vector(p + "ffn_norm.weight", hf + "post_attention_layernorm.weight", h.n_embd));
    GREENLLM_TRY(matrix(p + "ffn_gate.weight", hf + "mlp.gate_proj.weight", h.n_ff, h.n_embd));
    GREENLLM_TRY(matrix(p + "ffn_up.weight", hf + "mlp.up_proj.weight", h.n_ff, h.n_embd));
    GREENLLM_TRY(matrix(p + "ffn_down.weight", hf + "mlp.down_proj.weight", h.n_embd, h.n_ff));
  }
  GREENLLM_TRY(tensors.check_all_used());
  out->source = std::move(ckpt);
  return out;
}

}  // namespace greenllm::model
