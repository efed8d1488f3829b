// `greenllm run`: load a model, generate from a prompt, stream the text to stdout and one closing
// statistics line to stderr.
#include <fmt/format.h>
#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include "cli/commands.h"
#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "engine/generator.h"
#include "model/model_loader.h"

namespace greenllm::cli {
namespace {

constexpr int64_t kDefaultMaxContext = 4096;

struct RunOptions {
  std::string model_path;
  std::string tokenizer_path;
  std::string prompt;
  std::string prompt_file;
  int64_t n_predict = 128;
  int threads = 0;
  int64_t ctx_size = 0;
  int64_t batch_size = 512;
  bool no_display_prompt = false;
  bool verbose = false;
  bool json = false;
  engine::GenerateParams gen;
  std::optional<uint64_t> seed;
};

double peak_rss_mib() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

int run(RunOptions& o) {
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "greenllm run: %s\n", msg.c_str());
    return 1;
  };
  if (!o.prompt_file.empty()) {
    std::ifstream in(o.prompt_file, std::ios::binary);
    if (!in) return fail(o.prompt_file + ": cannot open prompt file");
    std::stringstream ss;
    ss << in.rdbuf();
    o.prompt = ss.str();
  }
  auto loaded = model::load_model(o.model_path, o.tokenizer_path);
  if (!loaded) return fail(loaded.message());
  const auto& lm = *loaded->model;
  const auto& tok = *loaded->tokenizer;
  const auto& hp = lm.hparams;

  const int n_threads = o.threads > 0 ? o.threads : default_thread_count();
  // As llama.cpp: the context defaults to the training context, at most 4096 positions (the F32 KV
  // cache of a 128k-context model would take tens of GiB).
  const int64_t n_ctx = o.ctx_size > 0 ? o.ctx_size : std::min<int64_t>(hp.n_ctx_train, kDefaultMaxContext);
  if (o.verbose)
    std::fprintf(stderr, "greenllm: %s (%s, %s), %lld layers, dim %lld, vocab %lld, %.1f MiB of weights; "
                 "kernels %s; cpu: %s; %d threads; context %lld\n",
                 o.model_path.c_str(), lm.source_format.c_str(), hp.arch.c_str(), (long long)hp.n_layer,
                 (long long)hp.n_embd, (long long)hp.n_vocab, double(lm.weight_bytes()) / (1 << 20),
                 kernels::active().name, cpu_features().describe().c_str(), n_threads, (long long)n_ctx);

  // The prompt with BOS (if the vocabulary adds one); an empty prompt is BOS alone.
  std::vector<int32_t> prompt = tok.encode(o.prompt, /*add_special=*/true, /*parse_special=*/true);
  if (prompt.empty()) {
    if (tok.bos_id() < 0) return fail("empty prompt and the vocabulary has no BOS token to start from");
    prompt.push_back(tok.bos_id());
  }
  if (int64_t(prompt.size()) >= n_ctx)
    return fail(fmt::format("prompt has {} tokens, which does not fit the context size {}", prompt.size(), n_ctx));

  if (auto st = o.gen.sampling.validate(); !st) return fail(st.message());
  ThreadPool pool(n_threads);
  model::LlamaForward forward(lm, pool, o.batch_size);
  std::unique_ptr<model::SequenceState> seq_owner;
  try {
    seq_owner = std::make_unique<model::SequenceState>(hp, n_ctx);
  } catch (const std::bad_alloc&) {
    return fail(fmt::format("cannot allocate the KV cache for a context of {} tokens ({:.1f} GiB); use a smaller -c",
                            n_ctx, double(2 * hp.n_layer * n_ctx * hp.kv_dim() * 4) / double(1ull << 30)));
  }
  model::SequenceState& seq = *seq_owner;
  o.gen.n_predict = o.n_predict;
  o.gen.sampling.seed = o.seed ? *o.seed : std::random_device{}();

