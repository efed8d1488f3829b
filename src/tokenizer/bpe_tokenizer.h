// BPE by merge rank: GPT-2-style byte-level BPE from GGUF (vocab.model "gpt2": Llama 3, Qwen2, GPT-2,
// DeepSeek, Falcon, StarCoder; token for token as llama.cpp, pre-tokenizer chosen by vocab.pre),
// and any BPE from a Hugging Face tokenizer.json (vocab.hf: normalizer, added tokens, byte-level or
// not, byte fallback; token for token as Hugging Face's tokenizers).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer.h"

namespace greenllm::tokenizer {

class BpeTokenizer final : public Tokenizer {
 public:
  // Fails for a byte-level vocab whose pre-tokenizer (vocab.pre) is not one pretokenizer.h knows.
  static Result<std::unique_ptr<Tokenizer>> create(Vocab vocab);
  // `splits` pre-tokenize raw text; `byte_level` maps bytes to GPT-2 characters; with `ignore_merges`
  // a word that is a token stays whole. create() picks these from the vocab.
  BpeTokenizer(Vocab vocab, std::vector<SplitRegex> splits, bool byte_level, bool ignore_merges);

  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const override;
  std::string token_to_piece(int32_t id, bool render_special = false) const override;

  // Id of the token whose text is exactly `text` (as the vocab stores it), or -1.
  int32_t text_to_id(std::string_view text) const;

 private:
  struct Merge {
    int32_t rank;    // position in the merge list: lower merges first
    int32_t result;  // token of the merged text
  };
  // A node of the doubly linked list of symbols of one word.
  struct Symbol {
    int32_t id;  // -1: a character that is no token
    int32_t prev, next;
    uint32_t offset, length;  // bytes of the word (0 length once merged into its left neighbour)
  };
  // A candidate merge of two adjacent symbols; stale once either side changed.
  struct Candidate {
    int32_t rank, left, right, left_id, right_id;
  };
  struct Scratch {
    std::vector<uint32_t> cps;
    std::vector<uint32_t> word_ends;
    std::string word;
    std::string mapped;
    std::vector<Symbol> symbols;
    std::vector<Candidate> heap;
  };

  // Pre-tokenizes raw text (no special tokens in it) and appends the ids of its words.
  void encode_text(std::string_view text, std::vector<int32_t>& out, Scratch& s) const;
  // BPE over one word (UTF-8; each byte is a symbol of its own when byte-level).
  void encode_word(std::string_view word, std::vector<int32_t>& out, Scratch& s) const;
  // Ids for a symbol that is no token: llama.cpp looks up its bytes as one-byte tokens; Hugging Face
  // uses <0xXX> tokens (byte_fallback, only if all exist) or else the unknown token.
  void fallback(std::string_view text, std::vector<int32_t>& out) const;

  // Hugging Face's order: added tokens (unnormalized ones on the raw text, normalized ones on the
  // normalized text), normalizer, pre-tokenizer, model, fuse_unk.
  std::vector<int32_t> encode_hf(std::string_view text, bool add_special, bool parse_special) const;
  // Cuts the added tokens' texts out of `text` (leftmost, longest), then applies their lstrip / rstrip
  // to the neighbouring sections. Special tokens only with parse_special.
  std::vector<std::string> split_added(std::string_view text, bool normalized, bool parse_special) const;
  std::string normalize(std::string_view text) const;
  // The added token whose content (or normalized content) is exactly `text`, or -1.
  int32_t added_token_for(std::string_view text, bool parse_special) const;

  std::unordered_map<std::string_view, int32_t> text_to_id_;
  std::unordered_map<uint64_t, Merge> merges_;  // key: left id << 32 | right id
  std::array<int32_t, 256> byte_ids_{};         // byte-level: token of each byte's GPT-2 character
  std::vector<SplitRegex> splits_;
  bool byte_level_, ignore_merges_;
  std::vector<std::string> pieces_;  // token_to_piece without render_special

  // Hugging Face added tokens, bucketed by first byte, longest first: (text, added_tokens index).
  struct AddedMatch {
    std::string text;
    size_t index;
  };
  std::array<std::vector<AddedMatch>, 256> added_raw_, added_normalized_;
  std::unordered_map<std::string, size_t> added_map_;  // content and normalized content -> index
};

}  // namespace greenllm::tokenizer
