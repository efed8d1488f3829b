// GGUF reader: parses the header of a read-only mapping, checking every count, length, shape and offset
// against the bytes that are really there before using it (see gguf.h for the layout).
#include "formats/gguf.h"

#include "core/text_util.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <new>

namespace greenllm::formats {
namespace {

constexpr char kMagic[4] = {'G', 'G', 'U', 'F'};
constexpr const char* kAlignmentKey = "general.alignment";
constexpr uint32_t kMaxDims = 4;
// Arrays of arrays are legal; the depth is bounded so that a hostile file cannot exhaust the stack.
constexpr int kMaxArrayDepth = 8;
// Smallest possible encodings, used to reject counts that cannot fit in the bytes left.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;  // empty key, type, one-byte value
// Every array element becomes a GgufValue (48 bytes), so their total is bounded whatever the file's
// size (at most ~400 MiB): the largest real vocabularies hold ~10^6 tokens, scores and merges.
constexpr uint64_t kMaxArrayValues = uint64_t(1) << 23;
// Reservations for keys and tensor infos stop here; a real file holds far fewer, a larger count
// simply grows the vectors as entries are really read.
constexpr uint64_t kMaxReserve = 1 << 16;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;  // empty name, n_dims, one dim, type, offset

bool is_known_value_type(uint32_t t) { return t <= uint32_t(GgufValueType::FLOAT64); }

// Bytes of the smallest encoding of one value of type `t` (a string or array may be empty).
uint64_t min_value_bytes(GgufValueType t) {
  switch (t) {
    case GgufValueType::UINT8:
    case GgufValueType::INT8:
    case GgufValueType::BOOL:
      return 1;
    case GgufValueType::UINT16:
    case GgufValueType::INT16:
      return 2;
    case GgufValueType::UINT32:
    case GgufValueType::INT32:
    case GgufValueType::FLOAT32:
      return 4;
    case GgufValueType::UINT64:
    case GgufValueType::INT64:
    case GgufValueType::FLOAT64:
      return 8;
    case GgufValueType::STRING:
      return 8;
    case GgufValueType::ARRAY:
      return 4 + 8;
  }
  return 1;
}

// Sequential little-endian reads over [data, data + size) that never step past the end. Every
// error names the file and the byte where the offending field starts.
class Reader {
 public:
  Reader(const std::string& path, const uint8_t* data, uint64_t size) : path_(path), data_(data), size_(size) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  Status error(const std::string& what, uint64_t at) const {
    return Status::error(path_ + ": " + what + " (at byte " + std::to_string(at) + ")");
  }

  // Names the key or tensor being read in the messages of read() and read_string().
  void set_context(std::string context) { context_ = std::move(context); }

  template <class T>
  Status read(T* out, const char* what) {
    if (remaining() < sizeof(T))
      return error(context_prefix() + "unexpected end of file reading " + what + " (needs " +
                       std::to_string(sizeof(T)) + " bytes, " + std::to_string(remaining()) + " left)",
                   pos_);
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::ok();
  }

  // A u64 length then that many bytes; the view points into the mapping.
  Status read_string(std::string_view* out, const char* what) {
    const uint64_t at = pos_;
    uint64_t len = 0;
    GREENLLM_TRY(read(&len, what));
    if (len > remaining())
      return error(context_prefix() + what + " has length " + std::to_string(len) + " but only " +
                       std::to_string(remaining()) + " bytes are left in the file",
                   at);
    *out = std::string_view(reinterpret_cast<const char*>(data_ + pos_), size_t(len));
    pos_ += len;
    return Status::ok();
  }

