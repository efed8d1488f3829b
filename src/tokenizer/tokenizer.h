// Text <-> token ids. One interface for every tokenizer kind; make_tokenizer picks by vocab.model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tokenizer/vocab.h"

namespace greenllm::tokenizer {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Token ids of `text`. add_bos prepends BOS (and add_eos appends EOS) only if the vocab says to
  // (vocab.add_bos / add_eos). With parse_special, the text of CONTROL / USER_DEFINED tokens (e.g.
  // "<s>") in `text` becomes those tokens; without, it is tokenized as plain text.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const = 0;

  // The bytes token `id` stands for in text: "▁" becomes a space, byte tokens "<0xXX>" their byte
  // (possibly part of a UTF-8 sequence), control and unknown tokens "" unless `render_special` (then
  // their text), user-defined tokens their text; "" for ids out of range.
  virtual std::string token_to_piece(int32_t id, bool render_special = false) const = 0;

  const Vocab& vocab() const { return vocab_; }
  int32_t bos_id() const { return vocab_.bos_id; }
  int32_t eos_id() const { return vocab_.eos_id; }
  bool is_eog(int32_t id) const;  // end of generation (EOS, EOT-like control tokens)

  // Whole-sequence decode: the pieces joined, less one leading space on the first piece that has
  // text (the SentencePiece dummy prefix; BOS and other control tokens before it decode to nothing).
  std::string decode(const std::vector<int32_t>& ids) const;

 protected:
  // Applies llama.cpp's load-time fixups by token text: end-of-turn and fill-in-the-middle markers
  // (<|end|>, <|endoftext|>, </s>, <|fim_prefix|>, ...) become CONTROL tokens and, with EOS, the
  // end-of-generation set; and its per-model whitespace stripping around special tokens.
  explicit Tokenizer(Vocab vocab);

  // A piece of the input after special tokens were split out: either a token or raw text.
  struct Fragment {
    int32_t token;          // -1 for raw text
    size_t offset, length;  // bytes of the input (raw text only)
  };
  // llama.cpp's tokenizer_st_partition: CONTROL / USER_DEFINED / UNKNOWN token texts, longest first,
  // are cut out of the raw fragments (CONTROL and UNKNOWN only with parse_special).
  std::vector<Fragment> partition_special(std::string_view text, bool parse_special) const;

  Vocab vocab_;
  std::vector<int32_t> eog_ids_;      // sorted
  std::vector<int32_t> special_ids_;  // CONTROL / USER_DEFINED / UNKNOWN tokens, longest text first
  std::vector<uint8_t> strip_;        // per token: bit 0 strip whitespace left, bit 1 right of it
};

// Checks the vocab (lengths, special ids) and builds the tokenizer: a vocab from a tokenizer.json
// (vocab.hf) follows Hugging Face's rules, a GGUF one llama.cpp's for vocab.model: "llama"
// (SentencePiece) or "gpt2" (byte-level BPE, pre-tokenizer by vocab.pre). Other models give
// "tokenizer model 'X' is not supported yet".
Result<std::unique_ptr<Tokenizer>> make_tokenizer(Vocab vocab);

// Turns a stream of generated ids into text that is safe to print as it comes: bytes of an
// unfinished UTF-8 sequence are held back until complete. With strip_leading_space (generation that
// starts right after BOS), the space SentencePiece prefixed to the first word is dropped, as
// SentencePiece's decoder (and llama2.c) do; only for vocabularies with that prefix
// (vocab.add_space_prefix: not byte-level BPE, whose spaces are all text).
class StreamDecoder {
 public:
  StreamDecoder(const Tokenizer& tok, bool strip_leading_space)
      : tok_(tok), at_start_(strip_leading_space && tok.vocab().add_space_prefix) {}
  // Text that became complete with this token (maybe empty).
  std::string push(int32_t id);
  // Whatever is held back (an incomplete UTF-8 tail), at the end of generation.
  std::string flush();

 private:
  const Tokenizer& tok_;
  std::string pending_;
  bool at_start_;
};

}  // namespace greenllm::tokenizer
