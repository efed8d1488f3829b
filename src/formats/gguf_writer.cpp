// GGUF writer: serializes a GgufContent (metadata in order, then tensors laid out in order, each at an
// aligned offset) to a temporary file that is renamed into place once complete.
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_set>
#include <vector>

#include "formats/gguf.h"

namespace greenllm::formats {
namespace {

constexpr const char* kAlignmentKey = "general.alignment";
constexpr uint64_t kDefaultAlignment = 32;

// Appends little-endian encodings to a byte buffer (the header is built in memory, then written).
class Encoder {
 public:
  explicit Encoder(std::string* out) : out_(out) {}

  template <class T>
  void put(T x) {
    char b[sizeof(T)];
    std::memcpy(b, &x, sizeof(T));
    out_->append(b, sizeof(T));
  }
  void put_string(std::string_view s) {
    put(uint64_t(s.size()));
    out_->append(s.data(), s.size());
  }

  // Checks that the storage matches the type and the value fits it; `key` names it in errors.
  Status put_value(const GgufValue& v, const std::string& key) {
    const auto& st = v.storage();
    const auto bad = [&](const char* what) {
      return Status::error("key '" + key + "': " + gguf_value_type_name(v.type()) + " value " + what);
    };
    switch (v.type()) {
      case GgufValueType::UINT8:
        return put_unsigned<uint8_t>(st, bad);
      case GgufValueType::UINT16:
        return put_unsigned<uint16_t>(st, bad);
      case GgufValueType::UINT32:
        return put_unsigned<uint32_t>(st, bad);
      case GgufValueType::UINT64:
        return put_unsigned<uint64_t>(st, bad);
      case GgufValueType::INT8:
        return put_signed<int8_t>(st, bad);
      case GgufValueType::INT16:
        return put_signed<int16_t>(st, bad);
      case GgufValueType::INT32:
        return put_signed<int32_t>(st, bad);
      case GgufValueType::INT64:
        return put_signed<int64_t>(st, bad);
      case GgufValueType::FLOAT32:
      case GgufValueType::FLOAT64: {
        const auto* d = std::get_if<double>(&st);
        if (!d) return bad("is not held as a double");
        if (v.type() == GgufValueType::FLOAT32)
          put(float(*d));
        else
          put(*d);
        return Status::ok();
      }
      case GgufValueType::BOOL: {
        const auto* b = std::get_if<bool>(&st);
        if (!b) return bad("is not held as a bool");
        put(uint8_t(*b ? 1 : 0));
        return Status::ok();
      }
      case GgufValueType::STRING: {
        const auto* s = std::get_if<std::string>(&st);
        if (!s) return bad("is not held as a string");
        put_string(*s);
        return Status::ok();
      }
      case GgufValueType::ARRAY: {
        const auto* a = std::get_if<GgufArray>(&st);
        if (!a) return bad("is not held as an array");
        if (uint32_t(a->elem_type) > uint32_t(GgufValueType::FLOAT64)) return bad("has an unknown element type");
        put(uint32_t(a->elem_type));
        put(uint64_t(a->items.size()));
        for (const auto& item : a->items) {
          if (item.type() != a->elem_type)
            return Status::error("key '" + key + "': array of " + gguf_value_type_name(a->elem_type) + " holds a " +
                                 gguf_value_type_name(item.type()));
          GREENLLM_TRY(put_value(item, key));
        }
        return Status::ok();
      }
    }
    return Status::error("key '" + key + "': unknown value type " + std::to_string(uint32_t(v.type())));
  }

 private:
  template <class T, class Bad>
  Status put_unsigned(const GgufValue::Storage& st, const Bad& bad) {
    const auto* u = std::get_if<uint64_t>(&st);
    if (!u) return bad("is not held as uint64_t");
    if (*u > std::numeric_limits<T>::max()) return bad(("is out of range: " + std::to_string(*u)).c_str());
    put(T(*u));
    return Status::ok();
  }
  template <class T, class Bad>
  Status put_signed(const GgufValue::Storage& st, const Bad& bad) {
    const auto* i = std::get_if<int64_t>(&st);
    if (!i) return bad("is not held as int64_t");
    if (*i < std::numeric_limits<T>::min() || *i > std::numeric_limits<T>::max())
      return bad(("is out of range: " + std::to_string(*i)).c_str());
    put(T(*i));
    return Status::ok();
  }

