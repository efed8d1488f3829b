// SentencePiece-style BPE (vocab.model "llama": Llama 1/2, Mistral, Phi-3): merges chosen by token
// score, byte fallback through "<0xXX>" tokens. Token for token the same as llama.cpp's SPM tokenizer.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace greenllm::tokenizer {

class SpmTokenizer final : public Tokenizer {
 public:
  explicit SpmTokenizer(Vocab vocab);

  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const override;
  std::string token_to_piece(int32_t id, bool render_special = false) const override;

  // Id of the token whose text is exactly `text` (after "▁" escaping), or -1.
  int32_t text_to_id(std::string_view text) const;

 private:
  // A node of the doubly linked list of symbols: a span of the escaped text.
  struct Symbol {
    int32_t prev, next;
    uint32_t offset, n;  // n == 0 once merged into its left neighbour
  };
  // A candidate merge of two adjacent symbols.
  struct Bigram {
    int32_t left, right;
    float score;
    uint32_t size;  // bytes of the merged text; a stale entry no longer matches its symbols
  };
  // Appends the ids of one raw fragment (already prefixed and with spaces escaped).
  void encode_raw(std::string_view text, std::vector<int32_t>& out) const;
  // BPE over one piece of it; `symbols` and `heap` are scratch space.
  void merge_piece(std::string_view text, std::vector<Symbol>& symbols, std::vector<Bigram>& heap,
                   std::vector<int32_t>& out) const;
  // Whether some token holds these two characters side by side (else no merge joins them).
  bool may_merge(std::string_view left_char, std::string_view right_char) const;

  // Open-addressing tables, since lookups are most of the time spent encoding: token text -> id
  // (slot tag = high hash bits, id -1 = empty) and the set of adjacent character pairs (0 = empty).
  struct TextSlot {
    uint32_t tag;
    int32_t id;
  };
  void insert_text(int32_t id);
  void insert_pair(uint64_t key);
  std::vector<TextSlot> text_slots_;
  std::vector<uint64_t> pair_slots_;
  bool has_zero_pair_ = false;
  std::array<int32_t, 256> byte_to_id_{};  // byte fallback (or UNK, or -1)
};

}  // namespace greenllm::tokenizer
