// Test helper: builds GGUF bytes field by field, independently of greenllm's writer, so that tests can
// make valid files by hand and hostile ones with exactly one field wrong.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>

namespace greenllm::test {

class GgufBytes {
 public:
  template <class T>
  GgufBytes& put(T x) {
    char b[sizeof(T)];
    std::memcpy(b, &x, sizeof(T));
    bytes_.append(b, sizeof(T));
    return *this;
  }
  GgufBytes& u8(uint8_t x) { return put(x); }
  GgufBytes& u32(uint32_t x) { return put(x); }
  GgufBytes& u64(uint64_t x) { return put(x); }
  GgufBytes& raw(std::string_view s) {
    bytes_.append(s.data(), s.size());
    return *this;
  }
  GgufBytes& str(std::string_view s) { return u64(s.size()).raw(s); }
  // "GGUF", version, tensor count, metadata count.
  GgufBytes& header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    return raw("GGUF").u32(version).u64(n_tensors).u64(n_kv);
  }
  // A key and its value type; the caller appends the value.
  GgufBytes& key(std::string_view k, uint32_t value_type) { return str(k).u32(value_type); }
  // A tensor info with dims in ggml order.
  GgufBytes& tensor(std::string_view name, std::initializer_list<uint64_t> dims, uint32_t type, uint64_t offset) {
    str(name).u32(uint32_t(dims.size()));
    for (uint64_t d : dims) u64(d);
    return u32(type).u64(offset);
  }
  GgufBytes& pad(size_t alignment, char fill = 0) {
    while (bytes_.size() % alignment) bytes_.push_back(fill);
    return *this;
  }
  GgufBytes& fill(size_t n, char c) {
    bytes_.append(n, c);
    return *this;
  }

  const std::string& bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

 private:
  std::string bytes_;
};

// Replaces the file by unlinking it first: truncating it in place makes ext4 flush it on close, which
// costs milliseconds per file in loops that write thousands.
inline void write_bytes(const std::string& path, std::string_view bytes) {
  std::remove(path.c_str());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

// GGUF value type ids and ggml tensor type ids, spelled out as the file stores them.
namespace gguf_ids {
constexpr uint32_t kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kString = 8,
                   kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12;
constexpr uint32_t kTypeF32 = 0, kTypeF16 = 1, kTypeQ4_0 = 2, kTypeBF16 = 30;
}  // namespace gguf_ids

// A small valid file: 3 keys, tensor "a" f32 [4] and tensor "b" f16 [2, 2], alignment 32.
inline std::string small_gguf_bytes() {
  using namespace gguf_ids;
  GgufBytes g;
  g.header(3, 2, 3);
  g.key("general.architecture", kString).str("llama");
  g.key("x.count", kU32).u32(7);
  g.key("x.list", kArray).u32(kI32).u64(3).u32(1).u32(2).u32(3);
  g.tensor("a", {4}, kTypeF32, 0);
  g.tensor("b", {2, 2}, kTypeF16, 32);
  g.pad(32);
  for (int i = 0; i < 4; ++i) g.put(float(i) + 0.5f);
  g.pad(32);
  for (uint16_t h : {0x3c00, 0x4000, 0x4200, 0x4400}) g.put(h);  // 1, 2, 3, 4 in f16
  g.pad(32);
  return g.bytes();
}

}  // namespace greenllm::test
