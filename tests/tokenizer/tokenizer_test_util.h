// Helpers of the tokenizer tests: the .inp/.out golden pairs (as llama.cpp's test-tokenizer-0 reads
// them), loading a tokenizer from a GGUF fixture, and running the node reference tools.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "formats/gguf.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace greenllm::tokenizer::test_util {

inline const std::string kNodeModules = GREENLLM_SOURCE_DIR "/tests/node/node_modules";

inline Vocab vocab_from_gguf_fixture(const std::string& path) {
  auto file = formats::GgufFile::open(path);
  EXPECT_TRUE(file.is_ok()) << file.message();
  if (!file.is_ok()) return {};
  auto vocab = vocab_from_gguf(**file);
  EXPECT_TRUE(vocab.is_ok()) << vocab.message();
  if (!vocab.is_ok()) return {};
  return std::move(vocab).value();
}

inline std::unique_ptr<Tokenizer> tokenizer_from_gguf(const std::string& path) {
  auto tok = make_tokenizer(vocab_from_gguf_fixture(path));
  EXPECT_TRUE(tok.is_ok()) << tok.message();
  if (!tok.is_ok()) return nullptr;
  return std::move(tok).value();
}

// The test texts of a .inp file, split on "\n__ggml_vocab_test__\n" with nothing stripped (a text may
// itself end in newlines).
inline std::vector<std::string> read_inp(const std::string& path) {
  const std::string raw = test::read_file(path);
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  size_t pos = 0;
  while (pos < raw.size()) {
    const size_t next = raw.find(sep, pos);
    if (next == std::string::npos) {
      texts.push_back(raw.substr(pos));
      break;
    }
    texts.push_back(raw.substr(pos, next - pos));
    pos = next + sep.size();
  }
  return texts;
}

// One line of ids per text (leading/trailing spaces ignored).
inline std::vector<std::vector<int32_t>> read_out(const std::string& path) {
  std::vector<std::vector<int32_t>> lines;
  std::istringstream in(test::read_file(path));
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::vector<int32_t> ids;
    for (int32_t id; ls >> id;) ids.push_back(id);
    lines.push_back(ids);
  }
  return lines;
}

inline std::string ids_to_string(const std::vector<int32_t>& ids) {
  std::string s;
  for (const int32_t id : ids) {
    if (!s.empty()) s += ' ';
    s += std::to_string(id);
  }
  return s;
}

// Every text of the ggml-vocab-`name`.gguf .inp/.out pair encodes to its line (no BOS, parse_special
// off: test-tokenizer-0's common_tokenize(ctx, text, add_special=false, parse_special=false)) and
// decodes back to itself. Skips when the fixtures are missing.
inline void check_golden(const std::string& name) {
  const std::string base = "tokenizer/ggml-vocab-" + name + ".gguf";
  const auto gguf = test::model_fixture(base);
  const auto inp = test::model_fixture(base + ".inp");
  const auto out = test::model_fixture(base + ".out");
  if (!gguf || !inp || !out) GTEST_SKIP() << "fixture " << base << "(.inp/.out) not found; skipping";
  const auto tok = tokenizer_from_gguf(*gguf);
  ASSERT_NE(tok, nullptr);
  const auto texts = read_inp(*inp);
  const auto expected = read_out(*out);
  ASSERT_EQ(texts.size(), expected.size());
  ASSERT_EQ(texts.size(), 46u);
  int n_pass = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto ids = tok->encode(texts[i], /*add_special=*/false, /*parse_special=*/false);
    EXPECT_EQ(ids_to_string(ids), ids_to_string(expected[i])) << name << " text " << i << ": '" << texts[i] << "'";
    EXPECT_EQ(tok->decode(ids), texts[i]) << name << " text " << i;
    n_pass += ids == expected[i];
  }
  std::printf("%s: %d/%zu texts match\n", name.c_str(), n_pass, texts.size());
  EXPECT_EQ(n_pass, int(texts.size()));
}

