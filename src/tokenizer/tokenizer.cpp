// The parts of tokenization every tokenizer kind shares: picking the kind, whole-sequence decode,
// end-of-generation tokens and the streaming decoder.
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <iterator>

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
};
// clang-format on
// gpt-oss: always rendered.
constexpr std::string_view kUserDefinedTexts[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"};

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
  if (vocab.model != "llama") {
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
