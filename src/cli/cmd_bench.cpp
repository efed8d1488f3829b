// `greenllm bench speed`: prompt-processing and generation throughput of one model, measured the way
// llama-bench measures it (ppN: one batch of N prompt tokens on a fresh context; tgN: N single-token
// decode steps from an empty context), with the machine's memory read bandwidth measured in the same
// run, so that generation speed can be read as a fraction of its ceiling (bandwidth / weight bytes).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <numeric>

#include "cli/commands.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "model/llama_forward.h"
#include "model/model_loader.h"

namespace greenllm::cli {
namespace {

struct BenchOptions {
  std::string model_path;
  std::string tokenizer_path;
  int64_t n_prompt = 512;
  int64_t n_gen = 128;
  int reps = 5;
  int threads = 0;
  bool json = false;
};

struct Summary {
  double mean = 0, stdev = 0;
};

Summary summarize(const std::vector<double>& v) {
  Summary s;
  if (v.empty()) return s;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.stdev = v.size() > 1 ? std::sqrt(ss / double(v.size() - 1)) : 0.0;
  return s;
}

// Read bandwidth in GB/s: every thread streams its part of a 512 MiB buffer through the active dot
// kernel (wider than any cache), best of 5 passes.
double read_bandwidth_gb_s(ThreadPool& pool) {
  const size_t n = (size_t(512) << 20) / sizeof(float);
  std::vector<float> buf(n, 1.0f);
  const auto& k = kernels::active();
  std::vector<float> sink(size_t(pool.n_threads()));
  double best = 0;
  for (int pass = 0; pass < 5; ++pass) {
    const auto t0 = std::chrono::steady_clock::now();
    pool.run([&](int ith, int nth) {
      int64_t b, e;
      ThreadPool::split(int64_t(n), ith, nth, 1024, &b, &e);
      // One operand read: a dot of the slice with itself loads each byte once.
      sink[size_t(ith)] = k.dot_f32(buf.data() + b, buf.data() + b, e - b);
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, double(n * sizeof(float)) / s / 1e9);
  }
  return best;
}

int bench_speed(const BenchOptions& o) {
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "greenllm bench: %s\n", msg.c_str());
    return 1;
  };
  auto loaded = model::load_model(o.model_path, o.tokenizer_path);
  if (!loaded) return fail(loaded.message());
  const auto& lm = *loaded->model;
  const int n_threads = o.threads > 0 ? o.threads : default_thread_count();
  ThreadPool pool(n_threads);
  const int64_t n_ctx = std::max<int64_t>(o.n_prompt, o.n_gen) + 1;
  if (n_ctx > lm.hparams.n_ctx_train)
    std::fprintf(stderr, "greenllm bench: note: %lld positions exceed the model's training context %lld\n",
                 (long long)n_ctx, (long long)lm.hparams.n_ctx_train);
  model::LlamaForward forward(lm, pool, std::max<int64_t>(o.n_prompt, 1));
  std::vector<float> logits;
  // Token ids spread over the vocabulary (which ids they are does not change the work).
  auto token = [&](int64_t i) { return int32_t((i * 7919 + 3) % lm.hparams.n_vocab); };
  auto time_one = [&](bool prompt) -> Result<double> {
    model::SequenceState seq(lm.hparams, n_ctx);
    const auto t0 = std::chrono::steady_clock::now();
    if (prompt) {
      std::vector<int32_t> toks(static_cast<size_t>(o.n_prompt));
      for (int64_t i = 0; i < o.n_prompt; ++i) toks[size_t(i)] = token(i);
      GREENLLM_TRY(forward.forward(seq, toks, logits));
    } else {
      for (int64_t i = 0; i < o.n_gen; ++i) {
        const int32_t t[1] = {token(i)};
        GREENLLM_TRY(forward.forward(seq, t, logits));
      }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return double(prompt ? o.n_prompt : o.n_gen) / s;
  };

  const double bandwidth = read_bandwidth_gb_s(pool);
  const double weight_gb = double(lm.weight_bytes()) / 1e9;
  nlohmann::json out = {{"model", o.model_path},
                        {"threads", n_threads},
                        {"kernels", kernels::active().name},
                        {"weight_bytes", lm.weight_bytes()},
                        {"read_bandwidth_gb_s", bandwidth},
                        {"generation_ceiling_tok_s", bandwidth / weight_gb}};
  if (!o.json)
    std::printf("model %s: %.2f GB of weights, %d threads, %s kernels; read bandwidth %.1f GB/s -> generation "
                "ceiling %.1f tok/s\n",
                o.model_path.c_str(), weight_gb, n_threads, kernels::active().name, bandwidth, bandwidth / weight_gb);
  for (bool prompt : {true, false}) {
    const int64_t n = prompt ? o.n_prompt : o.n_gen;
    if (n <= 0) continue;
    if (auto warm = time_one(prompt); !warm) return fail(warm.message());  // pages the weights in
    std::vector<double> samples;
    for (int r = 0; r < o.reps; ++r) {
      auto v = time_one(prompt);
      if (!v) return fail(v.message());
      samples.push_back(*v);
    }
    const Summary s = summarize(samples);
    const std::string name = fmt::format("{}{}", prompt ? "pp" : "tg", n);
    out["tests"][name] = {{"mean_tok_s", s.mean}, {"stdev_tok_s", s.stdev}, {"samples_tok_s", samples}};
    if (!prompt) out["tests"][name]["fraction_of_ceiling"] = s.mean / (bandwidth / weight_gb);
    if (!o.json) {
      std::printf("%-6s %10.2f ± %.2f tok/s", name.c_str(), s.mean, s.stdev);
      if (!prompt) std::printf("  (%.0f%% of the bandwidth ceiling)", 100.0 * s.mean / (bandwidth / weight_gb));
      std::printf("\n");
    }
  }
  if (o.json) std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace

void register_bench(CLI::App& app, int& exit_code) {
  CLI::App* bench = app.add_subcommand("bench", "Measure speed (and, later, quality and cost) of a model");
  bench->require_subcommand(1);
  auto o = std::make_shared<BenchOptions>();
  CLI::App* speed = bench->add_subcommand("speed", "Prompt processing and generation tok/s, as llama-bench measures them");
  speed->add_option("-m,--model", o->model_path, "GGUF model (or llama2.c model.bin with --tokenizer)")->required();
  speed->add_option("--tokenizer", o->tokenizer_path, "llama2.c tokenizer.bin");
  speed->add_option("-p,--n-prompt", o->n_prompt, "Prompt tokens (0: skip)")->capture_default_str()->check(CLI::Range(int64_t(0), int64_t(4096)));
  speed->add_option("-n,--n-gen", o->n_gen, "Generated tokens (0: skip)")->capture_default_str()->check(CLI::Range(int64_t(0), int64_t(1) << 20));
  speed->add_option("-r,--repetitions", o->reps, "Repetitions")->capture_default_str()->check(CLI::Range(1, 1000));
  speed->add_option("-t,--threads", o->threads, "Threads (default: all hardware threads)")->check(CLI::Range(1, 1024));
  speed->add_flag("--json", o->json, "JSON output (every sample)");
  speed->callback([o, &exit_code] { exit_code = bench_speed(*o); });
}

}  // namespace greenllm::cli
