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
  std::string vocab_from;         // a GGUF whose tokenizer.ggml.* keys are copied (empty: built-in vocabulary)
  int threads = 1;                // for generating the random values
};

// Writes a GGUF with llama.cpp's tensor names and metadata and random weights: Gaussian, std 0.02,
// with 1% of each matrix's input channels 8x larger (trained checkpoints have such outlier channels,
// and they are what makes low-bit quantization hard), norms 1 +- 0.05. The vocabulary is copied from
// opts.vocab_from, or built in: <unk>, <s>, </s>, the 256 byte tokens, then "tokN" fillers (a
// SentencePiece vocabulary that llama.cpp loads). Tensors are generated and written one at a time,
// so a model larger than memory can be written. Same seed, same file.
Status write_synth_model(const SynthSpec& spec, const SynthOptions& opts, const std::string& path);

}  // namespace greenllm::model
