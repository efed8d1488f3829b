// Format detection and loading of weights with their tokenizer.
#include "model/model_loader.h"

#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "formats/gguf.h"
#include "tokenizer/vocab.h"

namespace greenllm::model {

bool is_gguf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && std::memcmp(magic, "GGUF", 4) == 0;
}

Result<LoadedModel> load_model(const std::string& path, const std::string& tokenizer_path) {
  LoadedModel out;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::error(path + ": cannot open: no such file");
  if (std::filesystem::is_directory(path, ec))
    return Status::error(path + ": is a folder; a Hugging Face checkpoint must be converted first "
                         "(greenllm convert " + path + " -o model.gguf)");
  if (is_gguf_file(path)) {
    if (!tokenizer_path.empty())
      return Status::error(path + ": a GGUF file carries its own vocabulary; --tokenizer is for llama2.c checkpoints");
    auto file = formats::GgufFile::open(path);
    if (!file) return file.status();
    std::shared_ptr<const formats::GgufFile> shared(std::move(*file));
    auto vocab = tokenizer::vocab_from_gguf(*shared);
    if (!vocab) return vocab.status();
    auto tok = tokenizer::make_tokenizer(std::move(*vocab));
    if (!tok) return Status::error(path + ": " + tok.message());
    auto model = load_llama_from_gguf(shared);
    if (!model) return model.status();
    out.model = std::move(*model);
    out.tokenizer = std::move(*tok);
  } else {
    if (tokenizer_path.empty())
      return Status::error(path + ": not a GGUF file; a llama2.c checkpoint needs --tokenizer tokenizer.bin");
    auto model = load_llama2c(path);
    if (!model) return model.status();
    auto vocab = tokenizer::vocab_from_llama2c(tokenizer_path, int32_t((*model)->hparams.n_vocab));
    if (!vocab) return vocab.status();
    auto tok = tokenizer::make_tokenizer(std::move(*vocab));
    if (!tok) return Status::error(tokenizer_path + ": " + tok.message());
    out.model = std::move(*model);
    out.tokenizer = std::move(*tok);
  }
  if (out.tokenizer->vocab().n_tokens() != out.model->hparams.n_vocab)
    return Status::error(fmt::format("{}: vocabulary has {} tokens but the model's embedding has {} rows", path,
                                     out.tokenizer->vocab().n_tokens(), out.model->hparams.n_vocab));
  return out;
}

}  // namespace greenllm::model
