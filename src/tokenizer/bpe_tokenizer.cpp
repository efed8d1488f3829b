// BPE as llama.cpp (llm_tokenizer_bpe_session) and Hugging Face run it: each word starts as one
// symbol per character (per byte when byte-level), and the adjacent pair with the lowest merge rank
// (leftmost among equals) is merged until no pair has a merge; a heap of candidate pairs over a
// linked list of symbols keeps that O(n log n) per word.
#include "tokenizer/bpe_tokenizer.h"

#include <algorithm>

#include "tokenizer/unicode.h"

namespace greenllm::tokenizer {
namespace {

uint64_t merge_key(int32_t left, int32_t right) { return uint64_t(uint32_t(left)) << 32 | uint32_t(right); }

// The byte of a "<0xXX>" token, or -1.
int byte_token_value(std::string_view text) {
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  const int hi = hex(text[3]), lo = hex(text[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// ECMAScript's whitespace (String.prototype.trim): what Hugging Face's JavaScript tokenizer strips
// around added tokens with lstrip / rstrip.
bool is_js_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0xFEFF || char_class(cp) == CharClass::SEPARATOR;
}

// Start of the last UTF-8 character of s (s non-empty).
size_t last_char_start(std::string_view s) {
  size_t i = s.size() - 1;
  while (i > 0 && s.size() - i < 4 && (uint8_t(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

uint32_t decode_one(std::string_view s) {
  std::vector<uint32_t> cps;
  utf8_decode(s, cps);
  return cps.size() == 1 ? cps[0] : kReplacementChar;
}

void trim_end(std::string& s) {
  while (!s.empty()) {
    const size_t start = last_char_start(s);
    if (!is_js_space(decode_one(std::string_view(s).substr(start)))) break;
    s.erase(start);
  }
}

void trim_start(std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = std::min(utf8_len(uint8_t(s[i])), s.size() - i);
    if (!is_js_space(decode_one(std::string_view(s).substr(i, n)))) break;
    i += n;
  }
  s.erase(0, i);
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out.append(to);
  }
  out.append(s, pos, std::string::npos);
  s.swap(out);
}

// llama.cpp skips merges inside a word that is a token for these pre-tokenizers (Llama 3's
// tokenizer.json sets ignore_merges).
bool pre_ignores_merges(const std::string& pre) {
  for (const char* p :
       {"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"}) {
    if (pre == p) return true;
  }
  return false;
}

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581 "▁"

}  // namespace

Result<std::unique_ptr<Tokenizer>> BpeTokenizer::create(Vocab vocab) {
  if (vocab.hf) {
    std::vector<SplitRegex> splits = vocab.hf->pre_tokenizer;
    const bool byte_level = vocab.hf->byte_level, ignore = vocab.hf->ignore_merges;
    return std::unique_ptr<Tokenizer>(
        std::make_unique<BpeTokenizer>(std::move(vocab), std::move(splits), byte_level, ignore));
  }
  // As llama.cpp: a vocab without tokenizer.ggml.pre uses the "default" pre-tokenizer.
  const std::string pre = vocab.pre.empty() ? "default" : vocab.pre;
  std::optional<std::vector<SplitRegex>> splits = split_regexes_for_pre(pre);
  if (!splits) return Status::error("unknown pre-tokenizer type '" + pre + "' (tokenizer.ggml.pre)");
  const bool ignore = pre_ignores_merges(pre);
  return std::unique_ptr<Tokenizer>(std::make_unique<BpeTokenizer>(std::move(vocab), std::move(*splits), true, ignore));
}

BpeTokenizer::BpeTokenizer(Vocab vocab, std::vector<SplitRegex> splits, bool byte_level, bool ignore_merges)
    : Tokenizer(std::move(vocab)), splits_(std::move(splits)), byte_level_(byte_level), ignore_merges_(ignore_merges) {
  const int32_t n = vocab_.n_tokens();
  text_to_id_.reserve(size_t(n));
  for (int32_t id = 0; id < n; ++id) text_to_id_.insert_or_assign(std::string_view(vocab_.tokens[size_t(id)]), id);

  // A merge is "a b", split at the first space after the first character (as llama.cpp reads them).
  // Merges whose parts or result are no tokens can never apply (Hugging Face refuses such files).
  merges_.reserve(vocab_.merges.size());
  std::string joined;
  for (size_t rank = 0; rank < vocab_.merges.size(); ++rank) {
    const std::string& m = vocab_.merges[rank];
    const size_t space = m.find(' ', 1);
    if (space == std::string::npos) continue;
    const std::string_view a = std::string_view(m).substr(0, space), b = std::string_view(m).substr(space + 1);
    joined.assign(a);
    joined.append(b);
    const int32_t ia = text_to_id(a), ib = text_to_id(b), ij = text_to_id(joined);
    if (ia < 0 || ib < 0 || ij < 0) continue;
    merges_.emplace(merge_key(ia, ib), Merge{int32_t(rank), ij});  // the first of duplicates wins
  }

  for (int b = 0; b < 256; ++b) byte_ids_[size_t(b)] = text_to_id(byte_to_gpt2_char(uint8_t(b)));

  const bool metaspace = vocab_.hf && vocab_.hf->decode_metaspace;
  pieces_.resize(size_t(n));
  for (int32_t id = 0; id < n; ++id) {
    const std::string& text = vocab_.tokens[size_t(id)];
    std::string& piece = pieces_[size_t(id)];
    switch (vocab_.types[size_t(id)]) {
      case TokenType::USER_DEFINED:
        piece = text;
        break;
      case TokenType::BYTE:
        if (const int v = byte_token_value(text); v >= 0) piece.assign(1, char(v));
        break;
      case TokenType::NORMAL:
        if (byte_level_) {
          std::vector<uint32_t> cps;
          utf8_decode(text, cps);
          for (const uint32_t cp : cps) {
            const int v = gpt2_char_to_byte(cp);
            if (v >= 0)
              piece += char(v);
            else
              utf8_append(cp, piece);
          }
        } else {
          piece = text;
          if (metaspace) replace_all(piece, kSpaceMark, " ");
        }
        break;
      case TokenType::CONTROL:
      case TokenType::UNKNOWN:
      case TokenType::UNUSED:
      case TokenType::UNDEFINED:
        break;
    }
  }

  if (vocab_.hf) {
    // Contents as matched: normalized tokens by their normalized text (as Hugging Face's JavaScript
    // tokenizer does), the others verbatim. Later tokens win where two share a text.
    const auto& added = vocab_.hf->added_tokens;
    for (size_t i = 0; i < added.size(); ++i) {
      const auto& t = added[i];
      if (t.content.empty()) continue;
      added_map_.insert_or_assign(t.content, i);
      if (t.normalized && !vocab_.hf->normalizer.empty()) {
        std::string norm = normalize(t.content);
        if (norm.empty()) continue;
        added_map_.insert_or_assign(norm, i);
        added_normalized_[uint8_t(norm[0])].push_back({std::move(norm), i});
      } else {
        added_raw_[uint8_t(t.content[0])].push_back({t.content, i});
      }
    }
    for (auto* buckets : {&added_raw_, &added_normalized_}) {
      for (auto& bucket : *buckets) {
        std::stable_sort(bucket.begin(), bucket.end(),
                         [](const AddedMatch& a, const AddedMatch& b) { return a.text.size() > b.text.size(); });
      }
    }
  }
}

int32_t BpeTokenizer::text_to_id(std::string_view text) const {
  const auto it = text_to_id_.find(text);
  return it == text_to_id_.end() ? -1 : it->second;
}

std::string BpeTokenizer::token_to_piece(int32_t id, bool render_special) const {
  if (id < 0 || id >= vocab_.n_tokens()) return {};
  const TokenType t = vocab_.types[size_t(id)];
  if (render_special && (t == TokenType::CONTROL || t == TokenType::UNKNOWN)) return vocab_.tokens[size_t(id)];
  return pieces_[size_t(id)];
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  if (vocab_.hf) return encode_hf(text, add_special, parse_special);
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  if (add_special && vocab_.add_bos && vocab_.bos_id >= 0) out.push_back(vocab_.bos_id);
  Scratch s;
  for (const Fragment& f : partition_special(text, parse_special)) {
    if (f.token >= 0)
      out.push_back(f.token);
    else
      encode_text(text.substr(f.offset, f.length), out, s);
  }
  if (add_special && vocab_.add_eos && vocab_.eos_id >= 0) out.push_back(vocab_.eos_id);
  return out;
}

void BpeTokenizer::encode_text(std::string_view text, std::vector<int32_t>& out, Scratch& s) const {
  s.cps.clear();
  utf8_decode(text, s.cps);
  s.word_ends.clear();
  pre_tokenize(s.cps, splits_, s.word_ends);
  uint32_t begin = 0;
  for (const uint32_t end : s.word_ends) {
    // Words are re-encoded from code points, so invalid UTF-8 reaches BPE as U+FFFD (as in llama.cpp).
    s.word.clear();
    for (uint32_t i = begin; i < end; ++i) utf8_append(s.cps[i], s.word);
    encode_word(s.word, out, s);
    begin = end;
  }
}

void BpeTokenizer::encode_word(std::string_view word, std::vector<int32_t>& out, Scratch& s) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    int32_t id;
    if (byte_level_) {
      s.mapped.clear();
      for (const char c : word) s.mapped += byte_to_gpt2_char(uint8_t(c));
      id = text_to_id(s.mapped);
    } else {
      id = text_to_id(word);
    }
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }

  std::vector<Symbol>& sym = s.symbols;
  sym.clear();
  for (size_t off = 0; off < word.size();) {
    const size_t len = byte_level_ ? 1 : std::min(utf8_len(uint8_t(word[off])), word.size() - off);
    const int32_t id = byte_level_ ? byte_ids_[uint8_t(word[off])] : text_to_id(word.substr(off, len));
    const int32_t index = int32_t(sym.size());
    sym.push_back({id, index - 1, index + 1, uint32_t(off), uint32_t(len)});
    off += len;
  }
  sym.back().next = -1;

  // Lowest rank first; among equal ranks the leftmost pair.
  const auto later = [](const Candidate& a, const Candidate& b) {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  };
  std::vector<Candidate>& heap = s.heap;
  heap.clear();
  auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const int32_t a = sym[size_t(left)].id, b = sym[size_t(right)].id;
    if (a < 0 || b < 0) return;
    const auto it = merges_.find(merge_key(a, b));
    if (it == merges_.end()) return;
    heap.push_back({it->second.rank, left, right, a, b});
    std::push_heap(heap.begin(), heap.end(), later);
  };
  for (int32_t i = 1; i < int32_t(sym.size()); ++i) try_add(i - 1, i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const Candidate c = heap.back();
    heap.pop_back();
    Symbol& l = sym[size_t(c.left)];
    Symbol& r = sym[size_t(c.right)];
    if (l.length == 0 || r.length == 0 || l.next != c.right || l.id != c.left_id || r.id != c.right_id) continue;
    l.id = merges_.at(merge_key(c.left_id, c.right_id)).result;
    l.length += r.length;
    r.length = 0;
    l.next = r.next;
    if (r.next >= 0) sym[size_t(r.next)].prev = c.left;
    try_add(l.prev, c.left);
    try_add(c.left, l.next);
  }

  for (int32_t i = 0; i != -1; i = sym[size_t(i)].next) {
    const Symbol& x = sym[size_t(i)];
    if (x.id >= 0) {
      out.push_back(x.id);
    } else if (byte_level_) {
      fallback(byte_to_gpt2_char(uint8_t(word[x.offset])), out);
    } else {
      fallback(word.substr(x.offset, x.length), out);
    }
  }
}

void BpeTokenizer::fallback(std::string_view text, std::vector<int32_t>& out) const {
  if (!vocab_.hf) {
    for (const char c : text) {
      if (const int32_t id = text_to_id(std::string_view(&c, 1)); id >= 0) out.push_back(id);
    }
    return;
  }
  if (vocab_.hf->byte_fallback) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const size_t first = out.size();
    bool all = true;
    for (const char c : text) {
      const uint8_t b = uint8_t(c);
      const char name[6] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
      const int32_t id = text_to_id(std::string_view(name, 6));
      if (id < 0) {
        all = false;
        break;
      }
      out.push_back(id);
    }
    if (all) return;
    out.resize(first);
  }
  if (vocab_.unk_id >= 0) out.push_back(vocab_.unk_id);
}

std::string BpeTokenizer::normalize(std::string_view text) const {
  std::string t(text);
  for (const auto& step : vocab_.hf->normalizer) {
    switch (step.kind) {
      case HfTokenizerSpec::Normalize::PREPEND:
        t.insert(0, step.content);
        break;
      case HfTokenizerSpec::Normalize::REPLACE:
        replace_all(t, step.pattern, step.content);
        break;
      case HfTokenizerSpec::Normalize::NFC:
        t = nfc(t);
        break;
    }
  }
  return t;
}

int32_t BpeTokenizer::added_token_for(std::string_view text, bool parse_special) const {
  const auto it = added_map_.find(std::string(text));
  if (it == added_map_.end()) return -1;
  const auto& t = vocab_.hf->added_tokens[it->second];
  return !parse_special && t.special ? -1 : t.id;
}

std::vector<std::string> BpeTokenizer::split_added(std::string_view text, bool normalized, bool parse_special) const {
  const auto& buckets = normalized ? added_normalized_ : added_raw_;
  const auto& added = vocab_.hf->added_tokens;
  std::vector<std::string> sections;
  size_t gap = 0;
  for (size_t i = 0; i < text.size();) {
    const AddedMatch* match = nullptr;
    for (const AddedMatch& m : buckets[uint8_t(text[i])]) {
      if (!parse_special && added[m.index].special) continue;
      if (text.substr(i, m.text.size()) == m.text) {
        match = &m;
        break;
      }
    }
    if (match == nullptr) {
      ++i;
      continue;
    }
    if (i > gap) sections.emplace_back(text.substr(gap, i - gap));
    sections.push_back(match->text);
    i += match->text.size();
    gap = i;
  }
  if (gap < text.size()) sections.emplace_back(text.substr(gap));

  // lstrip / rstrip trim the neighbouring sections (in order, each seeing the earlier trims).
  for (size_t i = 0; i < sections.size(); ++i) {
    const auto it = added_map_.find(sections[i]);
    if (it == added_map_.end()) continue;
    const auto& t = added[it->second];
    if (!parse_special && t.special) continue;
    if (t.lstrip && i > 0) trim_end(sections[i - 1]);
    if (t.rstrip && i + 1 < sections.size()) trim_start(sections[i + 1]);
  }
  return sections;
}

std::vector<int32_t> BpeTokenizer::encode_hf(std::string_view text, bool add_special, bool parse_special) const {
  const HfTokenizerSpec& hf = *vocab_.hf;
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  if (add_special && vocab_.add_bos && vocab_.bos_id >= 0) out.push_back(vocab_.bos_id);
  Scratch s;
  std::string prefixed;
  for (const std::string& section : split_added(text, false, parse_special)) {
    if (section.empty()) continue;
    if (const int32_t id = added_token_for(section, parse_special); id >= 0) {
      out.push_back(id);
      continue;
    }
    const std::string normalized = normalize(section);
    if (normalized.empty()) continue;
    for (const std::string& sub : split_added(normalized, true, parse_special)) {
      if (sub.empty()) continue;
      if (const int32_t id = added_token_for(sub, parse_special); id >= 0) {
        out.push_back(id);
        continue;
      }
      std::string_view words = sub;
      if (hf.byte_level && hf.add_prefix_space && sub[0] != ' ') {
        prefixed = " " + sub;
        words = prefixed;
      }
      const size_t first = out.size();
      encode_text(words, out, s);
      if (hf.fuse_unk && vocab_.unk_id >= 0) {
        const auto unk = vocab_.unk_id;
        auto kept = std::unique(out.begin() + ptrdiff_t(first), out.end(),
                                [unk](int32_t a, int32_t b) { return a == unk && b == unk; });
        out.erase(kept, out.end());
      }
    }
  }
  if (add_special && vocab_.add_eos && vocab_.eos_id >= 0) out.push_back(vocab_.eos_id);
  return out;
}

}  // namespace greenllm::tokenizer
