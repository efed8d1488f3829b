// Test helper: writes safetensors files (and sharded checkpoints) independently of greenllm's
// reader, as Hugging Face's `safetensors` library lays them out: u64 header length, JSON header
// padded with spaces to a multiple of 8, tensors packed in order.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "test_util.h"

namespace greenllm::test {

struct StTensor {
  std::string name;
  std::string dtype;  // "F32", "F16", "BF16", "I64", ...
  std::vector<int64_t> shape;
  std::string bytes;
};

// Encodes float values in `dtype` (F32, F16 or BF16, round to nearest even).
inline std::string st_encode(const std::vector<float>& values, const std::string& dtype) {
  std::string out;
  for (float v : values) {
    if (dtype == "F32") {
      char b[4];
      std::memcpy(b, &v, 4);
      out.append(b, 4);
    } else {
      const uint16_t h = dtype == "F16" ? f32_to_f16(v) : f32_to_bf16(v);
      char b[2];
      std::memcpy(b, &h, 2);
      out.append(b, 2);
    }
  }
  return out;
}

inline StTensor st_tensor(const std::string& name, const std::string& dtype, std::vector<int64_t> shape,
                          const std::vector<float>& values) {
  return {name, dtype, std::move(shape), st_encode(values, dtype)};
}

// The JSON header text (unpadded) for `tensors` packed in order, with optional __metadata__.
inline std::string st_header(const std::vector<StTensor>& tensors, const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json h = nlohmann::ordered_json::object();
  if (!metadata.empty()) h["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    h[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  return h.dump();
}

// A whole file from a header text and a data buffer (the header padded to a multiple of 8).
inline std::string st_bytes(std::string header, const std::string& data) {
  while ((8 + header.size()) % 8 != 0) header += ' ';
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

inline std::string st_file_bytes(const std::vector<StTensor>& tensors,
                                 const std::map<std::string, std::string>& metadata = {{"format", "pt"}}) {
  std::string data;
  for (const auto& t : tensors) data += t.bytes;
  return st_bytes(st_header(tensors, metadata), data);
}

inline void st_write_raw(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

inline void st_write(const std::string& path, const std::vector<StTensor>& tensors,
                     const std::map<std::string, std::string>& metadata = {{"format", "pt"}}) {
  st_write_raw(path, st_file_bytes(tensors, metadata));
}

// An empty directory temp_path(name) for a checkpoint (what was there before is removed).
inline std::string fresh_dir(const std::string& name) {
  const std::string dir = temp_path(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Writes `shards` as dir/model-0000i-of-0000n.safetensors and dir/model.safetensors.index.json.
inline void st_write_sharded(const std::string& dir, const std::vector<std::vector<StTensor>>& shards) {
  nlohmann::ordered_json index;
  uint64_t total = 0;
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  for (size_t i = 0; i < shards.size(); ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
    st_write(dir + "/" + name, shards[i]);
    for (const auto& t : shards[i]) {
      weight_map[t.name] = name;
      total += t.bytes.size();
    }
  }
  index["metadata"] = {{"total_size", total}};
  index["weight_map"] = weight_map;
  std::ofstream(dir + "/model.safetensors.index.json") << index.dump(2);
}

}  // namespace greenllm::test
