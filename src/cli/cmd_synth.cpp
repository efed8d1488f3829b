// `greenllm synth`: write a model with a known model's shapes and random weights.
#include <fmt/format.h>

#include <cstdio>

#include "cli/commands.h"
#include "model/synth.h"

namespace greenllm::cli {

void register_synth(CLI::App& app, int& exit_code) {
  struct Options {
    std::string like = "tiny";
    std::string type = "f16";
    std::string output;
    uint64_t seed = 1;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("synth", "Write a model with a known model's shapes and random weights");
  std::string names;
  for (const auto& s : model::synth_specs()) names += (names.empty() ? "" : "|") + s.name;
  cmd->add_option("--like", o->like, "Shapes to copy: " + names)->capture_default_str();
  cmd->add_option("--type", o->type, "Type of the weight matrices: f32|f16|bf16")->capture_default_str();
  cmd->add_option("-o,--output", o->output, "Output GGUF file")->required();
  cmd->add_option("--seed", o->seed, "Random seed of the weights")->capture_default_str();
  cmd->callback([o, &exit_code] {
    auto fail = [&](const std::string& msg) {
      std::fprintf(stderr, "greenllm synth: %s\n", msg.c_str());
      exit_code = 1;
    };
    auto spec = model::find_synth_spec(o->like);
    if (!spec) return fail(spec.message());
    const auto type = ggml_type_from_name(o->type);
    if (!type) return fail(fmt::format("unknown tensor type '{}'", o->type));
    model::SynthOptions opts;
    opts.type = *type;
    opts.seed = o->seed;
    if (auto st = model::write_synth_model(*spec, opts, o->output); !st) return fail(st.message());
    std::fprintf(stderr, "greenllm synth: wrote %s (%s shapes, %s, random weights)\n", o->output.c_str(),
                 o->like.c_str(), o->type.c_str());
  });
}

}  // namespace greenllm::cli
