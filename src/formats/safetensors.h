// Safetensors (Hugging Face's weight format): one file, or a sharded checkpoint listed by
// model.safetensors.index.json. Read through a read-only mmap, every header field checked first.
// File layout:
//   u64 N (little-endian) | N bytes of JSON (UTF-8, may end in spaces) | data buffer
//   JSON: { "NAME": {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}, ...,
//           "__metadata__": {"key": "value", ...} (optional, strings only) }
//   Offsets are relative to the data buffer (byte 8 + N); shape is row-major (PyTorch order: the
//   last dim is contiguous), so a PyTorch (n_out, n_in) matrix is GGUF {n_in, n_out}.
// Aliases: safetensors' `save_model` drops tensors that share storage and records each dropped name
// in __metadata__ as  "dropped_name": "kept_name"  (e.g. "model.embed_tokens.weight":
// "lm_head.weight" for tied embeddings). find() resolves such names to the kept tensor.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/mmap_file.h"
#include "core/status.h"

namespace greenllm::formats {

// Every dtype the safetensors spec names with a whole number of bytes per element. Only F32, F16
// and BF16 can be converted to floats; the others are listed and refused where a value is needed.
enum class SafetensorsDtype {
  BOOL, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64,
};
std::string_view safetensors_dtype_name(SafetensorsDtype dtype);
std::optional<SafetensorsDtype> safetensors_dtype_from_name(std::string_view name);
uint32_t safetensors_dtype_bytes(SafetensorsDtype dtype);

struct SafetensorsTensor {
  std::string name;
  SafetensorsDtype dtype = SafetensorsDtype::F32;
  std::vector<int64_t> shape;     // row-major, as in the file; empty = a scalar
  uint64_t offset_bytes = 0;      // from the start of the file
  uint64_t size_bytes = 0;        // = n_elements * dtype bytes
  const uint8_t* data = nullptr;  // into the mapping
  const std::string* file_path = nullptr;  // the file holding it (owned by the SafetensorsFile)

  int64_t n_elements() const;  // product of the shape (1 for a scalar); checked at open
};

// Header limits (a hostile header cannot make the reader allocate or recurse without bound).
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;  // as the reference implementation
inline constexpr int kSafetensorsMaxJsonDepth = 16;
inline constexpr int kSafetensorsMaxDims = 8;

class SafetensorsFile {
 public:
  // Errors are one line: "<path>: <what is wrong>".
  static Result<std::unique_ptr<SafetensorsFile>> open(const std::string& path);

  const std::string& path() const { return path_; }
  uint64_t file_size_bytes() const { return file_->size_bytes(); }
  uint64_t data_offset() const { return data_offset_; }  // 8 + header length
  // Sorted by offset (the order of the data in the file).
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
  // __metadata__ (the keys in sorted order).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Alias name -> the name of the tensor that holds its data (see the file comment).
  const std::map<std::string, std::string>& aliases() const { return aliases_; }

  // A tensor by name, aliases resolved; nullptr if absent.
  const SafetensorsTensor* find(std::string_view name) const;

 private:
  SafetensorsFile() = default;
  Status parse();

  std::string path_;
  std::unique_ptr<MmapFile> file_;
  uint64_t data_offset_ = 0;
  std::vector<SafetensorsTensor> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, std::string> aliases_;
};

// A whole checkpoint: one .safetensors file or the shards of an index. Names are unique across
// shards; each entry of the index's weight_map must be found (directly or as an alias) in the
// shard it names.
class SafetensorsCheckpoint {
 public:
  // `path`: a .safetensors file, an index .json, or a folder holding model.safetensors.index.json
  // or model.safetensors (the index wins when both are there).
  static Result<std::unique_ptr<SafetensorsCheckpoint>> open(const std::string& path);

  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }
  // Tensor names, sorted, without aliases.
  std::vector<std::string> tensor_names() const;
  // A tensor by name across all shards, aliases resolved; nullptr if absent.
  const SafetensorsTensor* find(std::string_view name) const;
  uint64_t total_tensor_bytes() const;

 private:
  SafetensorsCheckpoint() = default;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const SafetensorsTensor*, std::less<>> by_name_;  // tensors and aliases
};

// The values of an F32/F16/BF16 tensor as floats (row-major); other dtypes give an error naming
// the tensor, its file and its dtype.
Result<std::vector<float>> safetensors_to_f32(const SafetensorsTensor& tensor);

}  // namespace greenllm::formats