  // Appends one value of `type` to `out` (built in place: a vocabulary holds ~10^5 of them); `key`
  // names the metadata key in messages.
  Status read_value(GgufValueType type, std::string_view key, int depth, std::vector<GgufValue>* out) {
    const uint64_t at = pos_;
    switch (type) {
      case GgufValueType::UINT8:
        return read_unsigned<uint8_t>(type, out);
      case GgufValueType::UINT16:
        return read_unsigned<uint16_t>(type, out);
      case GgufValueType::UINT32:
        return read_unsigned<uint32_t>(type, out);
      case GgufValueType::UINT64:
        return read_unsigned<uint64_t>(type, out);
      case GgufValueType::INT8:
        return read_signed<int8_t>(type, out);
      case GgufValueType::INT16:
        return read_signed<int16_t>(type, out);
      case GgufValueType::INT32:
        return read_signed<int32_t>(type, out);
      case GgufValueType::INT64:
        return read_signed<int64_t>(type, out);
      case GgufValueType::FLOAT32: {
        float x = 0;
        GREENLLM_TRY(read(&x, "an f32 value"));
        out->emplace_back(type, double{x});
        return Status::ok();
      }
      case GgufValueType::FLOAT64: {
        double x = 0;
        GREENLLM_TRY(read(&x, "an f64 value"));
        out->emplace_back(type, x);
        return Status::ok();
      }
      case GgufValueType::BOOL: {
        uint8_t x = 0;
        GREENLLM_TRY(read(&x, "a bool value"));
        if (x > 1)
          return error("key '" + printable(key) + "': bool value " + std::to_string(x) + " is neither 0 nor 1", at);
        out->emplace_back(type, x == 1);
        return Status::ok();
      }
      case GgufValueType::STRING: {
        std::string_view s;
        GREENLLM_TRY(read_string(&s, "a string value"));
        out->emplace_back(type, GgufValue::Storage(std::in_place_type<std::string>, s));
        return Status::ok();
      }
      case GgufValueType::ARRAY:
        return read_array(key, depth, out);
    }
    return error("key '" + printable(key) + "': unknown value type " + std::to_string(uint32_t(type)), at);
  }

 private:
  template <class T>
  Status read_unsigned(GgufValueType type, std::vector<GgufValue>* out) {
    T x = 0;
    GREENLLM_TRY(read(&x, "an integer value"));
    out->emplace_back(type, uint64_t{x});
    return Status::ok();
  }
  template <class T>
  Status read_signed(GgufValueType type, std::vector<GgufValue>* out) {
    T x = 0;
    GREENLLM_TRY(read(&x, "an integer value"));
    out->emplace_back(type, int64_t{x});
    return Status::ok();
  }

  Status read_array(std::string_view key, int depth, std::vector<GgufValue>* out) {
    const uint64_t type_at = pos_;
    uint32_t elem_type_id = 0;
    GREENLLM_TRY(read(&elem_type_id, "an array element type"));
    if (!is_known_value_type(elem_type_id))
      return error("key '" + printable(key) + "': unknown array element type " + std::to_string(elem_type_id), type_at);
    const auto elem_type = GgufValueType(elem_type_id);
    if (elem_type == GgufValueType::ARRAY && depth + 1 >= kMaxArrayDepth)
      return error("key '" + printable(key) + "': arrays nested more than " + std::to_string(kMaxArrayDepth) + " deep",
                   type_at);
    const uint64_t count_at = pos_;
    uint64_t count = 0;
    GREENLLM_TRY(read(&count, "an array count"));
    // Checked before any allocation: each element takes at least min_value_bytes in the file.
    if (count > remaining() / min_value_bytes(elem_type))
      return error("key '" + printable(key) + "': array of " + std::to_string(count) + " " +
                       gguf_value_type_name(elem_type) + " cannot fit in the " + std::to_string(remaining()) +
                       " bytes left",
                   count_at);
    if (count > kMaxArrayValues - n_array_values_)
      return error("key '" + printable(key) + "': array of " + std::to_string(count) +
                       " values would take the file's metadata past " + std::to_string(kMaxArrayValues) +
                       " array values, more than any model needs",
                   count_at);
    n_array_values_ += count;
    GgufArray array;
    array.elem_type = elem_type;
    array.items.reserve(size_t(count));
    for (uint64_t i = 0; i < count; ++i) GREENLLM_TRY(read_value(elem_type, key, depth + 1, &array.items));
    out->emplace_back(GgufValueType::ARRAY, std::move(array));
    return Status::ok();
  }

