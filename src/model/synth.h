// Synthetic models: the real shapes of well-known models with random weights, so that speed, memory
// and cost can be measured before anything is downloaded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/ggml_type.h"
#include "core/status.h"
#include "model/llama_hparams.h"

namespace greenllm::model {

struct SynthSpec {
  std::string name;
  LlamaHParams hp;
  bool qkv_bias = false;
  bool tied_embeddings = false;
};

// Known shapes: tinyllama-1.1b, llama-2-7b, llama-2-13b, llama-3-8b, mistral-7b, qwen2-0.5b, and
// "tiny" (a few hundred KB, for tests).
const std::vector<SynthSpec>& synth_specs();
Result<SynthSpec> find_synth_spec(const std::string& name);

struct SynthOptions {
  GgmlType type = GgmlType::F16;  // of the 2-D weights; norms and biases stay F32
  uint64_t seed = 1;
};

// Writes a GGUF with llama.cpp's tensor names and metadata, random weights (uniform, std 0.02 for
// matrices, 1 +- 0.1 for norms) and a placeholder SentencePiece vocabulary of n_vocab tokens
// (<unk>, <s>, </s>, the 256 byte tokens, then "tokN" fillers).
Status write_synth_model(const SynthSpec& spec, const SynthOptions& opts, const std::string& path);

}  // namespace greenllm::model
