// Kernel dispatch: which table runs (cpuid, GREENLLM_ISA), the weight-type -> matmul slot map, and the
// multithreaded matmul. Compiled for baseline x86-64: it must not touch a table the CPU cannot run.
#include "kernels/kernels.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/cpu_features.h"
#include "core/thread_pool.h"

namespace greenllm::kernels {
namespace {

// Output rows handed to a thread come in multiples of this (the matmul tiles divide it).
constexpr int64_t kRowsPerBlock = 16;

// Parses an ISA name ("reference", "avx2", "avx512"); false if unknown.
bool parse_isa(const char* name, Isa* isa) {
  for (Isa i : {Isa::REFERENCE, Isa::AVX2, Isa::AVX512}) {
    if (std::strcmp(name, isa_name(i)) == 0) {
      *isa = i;
      return true;
    }
  }
  return false;
}

const KernelTable& best_supported() {
  const CpuFeatures& cpu = cpu_features();
  if (cpu.avx512) return avx512_kernels();
  if (cpu.avx2) return avx2_kernels();
  return reference_kernels();
}

const KernelTable& select_from_env() {
  const char* request = std::getenv("GREENLLM_ISA");
  const bool verbose = std::getenv("GREENLLM_VERBOSE") != nullptr;
  Selection s = select(request);
  if (s.fell_back) {
    std::fprintf(stderr, "greenllm: GREENLLM_ISA=%s is %s on this CPU (%s); using %s kernels\n", request,
                 s.requested_known ? "not supported" : "unknown", cpu_features().describe().c_str(), s.table->name);
  } else if (verbose) {
    std::fprintf(stderr, "greenllm: using %s kernels (cpu: %s%s)\n", s.table->name, cpu_features().describe().c_str(),
                 request ? ", forced by GREENLLM_ISA" : "");
  }
  return *s.table;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::REFERENCE:
      return "reference";
    case Isa::AVX2:
      return "avx2";
    case Isa::AVX512:
      return "avx512";
  }
  return "unknown";
}

bool isa_supported(Isa isa) {
  const CpuFeatures& cpu = cpu_features();
  switch (isa) {
    case Isa::REFERENCE:
      return true;
    case Isa::AVX2:
      return cpu.avx2;
    case Isa::AVX512:
      return cpu.avx512;
  }
  return false;
}

const KernelTable* table_for(Isa isa) {
  if (!isa_supported(isa)) return nullptr;
  switch (isa) {
    case Isa::REFERENCE:
      return &reference_kernels();
    case Isa::AVX2:
      return &avx2_kernels();
    case Isa::AVX512:
      return &avx512_kernels();
  }
  return nullptr;
}

Selection select(const char* isa_request) {
  Selection s;
  s.table = &best_supported();
  if (isa_request == nullptr || *isa_request == '\0') return s;
  Isa isa;
  s.requested_known = parse_isa(isa_request, &isa);
  const KernelTable* forced = s.requested_known ? table_for(isa) : nullptr;
  if (forced != nullptr) {
    s.table = forced;
  } else {
    s.fell_back = true;
  }
  return s;
}

const KernelTable& active() {
  static const KernelTable& table = select_from_env();
  return table;
}

MatmulFn matmul_for(const KernelTable& table, GgmlType type) {
  switch (type) {
    case GgmlType::F32:
      return table.matmul_f32;
    case GgmlType::F16:
      return table.matmul_f16;
    case GgmlType::BF16:
      return table.matmul_bf16;
    default:
      return nullptr;
  }
}

void matmul(const KernelTable& table, GgmlType w_type, const MatmulArgs& args, ThreadPool& pool) {
  const MatmulFn fn = matmul_for(table, w_type);
  if (fn == nullptr) {
    // Callers check matmul_for() when they load a model; reaching here is a programmer error.
    std::fprintf(stderr, "greenllm: no %s matmul kernel for weight type %u\n", table.name, unsigned(w_type));
    std::abort();
  }
  if (pool.n_threads() == 1 || args.n_out <= kRowsPerBlock) {
    fn(args, 0, args.n_out);
    return;
  }
  // One captured pointer keeps the std::function the pool takes within its small-object buffer: no
  // allocation per call (a decode step makes hundreds).
  const struct Job {
    MatmulFn fn;
    const MatmulArgs* args;
  } job{fn, &args};
  pool.run([j = &job](int ith, int nth) {
    int64_t begin = 0, end = 0;
    ThreadPool::split(j->args->n_out, ith, nth, kRowsPerBlock, &begin, &end);
    if (begin < end) j->fn(*j->args, begin, end);
  });
}

}  // namespace greenllm::kernels
