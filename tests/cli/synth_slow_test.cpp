// Slow: `greenllm synth --like tinyllama-1.1b` writes a 2.2 GB F16 file with TinyLlama-1.1B's
// exact tensor shapes, which greenllm and llama.cpp (node-llama-cpp, when installed) both load and run.
#include <gtest/gtest.h>

#include <filesystem>

#include "formats/gguf.h"
#include "model/model_loader.h"
#include "test_util.h"

namespace greenllm::test {
namespace {

TEST(SynthSlow, TinyLlamaShapeLoadsInGreenllmAndLlamaCpp) {
  const std::string out = temp_path("tinyllama-1.1b.f16.gguf");
  std::string stdout_text;
  ASSERT_EQ(run_command("'" + greenllm_binary() + "' synth --like tinyllama-1.1b --type f16 -o '" + out + "'", &stdout_text), 0);
  {
    auto f = formats::GgufFile::open(out);
    ASSERT_TRUE(f.is_ok()) << f.message();
    int64_t params = 0;
    for (const auto& t : (*f)->tensors()) params += t.n_elements();
    EXPECT_EQ(params, 1100048384);  // TinyLlama-1.1B
    EXPECT_EQ((*f)->find_tensor("blk.21.attn_k.weight")->shape, (std::vector<int64_t>{2048, 256}));
    EXPECT_EQ((*f)->find_tensor("blk.0.ffn_down.weight")->shape, (std::vector<int64_t>{5632, 2048}));
    EXPECT_EQ((*f)->find_tensor("output.weight")->shape, (std::vector<int64_t>{2048, 32000}));
  }
  std::string text;
  EXPECT_EQ(run_command("'" + greenllm_binary() + "' run -m '" + out + "' -p '' -n 4 --seed 1 --no-display-prompt 2>/dev/null", &text), 0);
  const std::string node_dir = GREENLLM_SOURCE_DIR "/tests/node";
  if (run_command("command -v node >/dev/null", nullptr) != 0 ||
      !std::filesystem::exists(node_dir + "/node_modules/node-llama-cpp")) {
    std::filesystem::remove(out);
    GTEST_SKIP() << "node-llama-cpp not installed (scripts/test_deps.sh); greenllm side checked";
  }
  EXPECT_EQ(run_command("node '" + node_dir + "/llama_generate.mjs' '" + out + "' -n 4 >/dev/null", nullptr), 0);
  std::filesystem::remove(out);
}

}  // namespace
}  // namespace greenllm::test
