// `greenllm convert`: a Hugging Face folder (config.json + safetensors) or a llama2.c checkpoint
// (+ its tokenizer.bin) to a GGUF file that greenllm and llama.cpp load.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "formats/gguf.h"
#include "model/gguf_export.h"
#include "model/hf_import.h"
#include "model/llama_model.h"
#include "model/model_loader.h"
#include "tokenizer/hf_tokenizer_json.h"
#include "tokenizer/vocab.h"

namespace greenllm::cli {
namespace {

namespace fs = std::filesystem;

struct ConvertOptions {
  std::string input;
  std::string output;
  std::string type = "auto";
  std::string tokenizer_path;
  std::string name;
  bool no_vocab = false;
};

// The vocabulary of a Hugging Face folder (tokenizer.json + tokenizer_config.json); none with --no-vocab.
Result<std::optional<tokenizer::Vocab>> hf_vocab(const std::string& dir, bool no_vocab) {
  if (no_vocab) return std::optional<tokenizer::Vocab>();
  auto vocab = tokenizer::vocab_from_hf(dir);
  if (!vocab) return vocab.status();
  return std::optional<tokenizer::Vocab>(std::move(*vocab));
}

std::string human_bytes(uint64_t n) {
  if (n >= (uint64_t(1) << 30)) return fmt::format("{:.2f} GiB", double(n) / double(uint64_t(1) << 30));
  if (n >= (uint64_t(1) << 20)) return fmt::format("{:.2f} MiB", double(n) / double(1 << 20));
  return fmt::format("{:.1f} KiB", double(n) / 1024.0);
}

int convert(const ConvertOptions& o) {
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "greenllm convert: %s\n", msg.c_str());
    return 1;
  };
  const auto start = std::chrono::steady_clock::now();
  std::optional<GgmlType> type;
  if (o.type != "auto") {
    type = ggml_type_from_name(o.type);
    if (!type || (*type != GgmlType::F32 && *type != GgmlType::F16 && *type != GgmlType::BF16))
      return fail(fmt::format("--type {}: expected f32, f16, bf16 or auto", o.type));
  }
  std::error_code ec;
  std::unique_ptr<model::ConvertedModel> converted;
  std::unique_ptr<model::LlamaModel> source_model;  // llama2.c: the tensors point into its mapping
  std::string kind;
  if (fs::is_directory(o.input, ec)) {
    if (!o.tokenizer_path.empty())
      return fail("--tokenizer is for llama2.c checkpoints; a Hugging Face folder's tokenizer.json is read from it");
    if (!model::is_hf_folder(o.input)) return fail(o.input + ": no config.json (not a Hugging Face checkpoint folder)");
    auto vocab = hf_vocab(o.input, o.no_vocab);
    if (!vocab) return fail(vocab.message());
    model::HfImportOptions opts;
    opts.type = type;
    opts.vocab = std::move(*vocab);
    opts.name = o.name;
    auto result = model::import_hf(o.input, opts);
    if (!result) return fail(result.message());
    converted = std::move(*result);
    kind = "Hugging Face";
  } else {
    if (model::is_gguf_file(o.input)) return fail(o.input + ": is already a GGUF file");
    auto loaded = model::load_llama2c(o.input);
    if (!loaded) return fail(loaded.message());
    source_model = std::move(*loaded);
    std::optional<tokenizer::Vocab> vocab;
    if (o.tokenizer_path.empty() && !o.no_vocab)
      return fail(o.input + ": a llama2.c checkpoint needs its tokenizer: --tokenizer tokenizer.bin (or --no-vocab)");
    if (!o.tokenizer_path.empty()) {
      auto v = tokenizer::vocab_from_llama2c(o.tokenizer_path, int32_t(source_model->hparams.n_vocab));
      if (!v) return fail(v.message());
      vocab = std::move(*v);
    }
    model::ExportOptions opts;
    opts.type = type.value_or(GgmlType::F32);
    opts.name = o.name.empty() ? fs::path(o.input).stem().string() : o.name;
    auto result = model::export_llama_gguf(*source_model, vocab ? &*vocab : nullptr, opts);
    if (!result) return fail(result.message());
    converted = std::move(*result);
    kind = "llama2.c";
  }
  if (auto st = formats::write_gguf(o.output, converted->content); !st) return fail(st.message());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto& h = converted->hparams;
  const auto& tensors = converted->content.tensors;
  const bool has_vocab = converted->content.metadata.end() !=
                         std::find_if(converted->content.metadata.begin(), converted->content.metadata.end(),
                                      [](const auto& kv) { return kv.key == "tokenizer.ggml.tokens"; });
  std::fprintf(stderr, "greenllm convert: %s %s (%lld layers, dim %lld, vocab %lld) -> %s: %zu tensors, %s (%s)%s in %.2f s\n",
               kind.c_str(), h.arch.c_str(), (long long)h.n_layer, (long long)h.n_embd, (long long)h.n_vocab,
               o.output.c_str(), tensors.size(), human_bytes(converted->tensor_bytes()).c_str(),
               std::string(ggml_type_name(tensors.empty() ? GgmlType::F32 : tensors.front().type)).c_str(),
               has_vocab ? "" : ", no vocabulary", seconds);
  return 0;
}

}  // namespace

void register_convert(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Convert a Hugging Face folder (Llama, Mistral, Qwen2) or a llama2.c checkpoint to GGUF");
  cmd->add_option("input", o->input, "Hugging Face checkpoint folder, or llama2.c model.bin")->required();
  cmd->add_option("-o,--output", o->output, "Output GGUF file")->required();
  cmd->add_option("--type", o->type,
                  "Type of the weight matrices: f32|f16|bf16, or auto (the checkpoint's own, lossless); "
                  "norms and biases stay f32")
      ->capture_default_str();
  cmd->add_option("--tokenizer", o->tokenizer_path, "llama2.c tokenizer.bin (for a llama2.c checkpoint)");
  cmd->add_option("--name", o->name, "general.name to write (default: the input's name)");
  cmd->add_flag("--no-vocab", o->no_vocab, "Write the weights without a vocabulary");
  cmd->callback([o, &exit_code] { exit_code = convert(*o); });
}

}  // namespace greenllm::cli