  std::string context_prefix() const { return context_.empty() ? "" : context_ + ": "; }

  const std::string& path_;
  std::string context_;
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  uint64_t n_array_values_ = 0;
};

}  // namespace

int64_t GgufTensorInfo::n_elements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 1 || __builtin_mul_overflow(n, d, &n)) return -1;
  return n;
}

Result<uint64_t> gguf_tensor_size_bytes(GgmlType type, const std::vector<int64_t>& shape) {
  const auto traits = ggml_type_traits(uint32_t(type));
  if (!traits) return Status::error("unknown tensor type id " + std::to_string(uint32_t(type)));
  if (shape.empty() || shape.size() > kMaxDims)
    return Status::error("has " + std::to_string(shape.size()) + " dimensions (must be 1 to " +
                         std::to_string(kMaxDims) + ")");
  int64_t n_rows = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 1)
      return Status::error("dimension " + std::to_string(i) + " is " + std::to_string(shape[i]) + " (must be >= 1)");
  }
  int64_t n_elements = shape[0];
  for (size_t i = 1; i < shape.size(); ++i) {
    if (__builtin_mul_overflow(n_rows, shape[i], &n_rows) || __builtin_mul_overflow(n_elements, shape[i], &n_elements))
      return Status::error("shape " + shape_to_string(shape) + " has more elements than fit in 64 bits");
  }
  const auto row_elems = uint64_t(shape[0]);
  if (row_elems % traits->block_elems != 0)
    return Status::error("row length " + std::to_string(shape[0]) + " is not a multiple of the " + traits->name +
                         " block size " + std::to_string(traits->block_elems));
  // Computed here rather than with ggml_row_bytes so that an overflow is seen, not wrapped.
  uint64_t row_bytes = 0;
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(row_elems / traits->block_elems, uint64_t(traits->block_bytes), &row_bytes) ||
      __builtin_mul_overflow(row_bytes, uint64_t(n_rows), &bytes))
    return Status::error("shape " + shape_to_string(shape) + " of type " + traits->name +
                         " takes more bytes than fit in 64 bits");
  return bytes;
}

Result<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path) {
  auto mapped = MmapFile::open(path);
  if (!mapped) return mapped.status();
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->file_ = std::move(mapped.value());
  try {
    GREENLLM_TRY(file->parse());
  } catch (const std::bad_alloc&) {
    return Status::error(path + ": out of memory while reading the GGUF header");
  }
  return file;
}

