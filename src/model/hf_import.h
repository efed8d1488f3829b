// Hugging Face checkpoints (config.json + safetensors) of LlamaForCausalLM, MistralForCausalLM and
// Qwen2ForCausalLM to GGUF content, as llama.cpp's convert_hf_to_gguf.py does: hyper-parameters
// from config.json, tensor names mapped, q/k rows un-permuted for Llama/Mistral, Llama 3 RoPE
// scaling as a rope_freqs tensor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/ggml_type.h"
#include "core/status.h"
#include "model/gguf_export.h"
#include "model/llama_hparams.h"
#include "tokenizer/vocab.h"

namespace greenllm::model {

struct HfConfig {
  std::string hf_architecture;  // e.g. "LlamaForCausalLM"
  LlamaHParams hparams;         // arch "llama" (Llama, Mistral) or "qwen2"
  bool tie_word_embeddings = false;
  bool head_dim_explicit = false;  // config.json has head_dim
  // Hugging Face stores q/k rows in its rotary layout for Llama/Mistral (not for Qwen2, whose RoPE
  // is NeoX-style in GGUF too): the converter reorders them.
  bool unpermute_qk = true;
  std::string rope_scaling_type;   // "", "linear" or "llama3"
  std::vector<float> rope_freqs;   // llama3 scaling: n_rot / 2 frequency divisors
};

// Parses config.json text; `where` names the file in errors.
Result<HfConfig> parse_hf_config(const std::string& json_text, const std::string& where);

// Llama 3.1 RoPE scaling as llama.cpp's converter computes it: for each frequency
// f_i = base^(-2i/dim) (in float32, as torch computes it), the divisor is 1 for short wavelengths
// (2 pi / f < old_ctx / high_freq_factor), `factor` for long ones (> old_ctx / low_freq_factor), and
// in between 1 / ((1 - s) / factor + s) with s = (old_ctx / wavelength - low) / (high - low).
std::vector<float> llama3_rope_factors(double base, int64_t dim, double factor, double low_freq_factor,
                                       double high_freq_factor, double old_context_len);

struct HfImportOptions {
  std::optional<GgmlType> type;           // of the matrices; nullopt: the checkpoint's own (lossless)
  std::optional<tokenizer::Vocab> vocab;  // written as tokenizer.ggml.*; padded to vocab_size with
                                          // "[PADn]" tokens as llama.cpp's converter does
  std::string name;                       // general.name; default: the folder's name
};

// Reads `dir` (config.json and model.safetensors or a sharded index) into GGUF content whose
// tensors point into the mapped checkpoint (kept alive by the result) or into converted buffers.
// Errors name the file and tensor: unsupported architecture or setting, missing tensor, wrong shape,
// a dtype other than F32/F16/BF16, or a tensor the conversion does not know.
Result<std::unique_ptr<ConvertedModel>> import_hf(const std::string& dir, const HfImportOptions& opts);

// True if `dir` looks like a Hugging Face checkpoint folder (has config.json).
bool is_hf_folder(const std::string& dir);

}  // namespace greenllm::model
