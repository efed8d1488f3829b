// `greenllm tokenize`: the token ids (or pieces) of a text, with a GGUF file's vocabulary or a llama2.c
// tokenizer.bin.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "formats/gguf.h"
#include "model/model_loader.h"
#include "tokenizer/hf_tokenizer_json.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace greenllm::cli {
namespace {

struct TokenizeOptions {
  std::string model_path;
  std::string tokenizer_path;
  std::string file;
  bool bos = false;
  bool pieces = false;
  bool json = false;
  bool parse_special = false;
};

Result<std::unique_ptr<tokenizer::Tokenizer>> load_tokenizer(const TokenizeOptions& o) {
  std::error_code ec;
  if (std::filesystem::is_directory(o.model_path, ec)) {
    // A Hugging Face folder: its tokenizer.json (and tokenizer_config.json).
    auto vocab = tokenizer::vocab_from_hf(o.model_path);
    GREENLLM_TRY(vocab);
    auto tok = tokenizer::make_tokenizer(std::move(vocab).value());
    if (!tok.is_ok()) return Status::error(o.model_path + ": " + tok.message());
    return tok;
  }
  if (!std::ifstream(o.model_path, std::ios::binary)) return Status::error(o.model_path + ": cannot open");
  if (model::is_gguf_file(o.model_path)) {
    if (!o.tokenizer_path.empty()) {
      return Status::error(o.model_path +
                           ": a GGUF file carries its own vocabulary; --tokenizer is for llama2.c checkpoints");
    }
    auto file = formats::GgufFile::open(o.model_path);
    GREENLLM_TRY(file);
    auto vocab = tokenizer::vocab_from_gguf(**file);
    GREENLLM_TRY(vocab);
    auto tok = tokenizer::make_tokenizer(std::move(vocab).value());
    if (!tok.is_ok()) return Status::error(o.model_path + ": " + tok.message());
    return tok;
  }
  if (o.tokenizer_path.empty()) {
    return Status::error(o.model_path + ": not a GGUF file; a llama2.c checkpoint needs --tokenizer tokenizer.bin");
  }
  auto vocab = tokenizer::vocab_from_llama2c(o.tokenizer_path, -1);
  GREENLLM_TRY(vocab);
  auto tok = tokenizer::make_tokenizer(std::move(vocab).value());
  if (!tok.is_ok()) return Status::error(o.tokenizer_path + ": " + tok.message());
  return tok;
}

const char* short_escape(uint8_t c) {
  switch (c) {
    case '\n':
      return "\\n";
    case '\t':
      return "\\t";
    case '\r':
      return "\\r";
    case '\\':
      return "\\\\";
    case '\'':
      return "\\'";
    default:
      return nullptr;
  }
}

// The piece between quotes: printable ASCII and whole UTF-8 characters as they are, the rest escaped
// (\n \t \r \\ \' and \xNN, e.g. for a byte token that holds part of a character).
std::string escape_piece(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const uint8_t c = uint8_t(s[i]);
    if (const char* e = short_escape(c)) {
      out += e;
      ++i;
      continue;
    }
    if (c >= 0x20 && c < 0x7F) {
      out += char(c);
      ++i;
      continue;
    }
    const size_t len = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    bool whole = len > 0 && i + len <= s.size();
    for (size_t k = 1; whole && k < len; ++k) whole = (uint8_t(s[i + k]) & 0xC0) == 0x80;
    if (whole) {
      out.append(s, i, len);
      i += len;
      continue;
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02X", unsigned(c));
    out += buf;
    ++i;
  }
  return out;
}

int tokenize(const TokenizeOptions& o) {
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "greenllm tokenize: %s\n", msg.c_str());
    return 1;
  };
  auto loaded = load_tokenizer(o);
  if (!loaded.is_ok()) return fail(loaded.message());
  const tokenizer::Tokenizer& tok = **loaded;

  std::string text;
  if (!o.file.empty()) {
    std::ifstream in(o.file, std::ios::binary);
    if (!in) return fail(o.file + ": cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  } else {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }

  std::vector<int32_t> ids = tok.encode(text, /*add_special=*/false, o.parse_special);
  if (o.bos) {
    if (tok.bos_id() < 0) return fail("the vocabulary has no BOS token");
    ids.insert(ids.begin(), tok.bos_id());
  }

  std::string out;
  if (o.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const int32_t id : ids) {
      if (o.pieces)
        j.push_back({{"id", id}, {"piece", tok.token_to_piece(id, /*render_special=*/true)}});
      else
        j.push_back(id);
    }
    // A byte token's piece may be part of a character: such bytes become U+FFFD in JSON.
    out = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else if (o.pieces) {
    for (const int32_t id : ids) {
      out += std::to_string(id) + "\t'" + escape_piece(tok.token_to_piece(id, /*render_special=*/true)) + "'\n";
    }
  } else {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) out += ' ';
      out += std::to_string(ids[i]);
    }
    out += "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : fail("cannot write to stdout");
}

}  // namespace

void register_tokenize(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<TokenizeOptions>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Print the token ids of a text (read from stdin or -f)");
  cmd->add_option("-m,--model", o->model_path,
                  "GGUF file (a vocab-only GGUF will do), a Hugging Face folder (tokenizer.json), or llama2.c model.bin with --tokenizer")
      ->required();
  cmd->add_option("--tokenizer", o->tokenizer_path, "llama2.c tokenizer.bin (for llama2.c checkpoints)");
  cmd->add_option("-f,--file", o->file, "Read the text from this file (default: stdin); taken byte for byte");
  cmd->add_flag("--bos", o->bos, "Start with the BOS token");
  cmd->add_flag("--parse-special", o->parse_special, "Turn the text of special tokens (e.g. <s>) into those tokens");
  cmd->add_flag("--pieces", o->pieces, "One line per token: id<TAB>'piece'");
  cmd->add_flag("--json", o->json, "A JSON array of ids (with --pieces, of {\"id\", \"piece\"})");
  cmd->callback([o, &exit_code] { exit_code = tokenize(*o); });
}

}  // namespace greenllm::cli