Status GgufFile::parse() {
  const std::string& file_path = file_->path();
  const uint64_t file_size = file_->size_bytes();
  Reader r(file_path, file_->data(), file_size);

  char magic[4] = {};
  GREENLLM_TRY(r.read(&magic, "the magic"));
  if (std::memcmp(magic, kMagic, 4) != 0)
    return r.error("not a GGUF file: bad magic '" + printable(std::string_view(magic, 4)) + "' (expected 'GGUF')", 0);

  const uint64_t version_at = r.pos();
  GREENLLM_TRY(r.read(&version_, "the version"));
  if (version_ != 2 && version_ != 3) {
    const uint32_t swapped = __builtin_bswap32(version_);
    if (swapped >= 1 && swapped <= 3)
      return r.error("big-endian GGUF (version " + std::to_string(swapped) +
                         " byte-swapped) is not supported; convert it to little-endian",
                     version_at);
    if (version_ == 1)
      return r.error(
          "GGUF version 1 is not supported (only versions 2 and 3); convert the file "
          "with a newer llama.cpp",
          version_at);
    return r.error("unsupported GGUF version " + std::to_string(version_) + " (only versions 2 and 3)", version_at);
  }

  const uint64_t n_tensors_at = r.pos();
  uint64_t n_tensors = 0;
  GREENLLM_TRY(r.read(&n_tensors, "the tensor count"));
  const uint64_t n_kv_at = r.pos();
  uint64_t n_kv = 0;
  GREENLLM_TRY(r.read(&n_kv, "the metadata count"));
  if (n_kv > r.remaining() / kMinKvBytes)
    return r.error("metadata count " + std::to_string(n_kv) + " cannot fit in the " + std::to_string(r.remaining()) +
                       " bytes left",
                   n_kv_at);
  if (n_tensors > r.remaining() / kMinTensorInfoBytes)
    return r.error("tensor count " + std::to_string(n_tensors) + " cannot fit in the " + std::to_string(r.remaining()) +
                       " bytes left",
                   n_tensors_at);

  metadata_.reserve(size_t(std::min(n_kv, kMaxReserve)));
  key_index_.reserve(size_t(std::min(n_kv, kMaxReserve)));
  for (uint64_t i = 0; i < n_kv; ++i) {
    const uint64_t key_at = r.pos();
    r.set_context("");
    std::string_view key;
    GREENLLM_TRY(r.read_string(&key, "a metadata key"));
    if (key_index_.count(key)) return r.error("duplicate metadata key '" + printable(key) + "'", key_at);
    r.set_context("key '" + printable(key) + "'");
    const uint64_t type_at = r.pos();
    uint32_t type_id = 0;
    GREENLLM_TRY(r.read(&type_id, "a value type"));
    if (!is_known_value_type(type_id))
      return r.error("key '" + printable(key) + "': unknown value type " + std::to_string(type_id), type_at);
    const uint64_t value_at = r.pos();
    std::vector<GgufValue> one;
    GREENLLM_TRY(r.read_value(GgufValueType(type_id), key, 0, &one));
    GgufValue& value = one.front();
    if (key == kAlignmentKey) {
      if (value.type() != GgufValueType::UINT32)
        return r.error(
            std::string(kAlignmentKey) + " has type " + gguf_value_type_name(value.type()) + ", expected u32", type_at);
      const uint64_t a = std::get<uint64_t>(value.storage());
      if (!std::has_single_bit(a))
        return r.error(std::string(kAlignmentKey) + " is " + std::to_string(a) + ", not a power of two", value_at);
      alignment_ = a;
    }
    key_index_.emplace(key, metadata_.size());
    metadata_.push_back({std::string(key), std::move(value)});
  }

  // Tensor infos; their data is checked once the start of the data section is known.
  std::vector<uint64_t> offset_positions;
  offset_positions.reserve(size_t(std::min(n_tensors, kMaxReserve)));
  tensors_.reserve(size_t(std::min(n_tensors, kMaxReserve)));
  tensor_index_.reserve(size_t(std::min(n_tensors, kMaxReserve)));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    const uint64_t name_at = r.pos();
    r.set_context("");
    std::string_view name;
    GREENLLM_TRY(r.read_string(&name, "a tensor name"));
    const std::string what = "tensor '" + printable(name) + "'";
    if (tensor_index_.count(name)) return r.error("duplicate " + what, name_at);
    r.set_context(what);

    const uint64_t n_dims_at = r.pos();
    uint32_t n_dims = 0;
    GREENLLM_TRY(r.read(&n_dims, "a tensor's dimension count"));
    if (n_dims < 1 || n_dims > kMaxDims)
      return r.error(
          what + " has " + std::to_string(n_dims) + " dimensions (must be 1 to " + std::to_string(kMaxDims) + ")",
          n_dims_at);
    GgufTensorInfo info;
    info.name = std::string(name);
    info.shape.resize(n_dims);
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t dim_at = r.pos();
      uint64_t ne = 0;
      GREENLLM_TRY(r.read(&ne, "a tensor dimension"));
      const auto sne = int64_t(ne);
      if (sne < 1)
        return r.error(what + " dimension " + std::to_string(d) + " is " + std::to_string(sne) + " (must be >= 1)",
                       dim_at);
      info.shape[d] = sne;
    }

    const uint64_t type_at = r.pos();
    uint32_t type_id = 0;
    GREENLLM_TRY(r.read(&type_id, "a tensor type"));
    if (!ggml_type_traits(type_id)) return r.error(what + " has unknown type id " + std::to_string(type_id), type_at);
    info.type = GgmlType(type_id);
    auto size = gguf_tensor_size_bytes(info.type, info.shape);
    if (!size)
      return r.error(what + " of type " + std::string(ggml_type_name(info.type)) + ": " + size.message(), n_dims_at);
    info.size_bytes = size.value();

    const uint64_t offset_at = r.pos();
    GREENLLM_TRY(r.read(&info.offset, "a tensor offset"));
    if (info.offset % alignment_ != 0)
      return r.error(what + " offset " + std::to_string(info.offset) + " is not a multiple of the alignment " +
                         std::to_string(alignment_),
                     offset_at);
    offset_positions.push_back(offset_at);
    tensor_index_.emplace(name, tensors_.size());
    tensors_.push_back(std::move(info));
  }

  // The data section starts at the end of the header, padded to the alignment. A file without
  // tensors may end before that (llama.cpp's vocab-only files do).
  const uint64_t header_end = r.pos();
  data_offset_ = (header_end + alignment_ - 1) / alignment_ * alignment_;
  if (!tensors_.empty() && data_offset_ > file_size)
    return r.error("the data section would start at byte " + std::to_string(data_offset_) +
                       ", past the end of the file (" + std::to_string(file_size) + " bytes)",
                   header_end);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    GgufTensorInfo& t = tensors_[i];
    const uint64_t data_bytes = file_size - data_offset_;
    if (t.offset > data_bytes || t.size_bytes > data_bytes - t.offset)
      return r.error("tensor '" + printable(t.name) + "' data (" + std::to_string(t.size_bytes) +
                         " bytes at data offset " + std::to_string(t.offset) + ") extends past the end of the file (" +
                         std::to_string(file_size) + " bytes, data section at byte " + std::to_string(data_offset_) +
                         ")",
                     offset_positions[i]);
    t.data = file_->data() + data_offset_ + t.offset;
  }
  return Status::ok();
}

