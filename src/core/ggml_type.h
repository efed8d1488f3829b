// The tensor element types of GGUF/ggml, with their ids and block geometry exactly as ggml defines them.
// Types greenllm can compute with today: F32, F16, BF16. The quantized block types are known by name
// and size (so files holding them are parsed and described) and refused where a computation needs them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace greenllm {

// Values are the on-disk ids of ggml's `enum ggml_type`; gaps are ids ggml has retired.
enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
  IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

struct GgmlTypeTraits {
  GgmlType type;
  const char* name;         // ggml's lower-case name, e.g. "q4_k"
  uint32_t block_elems;     // elements per block (1 for plain types)
  uint32_t block_bytes;     // bytes per block
  bool computable;          // greenllm has kernels for it (today: f32, f16, bf16)
};

// Traits of a known type id, or nullopt for an id ggml does not define.
std::optional<GgmlTypeTraits> ggml_type_traits(uint32_t id);
const GgmlTypeTraits& ggml_type_traits(GgmlType type);
std::string_view ggml_type_name(GgmlType type);
std::optional<GgmlType> ggml_type_from_name(std::string_view name);

// Bytes of one row of `n_elems` elements; nullopt if n_elems is not a multiple of the block size or
// the byte count does not fit in 64 bits.
std::optional<uint64_t> ggml_row_bytes(GgmlType type, uint64_t n_elems);

}  // namespace greenllm