// The first 1 MB of wikitext-2's test split, with the vocab of the GGUF fixture `vocab_fixture`:
// round-trips, and (in optimized, unsanitized builds) encodes in under a second.
inline void check_one_megabyte(const std::string& vocab_fixture) {
  GREENLLM_REQUIRE_FIXTURE(path, model_fixture, vocab_fixture);
  GREENLLM_REQUIRE_FIXTURE(wiki, data_fixture, "wikitext-2-raw/wiki.test.raw");
  const auto tok = tokenizer_from_gguf(path);
  ASSERT_NE(tok, nullptr);
  const std::string text = test::read_file(wiki).substr(0, 1 << 20);
  const auto t0 = std::chrono::steady_clock::now();
  const auto ids = tok->encode(text, true, false);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(ids.size(), 200000u);
  EXPECT_EQ(tok->decode(ids), text);
  std::printf("encoded %zu bytes into %zu tokens in %.3f s\n", text.size(), ids.size(), seconds);
#if defined(__SANITIZE_ADDRESS__) || !defined(NDEBUG)
  (void)seconds;  // sanitized and debug builds only check correctness
#else
  EXPECT_LT(seconds, 1.0);
#endif
}

// `n_texts` random (text, flag) pairs: each text is up to `max_pieces - 1` items, each one of
// `specials` with probability 1/`special_one_in` (when there are any), else one of `pieces`; the flag
// (parse_special or add_special, as the caller uses it) is a coin toss. Deterministic in `seed`.
inline std::vector<std::pair<std::string, bool>> random_texts(uint32_t seed, const std::vector<std::string>& pieces,
                                                              const std::vector<std::string>& specials, int n_texts,
                                                              int max_pieces, int special_one_in) {
  std::mt19937 rng(seed);
  std::vector<std::pair<std::string, bool>> texts;
  for (int i = 0; i < n_texts; ++i) {
    std::string s;
    const int n = int(rng() % uint32_t(max_pieces));
    for (int k = 0; k < n; ++k) {
      if (!specials.empty() && rng() % uint32_t(special_one_in) == 0)
        s += specials[rng() % specials.size()];
      else
        s += pieces[rng() % pieces.size()];
    }
    texts.emplace_back(s, rng() % 2 == 0);
  }
  return texts;
}

// Empty when `node` and the given packages under tests/node/node_modules are there, else why not.
inline std::string node_unavailable(const std::vector<std::string>& packages) {
  std::string node;
  if (test::run_command("command -v node", &node) != 0 || node.empty()) return "node not on PATH";
  for (const std::string& package : packages) {
    if (!std::filesystem::exists(std::filesystem::path(kNodeModules) / package)) {
      return kNodeModules + "/" + package + " missing (scripts/test_deps.sh installs it)";
    }
  }
  return "";
}

