// The parts of tokenization every tokenizer kind shares: picking the kind, whole-sequence decode,
// end-of-generation tokens and the streaming decoder.
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <cctype>
#include <iterator>

#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/spm_tokenizer.h"

namespace greenllm::tokenizer {
namespace {

// Token texts llama.cpp's vocab loader (llama-vocab.cpp) recognizes whatever the file's token types say.
// End of generation:
// clang-format off
constexpr std::string_view kEogTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<\uFF5Cend\u2581of\u2581sentence\uFF5C>", "[e~[",  // DeepSeek, MiniMax
    // fill-in-the-middle padding, repository and file separator markers end generation too
    "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
    "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>",
};
// clang-format on
// Fill-in-the-middle prefix / suffix / middle markers: control tokens, but not the end.
// clang-format off
constexpr std::string_view kFimTexts[] = {
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<PRE>", "<|code_prefix|>", "<|prefix|>",
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<SUF>", "<|code_suffix|>", "<|suffix|>",
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<MID>", "<|code_middle|>", "<|middle|>",
    // DeepSeek's and CodeLlama's
    "<\uFF5Cfim\u2581begin\uFF5C>", "<\uFF5Cfim\u2581hole\uFF5C>", "<\uFF5Cfim\u2581end\uFF5C>",
    "\u2581<PRE>", "\u2581<SUF>", "\u2581<MID>",
};
// clang-format on
// gpt-oss: always rendered.
constexpr std::string_view kUserDefinedTexts[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"};

enum StripBits : uint8_t { STRIP_LEFT = 1, STRIP_RIGHT = 2 };

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string to_lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

template <size_t N>
bool contains(const std::string_view (&list)[N], std::string_view text) {
  return std::find(std::begin(list), std::end(list), text) != std::end(list);
}

// Bytes at the end of `s` that start a UTF-8 sequence still missing bytes (0 when complete or invalid).
size_t incomplete_utf8_tail(const std::string& s) {
  const size_t n = s.size();
  for (size_t k = 1; k <= 4 && k <= n; ++k) {
    const uint8_t c = uint8_t(s[n - k]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: look further back
    const size_t need = c >= 0xF8 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > k ? k : 0;
  }
  return 0;
}

}  // namespace

Tokenizer::Tokenizer(Vocab vocab) : vocab_(std::move(vocab)) {
  const int32_t n = vocab_.n_tokens();
  auto find = [&](std::string_view text) {
    for (int32_t id = 0; id < n; ++id) {
      if (vocab_.tokens[size_t(id)] == text) return id;
    }
    return int32_t(-1);
  };
  for (int32_t id = 0; id < n; ++id) {
    const std::string& text = vocab_.tokens[size_t(id)];
    TokenType& type = vocab_.types[size_t(id)];
    if (contains(kEogTexts, text)) {
      type = TokenType::CONTROL;
      eog_ids_.push_back(id);
    } else if (contains(kFimTexts, text)) {
      type = TokenType::CONTROL;
    }
    if (contains(kUserDefinedTexts, text)) type = TokenType::USER_DEFINED;
  }
  if (vocab_.eos_id >= 0 && vocab_.eos_id < n) eog_ids_.push_back(vocab_.eos_id);

  auto drop_eog = [&](int32_t id, TokenType new_type) {
    if (id < 0) return;
    eog_ids_.erase(std::remove(eog_ids_.begin(), eog_ids_.end(), id), eog_ids_.end());
    vocab_.types[size_t(id)] = new_type;
  };
  // o200k_harmony and solar-open: <|end|> ends a message, not the generation.
  const bool has_return = find("<|return|>") >= 0;
  const bool has_call = find("<|call|>") >= 0 || find("<|calls|>") >= 0;
  const bool has_flush = find("<|flush|>") >= 0;
  if ((has_return && has_call) || (has_call && has_flush)) drop_eog(find("<|end|>"), TokenType::USER_DEFINED);
  // Gemma 4 and PaddleOCR: </s> is text.
  if (find("<|tool_response>") >= 0) drop_eog(find("</s>"), TokenType::NORMAL);

  std::sort(eog_ids_.begin(), eog_ids_.end());
  eog_ids_.erase(std::unique(eog_ids_.begin(), eog_ids_.end()), eog_ids_.end());

  for (int32_t id = 0; id < n; ++id) {
    const TokenType t = vocab_.types[size_t(id)];
    if ((t == TokenType::CONTROL || t == TokenType::USER_DEFINED || t == TokenType::UNKNOWN) &&
        !vocab_.tokens[size_t(id)].empty()) {
      special_ids_.push_back(id);
    }
  }
  std::stable_sort(special_ids_.begin(), special_ids_.end(), [&](int32_t a, int32_t b) {
    return vocab_.tokens[size_t(a)].size() > vocab_.tokens[size_t(b)].size();
  });

  // llama.cpp's per-model token attributes: for Phi-3, whitespace after special tokens (except
  // <unk>, <s>, <|endoftext|>) is dropped, and after </s> too.
  strip_.assign(size_t(n), 0);
  const std::string name = to_lower(vocab_.model_name);
  if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
    for (int32_t id : special_ids_) strip_[size_t(id)] |= STRIP_RIGHT;
    if (int32_t id = find("</s>"); id >= 0) strip_[size_t(id)] |= STRIP_RIGHT;
    for (const char* keep : {"<unk>", "<s>", "<|endoftext|>"}) {
      if (int32_t id = find(keep); id >= 0) strip_[size_t(id)] &= uint8_t(~STRIP_RIGHT);
    }
  }
}

std::vector<Tokenizer::Fragment> Tokenizer::partition_special(std::string_view text, bool parse_special) const {
  std::vector<Fragment> frags;
  if (!text.empty()) frags.push_back({-1, 0, text.size()});
  std::vector<Fragment> next;
  for (const int32_t id : special_ids_) {
    const TokenType type = vocab_.types[size_t(id)];
    // Without parse_special only USER_DEFINED tokens are split out (as Hugging Face does).
    if (!parse_special && (type == TokenType::CONTROL || type == TokenType::UNKNOWN)) continue;
    const std::string_view tok = vocab_.tokens[size_t(id)];
    const uint8_t strip = strip_[size_t(id)];
    next.clear();
    for (const Fragment& f : frags) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      size_t off = f.offset, len = f.length;
      while (true) {
        const size_t match = text.substr(0, off + len).find(tok, off);
        if (match == std::string_view::npos) {
          if (len > 0) next.push_back({-1, off, len});
          break;
        }
        size_t left_len = match - off;
        if (strip & STRIP_LEFT) {
          while (left_len > 0 && is_space(text[off + left_len - 1])) --left_len;
        }
        if (left_len > 0) next.push_back({-1, off, left_len});
        next.push_back({id, 0, 0});
        const size_t end = off + len;
        size_t right_off = match + tok.size();
        if (right_off >= end) break;
        if (strip & STRIP_RIGHT) {
          while (right_off < end && is_space(text[right_off])) ++right_off;
        }
        off = right_off;
        len = end - right_off;
      }
    }
    frags.swap(next);
  }
  return frags;
}

bool Tokenizer::is_eog(int32_t id) const { return std::binary_search(eog_ids_.begin(), eog_ids_.end(), id); }

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string text;
  bool strip = vocab_.add_space_prefix;  // the dummy prefix sits on the first piece with text
  for (const int32_t id : ids) {
    std::string piece = token_to_piece(id);
    if (strip) {
      if (piece.empty()) continue;
      if (piece[0] == ' ') piece.erase(0, 1);
      strip = false;
    }
    text += piece;
  }
  return text;
}

Result<std::unique_ptr<Tokenizer>> make_tokenizer(Vocab vocab) {
  const bool bpe = vocab.model == "gpt2" || vocab.hf.has_value();
  if (vocab.model != "llama" && !bpe) {
    return Status::error("tokenizer model '" + vocab.model + "' is not supported yet");
  }
  const size_t n = vocab.tokens.size();
  if (n == 0) return Status::error("vocab has no tokens");
  if (n > size_t(INT32_MAX)) return Status::error("vocab has too many tokens");
  if (vocab.scores.size() != n || vocab.types.size() != n) {
    return Status::error("vocab has " + std::to_string(n) + " tokens but " + std::to_string(vocab.scores.size()) +
                         " scores and " + std::to_string(vocab.types.size()) + " token types");
  }
  const std::pair<const char*, int32_t> ids[] = {
      {"bos", vocab.bos_id}, {"eos", vocab.eos_id}, {"unknown", vocab.unk_id}, {"padding", vocab.pad_id}};
  for (const auto& [name, id] : ids) {
    if (id < -1 || id >= int32_t(n)) {
      return Status::error(std::string(name) + " token id " + std::to_string(id) + " is out of range (vocab has " +
                           std::to_string(n) + " tokens)");
    }
  }
  if (bpe) return BpeTokenizer::create(std::move(vocab));
  return std::unique_ptr<Tokenizer>(std::make_unique<SpmTokenizer>(std::move(vocab)));
}

std::string StreamDecoder::push(int32_t id) {
  std::string piece = tok_.token_to_piece(id);
  if (at_start_) {
    if (piece.empty()) return {};  // BOS or another control token: the first word is still to come
    if (piece[0] == ' ') piece.erase(0, 1);
    at_start_ = false;
  }
  pending_ += piece;
  const size_t hold = incomplete_utf8_tail(pending_);
  std::string ready = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return ready;
}

std::string StreamDecoder::flush() {
  std::string rest;
  rest.swap(pending_);
  return rest;
}

}  // namespace greenllm::tokenizer