const GgufValue* GgufFile::find(std::string_view key) const {
  const auto it = key_index_.find(key);
  return it == key_index_.end() ? nullptr : &metadata_[it->second].value;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

Status key_error(const std::string& path, std::string_view key, const std::string& what) {
  return Status::error(path + ": key '" + printable(key) + "' " + what);
}

Status wrong_type(const std::string& path, std::string_view key, const GgufValue& v, const char* expected) {
  return key_error(path, key, std::string("has type ") + gguf_value_type_name(v.type()) + ", expected " + expected);
}

}  // namespace

Result<int64_t> GgufFile::get_int(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) return key_error(path(), key, "is missing");
  if (const auto x = v->as_int()) return *x;
  if (v->type() == GgufValueType::UINT64)
    return key_error(path(), key, "value " + v->to_display_string() + " does not fit in int64");
  return wrong_type(path(), key, *v, "an integer");
}

Result<double> GgufFile::get_float(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) return key_error(path(), key, "is missing");
  if (const auto x = v->as_float()) return *x;
  return wrong_type(path(), key, *v, "a number");
}

Result<std::string> GgufFile::get_string(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) return key_error(path(), key, "is missing");
  if (const std::string* s = v->as_string()) return *s;
  return wrong_type(path(), key, *v, "string");
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  const GgufValue* v = find(key);
  if (!v) return key_error(path(), key, "is missing");
  if (const auto b = v->as_bool()) return *b;
  return wrong_type(path(), key, *v, "bool");
}

GgufContent GgufFile::content() const {
  GgufContent c;
  c.version = version_;
  c.alignment = alignment_;
  c.metadata = metadata_;
  c.tensors.reserve(tensors_.size());
  for (const auto& t : tensors_) c.tensors.push_back({t.name, t.type, t.shape, t.data, t.size_bytes});
  return c;
}

}  // namespace greenllm::formats
