// Micro-benchmarks of the kernels of every ISA tier the CPU supports: matmul at TinyLlama-1.1B shapes
// for decode (n_tok = 1, memory-bound: watch bytes/s) and prefill (n_tok >= 32, compute-bound: watch
// FLOP/s), on 1 thread and through the threaded matmul, and the vector kernels attention uses.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "core/ggml_type.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"

namespace greenllm::kernels {
namespace {

struct Shape {
  int64_t n_out, n_in;
};

// W (n_out, n_in) in the given type, filled with small random values.
struct Matrix {
  std::vector<float> f32;
  std::vector<uint16_t> u16;
  GgmlType type;
  Matrix(GgmlType t, int64_t n, std::mt19937& rng) : type(t) {
    std::uniform_real_distribution<float> dist(-0.1f, 0.1f);
    if (t == GgmlType::F32) {
      f32.resize(n);
      for (float& v : f32) v = dist(rng);
    } else {
      u16.resize(n);
      for (uint16_t& v : u16) v = t == GgmlType::F16 ? f32_to_f16(dist(rng)) : f32_to_bf16(dist(rng));
    }
  }
  const void* data() const { return type == GgmlType::F32 ? static_cast<const void*>(f32.data()) : u16.data(); }
  int64_t elem_bytes() const { return type == GgmlType::F32 ? 4 : 2; }
};

ThreadPool& pool(int n_threads) {
  static std::unique_ptr<ThreadPool> pools[3];
  if (!pools[n_threads]) pools[n_threads] = std::make_unique<ThreadPool>(n_threads);
  return *pools[n_threads];
}

// Y (n_tok, n_out) = X (n_tok, n_in) @ W (n_out, n_in)^T with `n_threads` threads.
void bm_matmul(benchmark::State& state, const KernelTable* table, GgmlType type, Shape shape, int64_t n_tok,
               int n_threads) {
  std::mt19937 rng(1);
  const Matrix w(type, shape.n_out * shape.n_in, rng);
  std::vector<float> x(n_tok * shape.n_in), y(n_tok * shape.n_out);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : x) v = dist(rng);
  const MatmulArgs args{w.data(), shape.n_in, shape.n_out, x.data(), shape.n_in, y.data(), shape.n_out, n_tok};
  for (auto _ : state) {
    matmul(*table, type, args, pool(n_threads));
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * double(shape.n_out) * double(shape.n_in) * double(n_tok);
  const double bytes =
      double(shape.n_out * shape.n_in * w.elem_bytes()) + 4.0 * double(n_tok) * double(shape.n_in + shape.n_out);
  state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes/s"] =
      benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1024);
}

void bm_dot(benchmark::State& state, const KernelTable* table, int64_t n) {
  std::vector<float> a(n, 0.5f), b(n, 0.25f);
  for (auto _ : state) benchmark::DoNotOptimize(table->dot_f32(a.data(), b.data(), n));
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * n, benchmark::Counter::kIsIterationInvariantRate);
}

void bm_axpy(benchmark::State& state, const KernelTable* table, int64_t n) {
  std::vector<float> x(n, 0.5f), y(n, 0.25f);
  for (auto _ : state) {
    table->axpy_f32(1e-3f, x.data(), y.data(), n);
    benchmark::ClobberMemory();
  }
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * n, benchmark::Counter::kIsIterationInvariantRate);
}

void bm_row_to_f32(benchmark::State& state, const KernelTable* table, GgmlType type, int64_t n) {
  std::vector<uint16_t> src(n, 0x3c00);
  std::vector<float> dst(n);
  const auto fn = type == GgmlType::F16 ? table->row_to_f32_f16 : table->row_to_f32_bf16;
  for (auto _ : state) {
    fn(src.data(), dst.data(), n);
    benchmark::ClobberMemory();
  }
  state.counters["bytes/s"] =
      benchmark::Counter(6.0 * n, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1024);
}

std::string shape_name(Shape s) { return std::to_string(s.n_out) + "x" + std::to_string(s.n_in); }

// TinyLlama-1.1B: attention projections, FFN up/gate and down, the LM head.
constexpr Shape kSquare{2048, 2048}, kFfnUp{5632, 2048}, kFfnDown{2048, 5632}, kHead{32000, 2048};

void register_matmul(const KernelTable* t, GgmlType type, Shape shape, int64_t n_tok) {
  for (int n_threads : {1, 2}) {
    const std::string name = std::string("matmul/") + t->name + "/" + std::string(ggml_type_name(type)) + "/" +
                             shape_name(shape) + "/tok:" + std::to_string(n_tok) +
                             "/threads:" + std::to_string(n_threads);
    benchmark::RegisterBenchmark(name.c_str(), bm_matmul, t, type, shape, n_tok, n_threads)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond)
        ->MinTime(0.3);
  }
}

bool register_all() {
  for (Isa isa : {Isa::REFERENCE, Isa::AVX2, Isa::AVX512}) {
    const KernelTable* t = table_for(isa);
    if (t == nullptr) continue;
    if (isa == Isa::REFERENCE) {
      register_matmul(t, GgmlType::F16, kSquare, 1);  // the scale of the scalar definition
    } else {
      // decode
      for (Shape s : {kSquare, kFfnUp, kFfnDown, kHead}) register_matmul(t, GgmlType::F16, s, 1);
      for (GgmlType type : {GgmlType::BF16, GgmlType::F32}) {
        register_matmul(t, type, kSquare, 1);
        register_matmul(t, type, kFfnUp, 1);
      }
      // prefill
      for (int64_t n_tok : {32, 128, 512}) register_matmul(t, GgmlType::F16, kSquare, n_tok);
      register_matmul(t, GgmlType::F16, kFfnUp, 128);
      register_matmul(t, GgmlType::BF16, kSquare, 128);
      register_matmul(t, GgmlType::F32, kSquare, 128);
    }
    for (int64_t n : {64, 2048}) {
      benchmark::RegisterBenchmark((std::string("dot_f32/") + t->name + "/" + std::to_string(n)).c_str(), bm_dot, t, n);
      benchmark::RegisterBenchmark((std::string("axpy_f32/") + t->name + "/" + std::to_string(n)).c_str(), bm_axpy, t,
                                   n);
    }
    for (GgmlType type : {GgmlType::F16, GgmlType::BF16}) {
      benchmark::RegisterBenchmark(
          (std::string("row_to_f32/") + t->name + "/" + std::string(ggml_type_name(type)) + "/2048").c_str(),
          bm_row_to_f32, t, type, int64_t(2048));
    }
  }
  return true;
}

const bool kRegistered = register_all();

}  // namespace
}  // namespace greenllm::kernels
