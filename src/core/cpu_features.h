// What the running CPU supports (cpuid + OS-enabled register state), read once.
#pragma once

#include <string>

namespace greenllm {

struct CpuFeatures {
  bool avx2 = false;     // with FMA and F16C
  bool avx512 = false;   // F, BW, VL, DQ (with OS support for zmm state)
  bool avx512_bf16 = false;
  bool avx512_vnni = false;
  std::string describe() const;
};

const CpuFeatures& cpu_features();

}  // namespace greenllm