  if (!o.no_display_prompt && !o.json) {
    std::fwrite(o.prompt.data(), 1, o.prompt.size(), stdout);
    std::fflush(stdout);
  }
  std::string text;  // kept for --json
  auto stats = engine::generate(forward, seq, tok, prompt, o.gen, [&](std::string_view piece) {
    if (o.json) {
      text += piece;
      return;
    }
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  });
  if (!stats) return fail(stats.message());
  const auto& s = *stats;
  if (o.json) {
    const nlohmann::json out = {
        {"model", o.model_path},
        {"prompt", o.prompt},
        {"text", text},
        {"prompt_tokens", s.n_prompt_tokens},
        {"generated_tokens", s.n_generated_tokens},
        {"generated_ids", s.generated},
        {"prompt_seconds", s.prompt_seconds},
        {"generation_seconds", s.generation_seconds},
        {"stop_reason", engine::stop_reason_name(s.stop_reason)},
        {"peak_memory_mib", peak_rss_mib()},
        {"threads", n_threads},
        {"kernels", kernels::active().name},
    };
    // Invalid UTF-8 (a byte token cut by n_predict) is replaced rather than failing the dump.
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  std::fprintf(stderr,
               "\ngreenllm run: prompt %lld tokens, %.2f tok/s | generated %lld tokens, %.2f tok/s | stop: %s | "
               "peak memory %.1f MiB\n",
               (long long)s.n_prompt_tokens, s.prompt_seconds > 0 ? double(s.n_prompt_tokens) / s.prompt_seconds : 0.0,
               (long long)s.n_generated_tokens,
               s.generation_seconds > 0 ? double(s.n_generated_tokens) / s.generation_seconds : 0.0,
               engine::stop_reason_name(s.stop_reason), peak_rss_mib());
  return 0;
}

}  // namespace

void register_run(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Generate text from a prompt");
  cmd->add_option("-m,--model", o->model_path, "Model: GGUF file, or llama2.c model.bin (with --tokenizer)")->required();
  cmd->add_option("--tokenizer", o->tokenizer_path, "llama2.c tokenizer.bin (for llama2.c checkpoints)");
  auto* p = cmd->add_option("-p,--prompt", o->prompt, "Prompt text (\"\" starts from BOS alone)");
  cmd->add_option("-f,--file", o->prompt_file, "Read the prompt from a file")->excludes(p);
  cmd->add_option("-n,--n-predict", o->n_predict, "Tokens to generate (-1: until EOS or a full context)")
      ->capture_default_str();
  cmd->add_option("--temp", o->gen.sampling.temperature, "Temperature (0: greedy)")->capture_default_str();
  cmd->add_option("--top-k", o->gen.sampling.top_k, "Top-k (0: off)")->capture_default_str();
  cmd->add_option("--top-p", o->gen.sampling.top_p, "Top-p (1: off)")->capture_default_str();
  cmd->add_option("--min-p", o->gen.sampling.min_p, "Min-p (0: off)")->capture_default_str();
  cmd->add_option("--repeat-penalty", o->gen.sampling.repeat_penalty, "Repetition penalty (1: off)")
      ->capture_default_str();
  cmd->add_option("--repeat-last-n", o->gen.sampling.repeat_last_n, "Tokens the penalty looks back over (-1: all)")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed (default: random)");
  cmd->add_option("--stop", o->gen.stop, "Stop before this string (repeatable)");
  cmd->add_flag("--ignore-eos", o->gen.ignore_eos, "Keep generating past the end-of-sequence token");
  cmd->add_flag("--no-display-prompt", o->no_display_prompt, "Do not echo the prompt to stdout");
  cmd->add_option("-t,--threads", o->threads, "Threads (default: all hardware threads)")->check(CLI::Range(1, 1024));
  cmd->add_option("-c,--ctx-size", o->ctx_size, "Context size in tokens (default: the model's, at most 4096)")
      ->check(CLI::Range(int64_t(1), model::kMaxContext));
  cmd->add_option("-b,--batch-size", o->batch_size, "Prompt tokens computed per batch (at most 4096)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("-v,--verbose", o->verbose, "Print model and machine details to stderr");
  cmd->add_flag("--json", o->json, "Print one JSON object (text, token counts, timings) instead of streaming");
  cmd->callback([o, &exit_code] { exit_code = run(*o); });
}

}  // namespace greenllm::cli
