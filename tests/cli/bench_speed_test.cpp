// `greenllm bench speed`: the JSON record holds every sample, and its aggregates are recomputable
// from them; token counts are the ones asked for.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "formats/gguf.h"
#include "test_util.h"

namespace greenllm::test {
namespace {

TEST(BenchSpeed, JsonRecordIsConsistent) {
  GREENLLM_REQUIRE_FIXTURE(model, model_fixture, "stories260K.gguf");
  std::string out;
  ASSERT_EQ(run_command("'" + greenllm_binary() + "' bench speed -m '" + model + "' -p 16 -n 4 -r 3 -t 1 --json", &out),
            0);
  const auto j = nlohmann::json::parse(out);
  EXPECT_GT(j["read_bandwidth_gb_s"].get<double>(), 0.1);
  // The weights counted are every tensor of the file (stories260K keeps a copy in output.weight).
  auto file = formats::GgufFile::open(model);
  ASSERT_TRUE(file.is_ok()) << file.message();
  uint64_t file_bytes = 0;
  for (const auto& t : (*file)->tensors()) file_bytes += t.size_bytes;
  EXPECT_EQ(j["weight_bytes"].get<uint64_t>(), file_bytes);
  for (const char* name : {"pp16", "tg4"}) {
    ASSERT_TRUE(j["tests"].contains(name)) << name;
    const auto& t = j["tests"][name];
    const auto samples = t["samples_tok_s"].get<std::vector<double>>();
    ASSERT_EQ(samples.size(), 3u);
    double mean = 0;
    for (double s : samples) {
      EXPECT_GT(s, 0.0);
      mean += s / 3.0;
    }
    EXPECT_NEAR(t["mean_tok_s"].get<double>(), mean, 1e-9 * mean);
  }
}

TEST(BenchSpeed, NeedsASubcommandAndAModel) {
  std::string out;
  EXPECT_NE(run_command("'" + greenllm_binary() + "' bench 2>/dev/null", &out), 0);
  EXPECT_NE(run_command("'" + greenllm_binary() + "' bench speed -m /no/such.gguf 2>/dev/null", &out), 0);
}

}  // namespace
}  // namespace greenllm::test
