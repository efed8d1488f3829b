// `greenllm convert` end to end: stories260K.bin + tok512.bin converts to a GGUF whose tensors equal
// llama.cpp's own conversion (stories260K.gguf) value for value and whose greedy text is the golden
// one; tinystories-656k's Hugging Face weights convert with the expected shapes; llama.cpp (through
// node, when installed) loads the converted file and produces the golden text too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/fp16.h"
#include "core/thread_pool.h"
#include "engine/generator.h"
#include "formats/gguf.h"
#include "formats/safetensors_writer.h"
#include "model/hf_import.h"
#include "model/hf_llama_tensors.h"
#include "model/model_loader.h"
#include "test_util.h"

namespace greenllm::test {
namespace {

namespace fs = std::filesystem;

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

// Runs greenllm with `args`, capturing stdout and stderr.
CliRun greenllm(const std::vector<std::string>& args) {
  static int counter = 0;
  const std::string err_path = temp_path("convert-stderr-" + std::to_string(counter++) + ".txt");
  std::string cmd = quote(greenllm_binary());
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " </dev/null 2>" + quote(err_path);
  CliRun r;
  r.exit_code = run_command(cmd, &r.out);
  r.err = read_file(err_path);
  return r;
}

std::string greedy_text(const std::string& gguf, int64_t n) {
  auto loaded = model::load_model(gguf);
  EXPECT_TRUE(loaded.is_ok()) << loaded.message();
  if (!loaded.is_ok()) return {};
  ThreadPool pool(2);
  model::LlamaForward fwd(*loaded->model, pool);
  model::SequenceState seq(loaded->model->hparams, loaded->model->hparams.n_ctx_train);
  engine::GenerateParams params;
  params.n_predict = n;
  params.sampling.temperature = 0.0f;
  std::string text;
  auto stats = engine::generate(fwd, seq, *loaded->tokenizer, {loaded->tokenizer->bos_id()}, params,
                                [&](std::string_view piece) { text += piece; });
  EXPECT_TRUE(stats.is_ok()) << stats.message();
  return text;
}

double value_at(const formats::GgufTensorInfo& t, size_t i) {
  if (t.type == GgmlType::F32) {
    float f;
    std::memcpy(&f, t.data + 4 * i, 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, t.data + 2 * i, 2);
  return t.type == GgmlType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
}

TEST(Convert, Llama2cToGgufEqualsLlamaCppConversionAndGeneratesGolden) {
  GREENLLM_REQUIRE_FIXTURE(bin, model_fixture, "stories260K.bin");
  GREENLLM_REQUIRE_FIXTURE(tok, model_fixture, "tok512.bin");
  GREENLLM_REQUIRE_FIXTURE(reference, model_fixture, "stories260K.gguf");
  GREENLLM_REQUIRE_FIXTURE(golden, model_fixture, "stories260K.greedy256.txt");
  const std::string out = temp_path("stories260K.converted.gguf");
  const CliRun r = greenllm({"convert", bin, "--tokenizer", tok, "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("tensors"), std::string::npos) << r.err;

  auto ours = formats::GgufFile::open(out);
  auto theirs = formats::GgufFile::open(reference);
  ASSERT_TRUE(ours.is_ok()) << ours.message();
  ASSERT_TRUE(theirs.is_ok()) << theirs.message();
  // Every tensor of llama.cpp's file, value for value (its output.weight is a copy of the tied
  // embeddings, which greenllm leaves out as llama.cpp's Hugging Face converter does).
  size_t n_values = 0;
  for (const auto& want : (*theirs)->tensors()) {
    const auto* got = (*ours)->find_tensor(want.name);
    if (got == nullptr && want.name == "output.weight") got = (*ours)->find_tensor("token_embd.weight");
    ASSERT_NE(got, nullptr) << want.name;
    ASSERT_EQ(got->shape, want.shape) << want.name;
    ASSERT_EQ(got->type, GgmlType::F32) << want.name;
    ASSERT_EQ(got->size_bytes, want.size_bytes) << want.name;
    ASSERT_EQ(std::memcmp(got->data, want.data, want.size_bytes), 0) << want.name;
    n_values += want.size_bytes / 4;
  }
  EXPECT_EQ((*ours)->tensors().size(), (*theirs)->tensors().size() - 1);
  EXPECT_GT(n_values, 250000u);
  // The same vocabulary and hyper-parameters.
  for (const char* key : {"tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.scores",
                          "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                          "tokenizer.ggml.unknown_token_id", "general.architecture", "llama.embedding_length",
                          "llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv",
                          "llama.block_count", "llama.rope.dimension_count", "llama.attention.layer_norm_rms_epsilon"}) {
    const auto* a = (*ours)->find(key);
    const auto* b = (*theirs)->find(key);
    ASSERT_NE(a, nullptr) << key;
    ASSERT_NE(b, nullptr) << key;
    EXPECT_TRUE(*a == *b) << key << ": " << a->to_display_string() << " vs " << b->to_display_string();
  }
  EXPECT_EQ((*ours)->get_int("llama.context_length").value(), 512);  // the checkpoint's seq_len
  EXPECT_EQ((*ours)->get_string("general.name").value(), "stories260K");

  EXPECT_EQ(greedy_text(out, 256), read_file(golden));
}

TEST(Convert, Llama2cToF16StillGeneratesGolden) {
  GREENLLM_REQUIRE_FIXTURE(bin, model_fixture, "stories260K.bin");
  GREENLLM_REQUIRE_FIXTURE(tok, model_fixture, "tok512.bin");
  GREENLLM_REQUIRE_FIXTURE(golden, model_fixture, "stories260K.greedy256.txt");
  const std::string out = temp_path("stories260K.f16.gguf");
  const CliRun r = greenllm({"convert", bin, "--tokenizer", tok, "--type", "f16", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto f = formats::GgufFile::open(out);
  ASSERT_TRUE(f.is_ok()) << f.message();
  EXPECT_EQ((*f)->get_int("general.file_type").value(), 1);
  for (const auto& t : (*f)->tensors())
    EXPECT_EQ(t.type, t.shape.size() == 1 ? GgmlType::F32 : GgmlType::F16) << t.name;
  EXPECT_EQ(greedy_text(out, 256), read_file(golden));
}

TEST(Convert, HuggingFaceFolderWeights) {
  GREENLLM_REQUIRE_FIXTURE(dir, model_fixture, "tinystories-656k");
  const std::string out = temp_path("tinystories-656k.bf16.gguf");
  const CliRun r = greenllm({"convert", dir, "--no-vocab", "--type", "bf16", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("20 tensors"), std::string::npos) << r.err;
  auto f = formats::GgufFile::open(out);
  ASSERT_TRUE(f.is_ok()) << f.message();
  const auto& g = **f;
  EXPECT_EQ(g.tensors().size(), 20u);
  EXPECT_EQ(g.find_tensor("output.weight"), nullptr);  // tied
  EXPECT_EQ(g.find_tensor("token_embd.weight")->shape, (std::vector<int64_t>{128, 2048}));
  EXPECT_EQ(g.find_tensor("token_embd.weight")->type, GgmlType::BF16);
  EXPECT_EQ(g.find_tensor("blk.0.attn_k.weight")->shape, (std::vector<int64_t>{128, 64}));
  EXPECT_EQ(g.find_tensor("blk.1.ffn_up.weight")->shape, (std::vector<int64_t>{128, 384}));
  EXPECT_EQ(g.find_tensor("output_norm.weight")->type, GgmlType::F32);
  EXPECT_EQ(g.get_int("general.file_type").value(), 32);
  EXPECT_EQ(g.get_int("llama.vocab_size").value(), 2048);
  // Values survive BF16 rounding: the norm (F32) exactly.
  EXPECT_NE(value_at(*g.find_tensor("output_norm.weight"), 0), 0.0);
}

TEST(Convert, ErrorsAreOneLine) {
  GREENLLM_REQUIRE_FIXTURE(bin, model_fixture, "stories260K.bin");
  GREENLLM_REQUIRE_FIXTURE(gguf, model_fixture, "stories260K.gguf");
  const std::string out = temp_path("never.gguf");
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{"convert", bin, "-o", out}, "--tokenizer"},
      {{"convert", gguf, "-o", out}, "already a GGUF file"},
      {{"convert", temp_path("missing.bin"), "-o", out}, "cannot open"},
      {{"convert", bin, "--no-vocab", "--type", "q4_0", "-o", out}, "--type q4_0"},
      {{"convert", fs::path(bin).parent_path().string(), "-o", out}, "no config.json"},
  };
  for (const auto& c : cases) {
    const CliRun r = greenllm(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.needle << ": " << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  }
  EXPECT_FALSE(fs::exists(out));
}

const std::string kNodeDir = GREENLLM_SOURCE_DIR "/tests/node";

// Empty when llama.cpp can be run through node here, else why not.
std::string llama_cpp_missing() {
  std::string node;
  if (run_command("command -v node", &node) != 0 || node.empty()) return "node not on PATH";
  if (!fs::exists(kNodeDir + "/node_modules/node-llama-cpp") || !fs::exists(kNodeDir + "/llama_generate.mjs"))
    return kNodeDir + "/node_modules/node-llama-cpp missing (scripts/test_deps.sh installs it)";
  return "";
}

// llama.cpp (node-llama-cpp's prebuilt binary through tests/node/llama_generate.mjs) loads the
// converted file and produces the golden text.
// The real Hugging Face checkpoint with its tokenizer.json: greedy decoding from BOS until EOS gives
// the golden text (which spells "<|end_story|>" with ordinary tokens before the real EOS), in greenllm
// and, when node-llama-cpp is installed, in llama.cpp on the same converted file.
TEST(Convert, TinyStories656kGoldenInGreenllmAndLlamaCpp) {
  GREENLLM_REQUIRE_FIXTURE(dir, model_fixture, "tinystories-656k");
  GREENLLM_REQUIRE_FIXTURE(golden, model_fixture, "tinystories-656k.greedy.txt");
  const std::string out = temp_path("tinystories-656k.f32.gguf");
  const CliRun c = greenllm({"convert", dir, "--type", "f32", "-o", out});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const CliRun r = greenllm({"run", "-m", out, "-p", "", "-n", "-1", "--temp", "0", "-t", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, read_file(golden));
  EXPECT_NE(r.err.find("generated 138 tokens"), std::string::npos) << r.err;  // 139 with the EOS
  EXPECT_NE(r.err.find("stop: eos"), std::string::npos) << r.err;

  if (const std::string why = llama_cpp_missing(); !why.empty()) GTEST_SKIP() << why;
  const std::string err_path = temp_path("llama-cpp-656k-stderr.txt");
  std::string text;
  const int rc = run_command("node " + quote(std::string(kNodeDir) + "/llama_generate.mjs") + " " + quote(out) +
                                 " -n 400 2>" + quote(err_path),
                             &text);
  ASSERT_EQ(rc, 0) << read_file(err_path);
  EXPECT_EQ(text, read_file(golden));
}

TEST(Convert, LlamaCppLoadsTheConvertedFile) {
  if (const std::string why = llama_cpp_missing(); !why.empty()) GTEST_SKIP() << why;
  const std::string node_dir = kNodeDir;
  GREENLLM_REQUIRE_FIXTURE(bin, model_fixture, "stories260K.bin");
  GREENLLM_REQUIRE_FIXTURE(tok, model_fixture, "tok512.bin");
  GREENLLM_REQUIRE_FIXTURE(golden, model_fixture, "stories260K.greedy256.txt");
  const std::string out = temp_path("stories260K.for-llama-cpp.gguf");
  const CliRun r = greenllm({"convert", bin, "--tokenizer", tok, "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string err_path = temp_path("llama-cpp-convert-stderr.txt");
  std::string text;
  const int rc = run_command("node " + quote(node_dir + "/llama_generate.mjs") + " " + quote(out) + " -n 256 2>" +
                                 quote(err_path),
                             &text);
  ASSERT_EQ(rc, 0) << read_file(err_path);
  EXPECT_EQ(text, read_file(golden));
}

// Hugging Face checkpoints the test writes (random weights; a SentencePiece-style vocabulary with
// byte tokens, which llama.cpp requires) converted by greenllm: llama.cpp reads the metadata and
// tensors (rope_freqs, key_length, Qwen2 biases, tied embeddings) as greenllm does, so both pick the
// same greedy token ids.
struct TinyHf {
  std::string arch;
  std::string dtype;
  int n_embd, n_head, n_kv, head_dim, n_ff;
  bool tied, biases, llama3;
};

// Writes config.json and model.safetensors into `dir` (an existing, empty directory).
void write_tiny_hf(const TinyHf& c, int n_vocab, const std::string& dir) {
  nlohmann::ordered_json j;
  j["architectures"] = {c.arch};
  j["hidden_size"] = c.n_embd;
  j["num_hidden_layers"] = 2;
  j["num_attention_heads"] = c.n_head;
  j["num_key_value_heads"] = c.n_kv;
  j["head_dim"] = c.head_dim;
  j["intermediate_size"] = c.n_ff;
  j["vocab_size"] = n_vocab;
  j["max_position_embeddings"] = 128;
  j["rms_norm_eps"] = 1e-5;
  j["rope_theta"] = 10000.0;
  j["tie_word_embeddings"] = c.tied;
  if (c.llama3)
    j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                         {"high_freq_factor", 8.0}, {"original_max_position_embeddings", 256}};
  std::ofstream(dir + "/config.json") << j.dump(2);
  std::mt19937_64 rng(99);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<StTensor> tensors;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, float scale, float offset) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n), 0.0f);
    for (float& x : v) x = offset + scale * normal(rng);
    tensors.push_back(st_tensor(name, c.dtype, std::move(shape), v));
  };
  const HfLlamaDims dims{.n_vocab = n_vocab,
                         .n_embd = c.n_embd,
                         .n_layer = 2,
                         .q_dim = c.n_head * c.head_dim,
                         .kv_dim = c.n_kv * c.head_dim,
                         .n_ff = c.n_ff,
                         .tied = c.tied,
                         .biases = c.biases};
  for_each_hf_llama_tensor(dims, {.output = 0.5, .projection = 0.4}, add);
  st_write(dir + "/model.safetensors", tensors);
}

tokenizer::Vocab byte_vocab(int n_vocab) {
  tokenizer::Vocab v;
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.types = {tokenizer::TokenType::UNKNOWN, tokenizer::TokenType::CONTROL, tokenizer::TokenType::CONTROL};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    v.tokens.push_back(name);
    v.types.push_back(tokenizer::TokenType::BYTE);
  }
  for (int i = int(v.tokens.size()); i < n_vocab; ++i) {
    v.tokens.push_back("\xe2\x96\x81w" + std::to_string(i));
    v.types.push_back(tokenizer::TokenType::NORMAL);
  }
  v.scores.assign(v.tokens.size(), 0.0f);
  for (size_t i = 259; i < v.scores.size(); ++i) v.scores[i] = -float(i);
  v.unk_id = 0;
  v.bos_id = 1;
  v.eos_id = 2;
  return v;
}

TEST(Convert, LlamaCppAgreesOnConvertedHuggingFaceCheckpoints) {
  if (const std::string why = llama_cpp_missing(); !why.empty()) GTEST_SKIP() << why;
  const int n_vocab = 300, n_tokens = 24;
  const std::vector<TinyHf> cases = {
      {"LlamaForCausalLM", "F16", 32, 4, 2, 12, 64, false, false, true},  // GQA, head_dim != 32/4, llama3 rope
      {"Qwen2ForCausalLM", "BF16", 32, 4, 1, 8, 48, true, true, false},   // NeoX rope, biases, tied
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.arch);
    const std::string dir = fresh_dir("tiny-hf-" + c.arch);
    write_tiny_hf(c, n_vocab, dir);
    model::HfImportOptions opts;
    opts.vocab = byte_vocab(n_vocab);
    auto conv = model::import_hf(dir, opts);
    ASSERT_TRUE(conv.is_ok()) << conv.message();
    const std::string gguf = dir + ".gguf";
    ASSERT_TRUE(formats::write_gguf(gguf, (*conv)->content).is_ok());

    // greenllm's greedy ids from BOS.
    auto loaded = model::load_model(gguf);
    ASSERT_TRUE(loaded.is_ok()) << loaded.message();
    ThreadPool pool(1);
    model::LlamaForward fwd(*loaded->model, pool);
    model::SequenceState seq(loaded->model->hparams, n_tokens + 1);
    std::vector<int32_t> ours;
    int32_t token = 1;
    std::vector<float> logits;
    for (int i = 0; i < n_tokens; ++i) {
      ASSERT_TRUE(fwd.forward(seq, std::span<const int32_t>(&token, 1), logits).is_ok());
      token = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
      ours.push_back(token);
    }
    std::string out;
    const std::string err_path = dir + ".llama-cpp-stderr.txt";
    const int rc = run_command("node " + quote(kNodeDir + "/llama_generate.mjs") + " " + quote(gguf) + " -n " +
                                   std::to_string(n_tokens) + " --ignore-eos --json 2>" + quote(err_path),
                               &out);
    ASSERT_EQ(rc, 0) << "llama.cpp could not run the converted file: " << read_file(err_path);
    const auto theirs = nlohmann::json::parse(out)["tokens"].get<std::vector<int32_t>>();
    EXPECT_EQ(ours, theirs);
  }
}

}  // namespace
}  // namespace greenllm::test
