// greenllm_speed: prompt-processing and generation throughput of one model, measured the way
// llama-bench measures it, so that the two tools' numbers compare like for like:
//   ppN: a fresh context, one forward pass over N prompt tokens (batched);
//   tgN: a fresh context, N forward passes of one token each (decode with the KV cache).
// Prints one line per test (median and all samples in tok/s); --json for a machine-readable record.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "model/llama_forward.h"
#include "model/model_loader.h"

using namespace greenllm;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"greenllm_speed: pp/tg throughput of a model, as llama-bench measures it"};
  std::string model_path, tokenizer_path;
  int64_t n_prompt = 128, n_gen = 128;
  int reps = 5, threads = default_thread_count();
  bool json = false;
  app.add_option("-m,--model", model_path, "GGUF model")->required();
  app.add_option("--tokenizer", tokenizer_path, "llama2.c tokenizer.bin (llama2.c checkpoints)");
  app.add_option("-p,--n-prompt", n_prompt, "Prompt tokens (0: skip)")->capture_default_str();
  app.add_option("-n,--n-gen", n_gen, "Generated tokens (0: skip)")->capture_default_str();
  app.add_option("-r,--repetitions", reps, "Repetitions")->capture_default_str();
  app.add_option("-t,--threads", threads, "Threads")->capture_default_str();
  app.add_flag("--json", json, "JSON output");
  CLI11_PARSE(app, argc, argv);

  auto loaded = model::load_model(model_path, tokenizer_path);
  if (!loaded) {
    std::fprintf(stderr, "greenllm_speed: %s\n", loaded.message().c_str());
    return 1;
  }
  const auto& lm = *loaded->model;
  ThreadPool pool(threads);
  const int64_t n_ctx = std::max<int64_t>(n_prompt, n_gen) + 1;
  model::LlamaForward forward(lm, pool, std::max<int64_t>(n_prompt, 1));
  std::vector<float> logits;
  // Token ids spread over the vocabulary (what they are does not change the work).
  auto token = [&](int64_t i) { return int32_t((i * 7919 + 3) % lm.hparams.n_vocab); };

  auto time_one = [&](bool prompt) -> double {
    model::SequenceState seq(lm.hparams, n_ctx);
    const auto t0 = std::chrono::steady_clock::now();
    if (prompt) {
      std::vector<int32_t> toks(static_cast<size_t>(n_prompt));
      for (int64_t i = 0; i < n_prompt; ++i) toks[size_t(i)] = token(i);
      if (!forward.forward(seq, toks, logits).is_ok()) return 0;
    } else {
      for (int64_t i = 0; i < n_gen; ++i) {
        const int32_t t[1] = {token(i)};
        if (!forward.forward(seq, t, logits).is_ok()) return 0;
      }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return double(prompt ? n_prompt : n_gen) / s;
  };

  nlohmann::json out = {{"model", model_path}, {"threads", threads}, {"kernels", kernels::active().name},
                        {"weight_bytes", lm.weight_bytes()}};
  for (bool prompt : {true, false}) {
    const int64_t n = prompt ? n_prompt : n_gen;
    if (n <= 0) continue;
    time_one(prompt);  // warm-up: page in the weights, size the buffers
    std::vector<double> samples;
    for (int r = 0; r < reps; ++r) samples.push_back(time_one(prompt));
    const std::string name = fmt::format("{}{}", prompt ? "pp" : "tg", n);
    out["tests"][name] = {{"median_tok_s", median(samples)}, {"samples_tok_s", samples}};
    if (!json)
      std::printf("%s: %.2f tok/s (median of %d; samples %s)\n", name.c_str(), median(samples), reps,
                  fmt::format("{:.2f}", fmt::join(samples, " ")).c_str());
  }
  if (json) std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