  std::string* out_;
};

uint64_t pad_to(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

// Closes the file and removes the temporary on every early return.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)), f_(std::fopen(path_.c_str(), "wb")) {}
  ~TempFile() {
    if (f_) std::fclose(f_);
    if (!committed_) std::remove(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  bool is_open() const { return f_ != nullptr; }
  bool write(const void* p, size_t n) { return n == 0 || std::fwrite(p, 1, n, f_) == n; }
  bool write_zeros(size_t n) {
    static const char kZeros[256] = {};
    while (n > 0) {
      const size_t k = std::min(n, sizeof kZeros);
      if (!write(kZeros, k)) return false;
      n -= k;
    }
    return true;
  }
  // Flushes, closes and renames over `target`.
  Status commit(const std::string& target) {
    const bool flushed = std::fflush(f_) == 0;
    const bool closed = std::fclose(f_) == 0;
    f_ = nullptr;
    if (!flushed || !closed) return Status::error(path_ + ": write failed: " + std::strerror(errno));
    if (std::rename(path_.c_str(), target.c_str()) != 0)
      return Status::error(target + ": cannot rename " + path_ + " into place: " + std::strerror(errno));
    committed_ = true;
    return Status::ok();
  }

 private:
  std::string path_;
  std::FILE* f_;
  bool committed_ = false;
};

}  // namespace

void GgufContent::set(const std::string& key, GgufValue value) {
  for (auto& kv : metadata) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  }
  metadata.push_back({key, std::move(value)});
}

Status write_gguf(const std::string& path, const GgufContent& content) {
  const auto fail = [&](const std::string& what) { return Status::error(path + ": " + what); };
  if (content.version != 2 && content.version != 3)
    return fail("cannot write GGUF version " + std::to_string(content.version) + " (only 2 and 3)");

  // The alignment in the metadata, when present, is the one readers will use.
  uint64_t alignment = content.alignment;
  bool alignment_in_metadata = false;
  std::unordered_set<std::string_view> keys;
  keys.reserve(content.metadata.size());
  for (const auto& kv : content.metadata) {
    if (!keys.insert(kv.key).second) return fail("duplicate metadata key '" + kv.key + "'");
    if (kv.key == kAlignmentKey) {
      const auto* u = std::get_if<uint64_t>(&kv.value.storage());
      if (kv.value.type() != GgufValueType::UINT32 || !u)
        return fail(std::string(kAlignmentKey) + " must be a u32, not " + gguf_value_type_name(kv.value.type()));
      alignment = *u;
      alignment_in_metadata = true;
    }
  }
  if (!std::has_single_bit(alignment) || alignment > std::numeric_limits<uint32_t>::max())
    return fail("alignment " + std::to_string(alignment) + " is not a power of two that fits in u32");

  std::string header;
  Encoder enc(&header);
  const bool add_alignment = !alignment_in_metadata && alignment != kDefaultAlignment;
  enc.put(uint32_t{0x46554747});  // "GGUF" read as a little-endian u32
  enc.put(uint32_t(content.version));
  enc.put(uint64_t(content.tensors.size()));
  enc.put(uint64_t(content.metadata.size() + (add_alignment ? 1 : 0)));
  for (const auto& kv : content.metadata) {
    enc.put_string(kv.key);
    enc.put(uint32_t(kv.value.type()));
    if (Status s = enc.put_value(kv.value, kv.key); !s) return fail(s.message());
  }
  if (add_alignment) {
    enc.put_string(kAlignmentKey);
    enc.put(uint32_t(GgufValueType::UINT32));
    enc.put(uint32_t(alignment));
  }

  std::unordered_set<std::string_view> names;
  names.reserve(content.tensors.size());
  uint64_t offset = 0;
  for (const auto& t : content.tensors) {
    const std::string what = "tensor '" + t.name + "'";
    if (!names.insert(t.name).second) return fail("duplicate " + what);
    auto expected = gguf_tensor_size_bytes(t.type, t.shape);
    if (!expected) return fail(what + ": " + expected.message());
    if (t.size_bytes != expected.value())
      return fail(what + " has " + std::to_string(t.size_bytes) + " bytes, but its type " +
                  std::string(ggml_type_name(t.type)) + " and shape need " + std::to_string(expected.value()));
    if (t.data == nullptr && !t.produce) return fail(what + " has no data");
    enc.put_string(t.name);
    enc.put(uint32_t(t.shape.size()));
    for (int64_t d : t.shape) enc.put(uint64_t(d));
    enc.put(uint32_t(t.type));
    enc.put(offset);
    offset = pad_to(offset + t.size_bytes, alignment);
  }

  TempFile out(path + ".tmp");
  if (!out.is_open()) return fail("cannot create " + path + ".tmp: " + std::strerror(errno));
  const auto write_failed = [&] { return fail(std::string("write failed: ") + std::strerror(errno)); };
  if (!out.write(header.data(), header.size()) || !out.write_zeros(pad_to(header.size(), alignment) - header.size()))
    return write_failed();
  std::vector<uint8_t> produced;  // one tensor at a time, for tensors made on demand
  for (const auto& t : content.tensors) {
    const void* data = t.data;
    if (data == nullptr) {
      produced.resize(t.size_bytes);
      if (Status s = t.produce(produced.data()); !s) return fail("tensor '" + t.name + "': " + s.message());
      data = produced.data();
    }
    if (!out.write(data, t.size_bytes) || !out.write_zeros(pad_to(t.size_bytes, alignment) - t.size_bytes))
      return write_failed();
  }
  return out.commit(path);
}

}  // namespace greenllm::formats