// Token ids llama.cpp (node-llama-cpp's prebuilt binary, add_special off) gives for each
// (text, parse_special), from the vocab of the GGUF at `gguf_path`; empty (with a test failure) when
// node fails. Callers check node_unavailable({"node-llama-cpp", "@node-llama-cpp/linux-x64"}) first.
inline std::vector<std::vector<int32_t>> llama_cpp_tokenize(const std::string& gguf_path,
                                                            const std::vector<std::pair<std::string, bool>>& items,
                                                            const std::string& name) {
  static constexpr const char* kScript = R"js(
import fs from "fs";
const [entry, model_path, in_path] = process.argv.slice(2);
const {getLlama, LlamaLogLevel} = await import(entry);
const llama = await getLlama({gpu: false, build: "never", skipDownload: true, progressLogs: false,
                              logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath: model_path, gpuLayers: 0, vocabOnly: true});
const items = JSON.parse(fs.readFileSync(in_path, "utf8"));
const out = items.map(([text, special]) => Array.from(model.tokenize(text, special)));
await new Promise((resolve) => process.stdout.write(JSON.stringify(out), resolve));
await model.dispose();
)js";
  nlohmann::json in = nlohmann::json::array();
  for (const auto& [text, special] : items) in.push_back({text, special});
  const std::string in_path = test::temp_path(name + "-llama-cpp-in.json");
  const std::string script_path = test::temp_path("llama-cpp-tokenize.mjs");
  std::ofstream(in_path) << in.dump();
  std::ofstream(script_path) << kScript;
  std::string out;
  const std::string cmd = "node '" + script_path + "' '" + kNodeModules + "/node-llama-cpp/dist/index.js' '" +
                          gguf_path + "' '" + in_path + "' 2>/dev/null";
  // The answer is complete once the JSON is on stdout; node-llama-cpp's native teardown has been seen
  // to fail now and then after that, so a complete answer counts whatever the exit status, and an
  // incomplete one is asked for once more.
  nlohmann::json ref;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int rc = test::run_command(cmd, &out);
    ref = nlohmann::json::parse(out, nullptr, false);
    if (ref.is_array() && ref.size() == items.size()) break;
    std::fprintf(stderr, "llama.cpp reference, attempt %d: exit %d, incomplete answer: %s\n", attempt + 1, rc,
                 cmd.c_str());
  }
  EXPECT_TRUE(ref.is_array() && ref.size() == items.size()) << "no complete answer from: " << cmd;
  if (!ref.is_array() || ref.size() != items.size()) return {};
  std::vector<std::vector<int32_t>> ids;
  for (const auto& r : ref) ids.push_back(r.get<std::vector<int32_t>>());
  return ids;
}

// Token ids Hugging Face's JavaScript tokenizers (@huggingface/tokenizers) give for each (text,
// add_special_tokens), from `dir`/tokenizer.json and `dir`/tokenizer_config.json. Added tokens are
// always matched there (our parse_special = true). Empty (with a test failure) when node fails.
// Callers check node_unavailable({"@huggingface/tokenizers"}) first.
inline std::vector<std::vector<int32_t>> hf_js_tokenize(const std::string& dir,
                                                        const std::vector<std::pair<std::string, bool>>& items,
                                                        const std::string& name) {
  static constexpr const char* kScript = R"js(
import fs from "fs";
const [entry, dir, in_path] = process.argv.slice(2);
const {Tokenizer} = await import(entry);
const tokenizer_json = JSON.parse(fs.readFileSync(dir + "/tokenizer.json", "utf8"));
let config = {};
if (fs.existsSync(dir + "/tokenizer_config.json")) {
  config = JSON.parse(fs.readFileSync(dir + "/tokenizer_config.json", "utf8"));
}
const tokenizer = new Tokenizer(tokenizer_json, config);
const items = JSON.parse(fs.readFileSync(in_path, "utf8"));
const out = items.map(([text, add_special]) => tokenizer.encode(text, {add_special_tokens: add_special}).ids);
await new Promise((resolve) => process.stdout.write(JSON.stringify(out), resolve));
)js";
  nlohmann::json in = nlohmann::json::array();
  for (const auto& [text, add_special] : items) in.push_back({text, add_special});
  const std::string in_path = test::temp_path(name + "-hf-in.json");
  const std::string script_path = test::temp_path("hf-tokenize.mjs");
  std::ofstream(in_path) << in.dump();
  std::ofstream(script_path) << kScript;
  std::string out;
  const std::string cmd = "node '" + script_path + "' '" + kNodeModules +
                          "/@huggingface/tokenizers/dist/tokenizers.mjs' '" + dir + "' '" + in_path + "'";
  EXPECT_EQ(test::run_command(cmd, &out), 0) << cmd;
  const auto ref = nlohmann::json::parse(out, nullptr, false);
  EXPECT_TRUE(ref.is_array() && ref.size() == items.size()) << out.substr(0, 200);
  if (!ref.is_array() || ref.size() != items.size()) return {};
  std::vector<std::vector<int32_t>> ids;
  for (const auto& r : ref) ids.push_back(r.get<std::vector<int32_t>>());
  return ids;
}

}  // namespace greenllm::tokenizer::test_util
