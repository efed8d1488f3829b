// GGUF v2/v3: the reader (mmap, every metadata value type, tensor infos, alignment) and the writer.
// File layout (little-endian):
//   magic "GGUF" | u32 version | u64 n_tensors | u64 n_kv
//   n_kv x  { string key | u32 value_type | value }
//   n_tensors x { string name | u32 n_dims | n_dims x u64 ne | u32 ggml_type | u64 offset }
//   padding to `general.alignment` (default 32) | tensor data (each tensor at data_start + offset,
//   offsets aligned)
//   string = u64 length + bytes (no NUL); array = u32 elem_type + u64 count + elements.
// (v1 used u32 counts and lengths; it is refused.)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "core/ggml_type.h"
#include "core/mmap_file.h"
#include "core/status.h"

namespace greenllm::formats {

enum class GgufValueType : uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
const char* gguf_value_type_name(GgufValueType t);

class GgufValue;

struct GgufArray {
  GgufValueType elem_type = GgufValueType::UINT8;
  std::vector<GgufValue> items;  // every item has type elem_type
};

// One metadata value: a scalar, a string or an array (arrays may nest).
class GgufValue {
 public:
  using Storage = std::variant<uint64_t, int64_t, double, bool, std::string, GgufArray>;

  GgufValue() : type_(GgufValueType::UINT32), v_(uint64_t{0}) {}
  GgufValue(GgufValueType type, Storage v) : type_(type), v_(std::move(v)) {}

  static GgufValue u8(uint8_t x) { return {GgufValueType::UINT8, uint64_t{x}}; }
  static GgufValue i8(int8_t x) { return {GgufValueType::INT8, int64_t{x}}; }
  static GgufValue u16(uint16_t x) { return {GgufValueType::UINT16, uint64_t{x}}; }
  static GgufValue i16(int16_t x) { return {GgufValueType::INT16, int64_t{x}}; }
  static GgufValue u32(uint32_t x) { return {GgufValueType::UINT32, uint64_t{x}}; }
  static GgufValue i32(int32_t x) { return {GgufValueType::INT32, int64_t{x}}; }
  static GgufValue u64(uint64_t x) { return {GgufValueType::UINT64, x}; }
  static GgufValue i64(int64_t x) { return {GgufValueType::INT64, x}; }
  static GgufValue f32(float x) { return {GgufValueType::FLOAT32, double{x}}; }
  static GgufValue f64(double x) { return {GgufValueType::FLOAT64, x}; }
  static GgufValue boolean(bool x) { return {GgufValueType::BOOL, x}; }
  static GgufValue string(std::string x) { return {GgufValueType::STRING, std::move(x)}; }
  static GgufValue array(GgufValueType elem_type, std::vector<GgufValue> items) {
    return {GgufValueType::ARRAY, GgufArray{elem_type, std::move(items)}};
  }
  static GgufValue string_array(const std::vector<std::string>& xs);
  static GgufValue f32_array(const std::vector<float>& xs);
  static GgufValue i32_array(const std::vector<int32_t>& xs);

  GgufValueType type() const { return type_; }
  const Storage& storage() const { return v_; }

  // Any integer type (unsigned values above INT64_MAX give nullopt); nullopt for other types.
  std::optional<int64_t> as_int() const;
  // FLOAT32 / FLOAT64 (integers are converted too).
  std::optional<double> as_float() const;
  std::optional<bool> as_bool() const;
  const std::string* as_string() const;
  const GgufArray* as_array() const;
  // Convenience conversions of whole arrays; nullopt when the element type does not fit.
  std::optional<std::vector<std::string>> as_string_array() const;
  std::optional<std::vector<float>> as_f32_array() const;
  std::optional<std::vector<int32_t>> as_i32_array() const;

  // Type and value equal (floats compared bitwise, so NaN == NaN).
  bool operator==(const GgufValue& other) const;
  // Short human-readable form (arrays abbreviated), for `greenllm` listings and error messages.
  std::string to_display_string() const;

 private:
  GgufValueType type_;
  Storage v_;
};

struct GgufTensorInfo {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<int64_t> shape;  // ggml order: shape[0] is the contiguous row length (ne0)
  uint64_t offset = 0;         // from the start of the data section
  uint64_t size_bytes = 0;
  const uint8_t* data = nullptr;  // into the mapping

  int64_t n_elements() const;  // product of the shape; -1 if a dim is < 1 or the product overflows
};

// Bytes of a tensor of `type` and `shape` (ggml order): rows of shape[0] elements, which must be a
// multiple of the type's block size. Errors (no path) say what is wrong: 1 to 4 dims, each >= 1, no
// overflow of the element count (int64) or the byte size (uint64).
Result<uint64_t> gguf_tensor_size_bytes(GgmlType type, const std::vector<int64_t>& shape);

struct GgufKeyValue {
  std::string key;
  GgufValue value;
};

// What the writer serializes: metadata in order, then tensors in order with their bytes.
struct GgufWriteTensor {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<int64_t> shape;  // ggml order
  const void* data = nullptr;  // size_bytes bytes (must outlive write_gguf)
  uint64_t size_bytes = 0;
  // Instead of `data`: fills a buffer of size_bytes when the writer reaches this tensor, so that a
  // file larger than memory can be written one tensor at a time.
  std::function<Status(uint8_t* dst)> produce;
};
struct GgufContent {
  uint32_t version = 3;
  uint64_t alignment = 32;  // written as general.alignment when it differs from 32 and is not in metadata
  std::vector<GgufKeyValue> metadata;
  std::vector<GgufWriteTensor> tensors;

  void set(const std::string& key, GgufValue value);  // replaces an existing key or appends
};

// Reads a GGUF file through a read-only mmap. Every count, length, shape and offset is checked
// against the file's size before use: a corrupt or hostile file gives a one-line error
// "<path>: <what is wrong> (at byte N)" and never an allocation sized by the header.
class GgufFile {
 public:
  static Result<std::unique_ptr<GgufFile>> open(const std::string& path);

  const std::string& path() const { return file_->path(); }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // where the data section starts
  uint64_t file_size_bytes() const { return file_->size_bytes(); }

  const std::vector<GgufKeyValue>& metadata() const { return metadata_; }
  const GgufValue* find(std::string_view key) const;
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;

  // Typed lookups whose errors name the file and the key ("missing key" / "has type X, expected Y").
  Result<int64_t> get_int(std::string_view key) const;
  Result<double> get_float(std::string_view key) const;
  Result<std::string> get_string(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;

  // Everything needed to write this file again (tensor data pointing into the mapping).
  GgufContent content() const;

 private:
  GgufFile() = default;
  Status parse();

  std::unique_ptr<MmapFile> file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<GgufKeyValue> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  // Views into the mapping (stable for the life of the file), for lookups and duplicate checks.
  std::unordered_map<std::string_view, size_t> key_index_;
  std::unordered_map<std::string_view, size_t> tensor_index_;
};

// Serializes `content` to `path` (through a temporary file renamed into place). Tensor offsets are
// laid out in order, each aligned; the shape and byte size of each tensor are checked for
// consistency with its type first.
Status write_gguf(const std::string& path, const GgufContent& content);

}  // namespace greenllm::formats
