// SentencePiece BPE as llama.cpp runs it (llm_tokenizer_spm): special tokens are split out first, each
// raw fragment gets the dummy-prefix space and "▁" for spaces, then adjacent symbols are merged, best
// score first, over a linked list with a heap of candidate pairs (O(n log n)).
#include "tokenizer/spm_tokenizer.h"

#include <algorithm>

#include "tokenizer/unicode.h"

namespace greenllm::tokenizer {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581 "▁", SentencePiece's space

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Key of two adjacent characters (each at most 4 bytes, its length given by its first byte).
uint64_t char_pair_key(std::string_view a, std::string_view b) {
  auto pack = [](std::string_view c) {
    uint32_t v = 0;
    for (size_t i = 0; i < c.size() && i < 4; ++i) v |= uint32_t(uint8_t(c[i])) << (8 * (3 - i));
    return v;
  };
  return uint64_t(pack(a)) << 32 | pack(b);
}

uint64_t hash_u64(uint64_t x) {
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 29;
  return x;
}

// FNV-1a with a final mix: token texts are short.
uint64_t hash_text(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : s) h = (h ^ uint8_t(c)) * 0x100000001b3ull;
  return hash_u64(h);
}

size_t table_size(size_t n_items) {
  size_t size = 16;
  while (size < 2 * n_items) size *= 2;
  return size;
}

}  // namespace

SpmTokenizer::SpmTokenizer(Vocab vocab) : Tokenizer(std::move(vocab)) {
  const int32_t n = vocab_.n_tokens();
  text_slots_.assign(table_size(size_t(n)), TextSlot{0, -1});
  for (int32_t id = 0; id < n; ++id) insert_text(id);  // a repeated text maps to its last id, as in llama.cpp
  size_t n_chars = 0;
  for (const std::string& t : vocab_.tokens) n_chars += t.size();
  pair_slots_.assign(table_size(n_chars), 0);
  for (int32_t id = 0; id < n; ++id) {
    const std::string_view t = vocab_.tokens[size_t(id)];
    std::string_view prev;
    for (size_t off = 0; off < t.size();) {
      const size_t len = std::min(utf8_len(uint8_t(t[off])), t.size() - off);
      const std::string_view cur = t.substr(off, len);
      if (off > 0) insert_pair(char_pair_key(prev, cur));
      prev = cur;
      off += len;
    }
  }

  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    const char name[6] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
    int32_t id = text_to_id(std::string_view(name, 6));
    if (id < 0) {
      const char raw = char(b);
      id = text_to_id(std::string_view(&raw, 1));
    }
    byte_to_id_[size_t(b)] = id >= 0 ? id : vocab_.unk_id;
  }
}

void SpmTokenizer::insert_text(int32_t id) {
  const std::string& text = vocab_.tokens[size_t(id)];
  const uint64_t h = hash_text(text);
  const size_t mask = text_slots_.size() - 1;
  for (size_t i = size_t(h) & mask;; i = (i + 1) & mask) {
    TextSlot& slot = text_slots_[i];
    if (slot.id < 0 || (slot.tag == uint32_t(h >> 32) && vocab_.tokens[size_t(slot.id)] == text)) {
      slot = {uint32_t(h >> 32), id};
      return;
    }
  }
}

void SpmTokenizer::insert_pair(uint64_t key) {
  if (key == 0) {
    has_zero_pair_ = true;
    return;
  }
  const size_t mask = pair_slots_.size() - 1;
  for (size_t i = size_t(hash_u64(key)) & mask;; i = (i + 1) & mask) {
    if (pair_slots_[i] == key) return;
    if (pair_slots_[i] == 0) {
      pair_slots_[i] = key;
      return;
    }
  }
}

int32_t SpmTokenizer::text_to_id(std::string_view text) const {
  const uint64_t h = hash_text(text);
  const uint32_t tag = uint32_t(h >> 32);
  const size_t mask = text_slots_.size() - 1;
  for (size_t i = size_t(h) & mask;; i = (i + 1) & mask) {
    const TextSlot& slot = text_slots_[i];
    if (slot.id < 0) return -1;
    if (slot.tag == tag && vocab_.tokens[size_t(slot.id)] == text) return slot.id;
  }
}

bool SpmTokenizer::may_merge(std::string_view left_char, std::string_view right_char) const {
  const uint64_t key = char_pair_key(left_char, right_char);
  if (key == 0) return has_zero_pair_;
  const size_t mask = pair_slots_.size() - 1;
  for (size_t i = size_t(hash_u64(key)) & mask;; i = (i + 1) & mask) {
    if (pair_slots_[i] == key) return true;
    if (pair_slots_[i] == 0) return false;
  }
}

