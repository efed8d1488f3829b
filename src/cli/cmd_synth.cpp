// `greenllm synth`: write a model with a known model's shapes (or shapes given by flags) and random
// weights, for measuring speed, memory and cost before anything is downloaded.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "core/thread_pool.h"
#include "model/synth.h"

namespace greenllm::cli {

void register_synth(CLI::App& app, int& exit_code) {
  struct Options {
    std::string like = "tiny";
    std::string type = "f16";
    std::string output;
    std::string vocab_from;
    std::string arch;
    uint64_t seed = 1;
    int threads = 0;
    int64_t dim = 0, layers = 0, heads = 0, kv_heads = 0, head_dim = 0, ff = 0, vocab = 0, ctx = 0;
    float rope_base = 0.0f;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("synth", "Write a model with a known model's shapes and random weights");
  std::string names;
  for (const auto& s : model::synth_specs()) names += (names.empty() ? "" : "|") + s.name;
  cmd->add_option("--like", o->like, "Shapes to copy: " + names)->capture_default_str();
  cmd->add_option("--type", o->type, "Type of the weight matrices: f32|f16|bf16")->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Output GGUF file")->required();
  cmd->add_option("--vocab-from", o->vocab_from, "Copy the tokenizer from this GGUF (its size must match)");
  cmd->add_option("--seed", o->seed, "Random seed of the weights")->capture_default_str();
  cmd->add_option("-t,--threads", o->threads, "Threads generating the weights (default: all)");
  cmd->add_option("--arch", o->arch, "Override: architecture (llama, qwen2)");
  cmd->add_option("--dim", o->dim, "Override: embedding length");
  cmd->add_option("--layers", o->layers, "Override: number of blocks");
  cmd->add_option("--heads", o->heads, "Override: attention heads");
  cmd->add_option("--kv-heads", o->kv_heads, "Override: key/value heads (grouped-query attention)");
  cmd->add_option("--head-dim", o->head_dim, "Override: head dimension (default: dim / heads)");
  cmd->add_option("--ff", o->ff, "Override: feed-forward length");
  cmd->add_option("--vocab", o->vocab, "Override: vocabulary size");
  cmd->add_option("--ctx", o->ctx, "Override: training context length");
  cmd->add_option("--rope-base", o->rope_base, "Override: RoPE frequency base");
  cmd->callback([o, &exit_code] {
    auto fail = [&](const std::string& msg) {
      std::fprintf(stderr, "greenllm synth: %s\n", msg.c_str());
      exit_code = 1;
    };
    auto found = model::find_synth_spec(o->like);
    if (!found) return fail(found.message());
    model::SynthSpec spec = *found;
    auto& h = spec.hp;
    bool custom = false;
    auto over = [&](int64_t v, int64_t& field) {
      if (v > 0) field = v, custom = true;
    };
    if (!o->arch.empty()) {
      auto rope = model::rope_type_for_arch(o->arch);
      if (!rope) return fail(rope.message());
      h.arch = o->arch;
      h.rope_type = *rope;
      spec.qkv_bias = o->arch == "qwen2";
      custom = true;
    }
    over(o->dim, h.n_embd);
    over(o->layers, h.n_layer);
    over(o->heads, h.n_head);
    over(o->kv_heads, h.n_head_kv);
    over(o->ff, h.n_ff);
    over(o->vocab, h.n_vocab);
    over(o->ctx, h.n_ctx_train);
    if (o->rope_base > 0) h.rope_freq_base = o->rope_base, custom = true;
    if (o->dim > 0 || o->heads > 0 || o->head_dim > 0) {
      h.head_dim = o->head_dim > 0 ? o->head_dim : (h.n_head > 0 ? h.n_embd / h.n_head : 0);
      h.n_rot = h.head_dim;
    }
    if (o->heads > 0 && o->kv_heads <= 0 && h.n_head % h.n_head_kv != 0) h.n_head_kv = h.n_head;
    if (custom) spec.name = o->like + " (modified)";
    const auto type = ggml_type_from_name(o->type);
    if (!type) return fail(fmt::format("unknown tensor type '{}'", o->type));
    model::SynthOptions opts;
    opts.type = *type;
    opts.seed = o->seed;
    opts.vocab_from = o->vocab_from;
    opts.threads = o->threads > 0 ? o->threads : default_thread_count();
    const auto t0 = std::chrono::steady_clock::now();
    if (auto st = model::write_synth_model(spec, opts, o->output); !st) return fail(st.message());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(o->output, ec);
    std::fprintf(stderr,
                 "greenllm synth: wrote %s: %s shapes (%s, %lld layers, dim %lld, vocab %lld), %s, %.2f GiB, "
                 "random weights, in %.1f s\n",
                 o->output.c_str(), spec.name.c_str(), h.arch.c_str(), (long long)h.n_layer, (long long)h.n_embd,
                 (long long)h.n_vocab, o->type.c_str(), double(bytes) / double(1ull << 30), s);
  });
}

}  // namespace greenllm::cli
