// One entry point for every model file greenllm runs: a GGUF file (weights + vocabulary), or a
// llama2.c checkpoint with its tokenizer.bin.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "model/llama_model.h"
#include "tokenizer/tokenizer.h"

namespace greenllm::model {

struct LoadedModel {
  std::unique_ptr<LlamaModel> model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
};

// `tokenizer_path` is required for llama2.c checkpoints and must be empty for GGUF files (whose
// vocabulary is inside). The format is told by the file's first bytes, not its name.
Result<LoadedModel> load_model(const std::string& path, const std::string& tokenizer_path = "");

// True if the file starts with the GGUF magic.
bool is_gguf_file(const std::string& path);

}  // namespace greenllm::model