void SpmTokenizer::encode_raw(std::string_view text, std::vector<int32_t>& out) const {
  // Cut the text where no token could span the cut: merges then never cross it, and BPE on the
  // pieces gives exactly what BPE on the whole would (each piece's merges happen in the same order),
  // with a small queue per piece instead of one over the whole text.
  std::vector<Symbol> symbols;
  std::vector<Bigram> heap;
  size_t start = 0;
  std::string_view prev;
  for (size_t off = 0; off < text.size();) {
    const size_t n = std::min(utf8_len(uint8_t(text[off])), text.size() - off);
    const std::string_view cur = text.substr(off, n);
    if (off > start && !may_merge(prev, cur)) {
      merge_piece(text.substr(start, off - start), symbols, heap, out);
      start = off;
    }
    prev = cur;
    off += n;
  }
  merge_piece(text.substr(start), symbols, heap, out);
}

void SpmTokenizer::merge_piece(std::string_view text, std::vector<Symbol>& symbols, std::vector<Bigram>& heap,
                               std::vector<int32_t>& out) const {
  if (text.empty()) return;
  symbols.clear();
  heap.clear();
  for (size_t off = 0; off < text.size();) {
    const size_t n = std::min(utf8_len(uint8_t(text[off])), text.size() - off);
    const int32_t index = int32_t(symbols.size());
    off += n;
    symbols.push_back({index - 1, off == text.size() ? -1 : index + 1, uint32_t(off - n), uint32_t(n)});
  }

  // The heap's top is the highest score, and among equal scores the leftmost pair.
  const auto order = [](const Bigram& a, const Bigram& b) {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  };
  auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[size_t(left)];
    const uint32_t size = l.n + symbols[size_t(right)].n;
    const int32_t id = text_to_id(text.substr(l.offset, size));
    if (id < 0) return;
    heap.push_back({left, right, vocab_.scores[size_t(id)], size});
    std::push_heap(heap.begin(), heap.end(), order);
  };
  for (int32_t i = 1; i < int32_t(symbols.size()); ++i) try_add(i - 1, i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), order);
    const Bigram b = heap.back();
    heap.pop_back();
    Symbol& l = symbols[size_t(b.left)];
    Symbol& r = symbols[size_t(b.right)];
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;  // stale: one side changed
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[size_t(r.next)].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }

  // Every merged symbol is a token; a single character that is not falls back to its bytes.
  for (int32_t i = 0; i != -1; i = symbols[size_t(i)].next) {
    const Symbol& sym = symbols[size_t(i)];
    const std::string_view piece = text.substr(sym.offset, sym.n);
    const int32_t id = text_to_id(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (const char c : piece) {
      const int32_t byte_id = byte_to_id_[uint8_t(c)];
      if (byte_id >= 0) out.push_back(byte_id);
    }
  }
}

std::vector<int32_t> SpmTokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 2 + 2);
  if (add_special && vocab_.add_bos && vocab_.bos_id >= 0) out.push_back(vocab_.bos_id);

  // The dummy-prefix space goes before the first raw fragment and before each one that follows a
  // special token (llama.cpp's rule; Hugging Face's Llama tokenizer agrees for plain text).
  bool prev_special = true;
  std::string escaped;
  for (const Fragment& f : partition_special(text, parse_special)) {
    if (f.token >= 0) {
      out.push_back(f.token);
      prev_special = true;
      continue;
    }
    escaped.clear();
    if (vocab_.add_space_prefix && prev_special) escaped += kSpaceMark;
    for (const char c : text.substr(f.offset, f.length)) {
      if (c == ' ')
        escaped += kSpaceMark;
      else
        escaped += c;
    }
    encode_raw(escaped, out);
    prev_special = false;
  }

  if (add_special && vocab_.add_eos && vocab_.eos_id >= 0) out.push_back(vocab_.eos_id);
  return out;
}

std::string SpmTokenizer::token_to_piece(int32_t id, bool render_special) const {
  if (id < 0 || id >= vocab_.n_tokens()) return {};
  const std::string& text = vocab_.tokens[size_t(id)];
  switch (vocab_.types[size_t(id)]) {
    case TokenType::CONTROL:
    case TokenType::UNKNOWN:
      return render_special ? text : std::string();
    case TokenType::USER_DEFINED:
      return text;
    case TokenType::NORMAL: {
      std::string piece;
      piece.reserve(text.size());
      for (size_t i = 0; i < text.size();) {
        if (text.compare(i, kSpaceMark.size(), kSpaceMark) == 0) {
          piece += ' ';
          i += kSpaceMark.size();
        } else {
          piece += text[i++];
        }
      }
      return piece;
    }
    case TokenType::BYTE: {
      if (text.size() != 6 || text.compare(0, 3, "<0x") != 0) return text;
      const int hi = hex_value(text[3]), lo = hex_value(text[4]);
      if (hi < 0 || lo < 0) return text;
      return std::string(1, char(hi * 16 + lo));
    }
    case TokenType::UNUSED:
    case TokenType::UNDEFINED:
      break;
  }
  return {};
}

}  // namespace greenllm::tokenizer
