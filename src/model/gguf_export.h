// Building a Llama-family GGUF file's content: llama.cpp's metadata keys and tensor names, weights
// converted to F32/F16/BF16. Used for llama2.c checkpoints (a loaded LlamaModel) and, through
// hf_import, for Hugging Face checkpoints.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/ggml_type.h"
#include "core/status.h"
#include "formats/gguf.h"
#include "model/llama_hparams.h"
#include "model/llama_model.h"

namespace greenllm::tokenizer {
struct Vocab;
}

namespace greenllm::model {

// A GGUF file's content ready for formats::write_gguf, with the bytes its tensors point to: tensors
// that needed no change point into the source (kept alive by `source` or by the caller), the others
// into `buffers`.
struct ConvertedModel {
  formats::GgufContent content;
  LlamaHParams hparams;
  std::deque<std::vector<uint8_t>> buffers;
  std::shared_ptr<const void> source;

  uint64_t tensor_bytes() const;
};

// llama.cpp's general.file_type for a model whose matrices are `type` (F32 0, F16 1, BF16 32).
uint32_t gguf_file_type(GgmlType type);

// The hyper-parameter keys llama.cpp's converter writes ({arch}.context_length, ...), plus
// general.architecture/type/name/file_type/quantization_version. `write_head_dim` also writes
// {arch}.attention.key_length / value_length (when the head size is not n_embd / n_head it is
// always written).
void write_hparams_metadata(const LlamaHParams& hp, GgmlType matrix_type, const std::string& name, bool write_head_dim,
                            formats::GgufContent& content);

// Adds tensor `name` to `out` from `src` (F32/F16/BF16; n_out rows of n_in elements, n_out = 1 for
// vectors), converted to `type` (rounding to nearest even). A vector is written with the 1-D shape
// {n_in}, a matrix {n_in, n_out}. With unpermute_heads > 0 the rows are reordered from Hugging Face's
// rotary layout back to Meta's (GGUF's): within each of the unpermute_heads heads of d rows, output
// row 2j + s is input row s * d/2 + j (llama.cpp's converter: reshape (heads, 2, d/2, n_in), swap
// axes 1 and 2, reshape back). Unchanged tensors are referenced, not copied.
Status add_tensor(ConvertedModel& out, const std::string& name, const Weight& src, GgmlType type, bool is_vector,
                  int64_t unpermute_heads = 0);

struct ExportOptions {
  GgmlType type = GgmlType::F32;  // of the matrices; norms, biases and rope factors stay F32
  std::string name;               // general.name
};

// A loaded model (e.g. a llama2.c checkpoint) and its vocabulary as a GGUF file's content. Tied
// embeddings are written without output.weight. Tensors may point into `model`'s weights: keep
// `model` alive until the content is written. `vocab` may be null (weights only).
Result<std::unique_ptr<ConvertedModel>> export_llama_gguf(const LlamaModel& model, const tokenizer::Vocab* vocab,
                                                          const ExportOptions& opts);

}  // namespace greenllm::model
