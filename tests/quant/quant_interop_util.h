// Shared by the quant suites' llama.cpp interop tests: running llama.cpp through node, and writing a
// GGUF again with its matrices quantized to Q8_0 by greenllm (F16 where rows are not a multiple of 32,
// the fallback llama-quantize uses for Q8_0).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "formats/gguf.h"
#include "quant/reference.h"
#include "test_util.h"

namespace greenllm::quant {

inline const std::string kNodeDir = GREENLLM_SOURCE_DIR "/tests/node";

// Empty when llama.cpp can be run through node here, else why not.
inline std::string llama_cpp_missing() {
  std::string node;
  namespace fs = std::filesystem;
  if (test::run_command("command -v node", &node) != 0 || node.empty()) return "node not on PATH";
  if (!fs::exists(kNodeDir + "/node_modules/node-llama-cpp") || !fs::exists(kNodeDir + "/llama_generate.mjs"))
    return kNodeDir + "/node_modules/node-llama-cpp missing (scripts/test_deps.sh installs it)";
  return "";
}

constexpr uint32_t kFileTypeMostlyQ8_0 = 7;  // llama.cpp's LLAMA_FTYPE_MOSTLY_Q8_0

// Writes `src` again with every F32 matrix quantized to Q8_0 (F16 where rows are not a multiple of 32).
inline void write_q8_0(const formats::GgufFile& src, const std::string& path) {
  formats::GgufContent content = src.content();
  content.set("general.file_type", formats::GgufValue::u32(kFileTypeMostlyQ8_0));
  std::vector<std::vector<uint8_t>> buffers;
  buffers.reserve(content.tensors.size());
  const QuantTraits* q8 = quant_traits(GgmlType::Q8_0);
  for (formats::GgufWriteTensor& t : content.tensors) {
    const formats::GgufTensorInfo* info = src.find_tensor(t.name);
    ASSERT_NE(info, nullptr);
    if (t.shape.size() < 2 || info->type != GgmlType::F32) continue;
    const int64_t n = info->n_elements();
    const float* x = reinterpret_cast<const float*>(info->data);
    std::vector<uint8_t>& buf = buffers.emplace_back();
    if (t.shape[0] % q8->block_elems == 0) {
      buf.resize(size_t(n / q8->block_elems) * q8->block_bytes);
      q8->quantize_row(x, buf.data(), n);
      t.type = GgmlType::Q8_0;
    } else {
      buf.resize(size_t(n) * 2);
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = f32_to_f16(x[i]);
        buf[2 * i] = uint8_t(h);
        buf[2 * i + 1] = uint8_t(h >> 8);
      }
      t.type = GgmlType::F16;
    }
    t.data = buf.data();
    t.size_bytes = buf.size();
  }
  const Status s = formats::write_gguf(path, content);
  ASSERT_TRUE(s.is_ok()) << s.message();
}

// llama.cpp's greedy text for `model` (256 tokens from BOS); false with the reason in *why on failure.
inline bool llama_cpp_generate(const std::string& model, std::string* text, std::string* why) {
  const std::string err_path = test::temp_path("llama-cpp-stderr.txt");
  const int rc =
      test::run_command("node '" + kNodeDir + "/llama_generate.mjs' '" + model + "' -n 256 2>'" + err_path + "'", text);
  if (rc != 0) *why = test::read_file(err_path);
  return rc == 0;
}

}  // namespace greenllm::quant
