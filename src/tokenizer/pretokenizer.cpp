// The split regexes as hand-written matchers. Each `match_*` returns the length of the match that the
// regex finds when it starts at `pos` (0: none), following the regex engine's rules: alternatives are
// tried left to right, quantifiers are greedy and give back characters when what follows fails.
#include "tokenizer/pretokenizer.h"

#include <algorithm>
#include <array>
#include <string>

#include "tokenizer/unicode.h"

namespace greenllm::tokenizer {
namespace {

// Per code point: its class (bits 0-2) and flags, computed once per text.
enum : uint8_t { WS = 0x10, CR_LF = 0x20 };

struct Text {
  const uint32_t* cp;
  const uint8_t* props;

  CharClass cls(size_t i) const { return CharClass(props[i] & 0x07); }
  bool letter(size_t i) const { return cls(i) == CharClass::LETTER; }
  bool number(size_t i) const { return cls(i) == CharClass::NUMBER; }
  bool punct(size_t i) const { return cls(i) == CharClass::PUNCTUATION; }
  bool space(size_t i) const { return (props[i] & WS) != 0; }
  bool cr_lf(size_t i) const { return (props[i] & CR_LF) != 0; }
  // [^\s\p{L}\p{N}]
  bool other(size_t i) const { return !space(i) && !letter(i) && !number(i); }
};

template <typename Pred>
size_t run(size_t pos, size_t end, Pred pred) {
  size_t i = pos;
  while (i < end && pred(i)) ++i;
  return i - pos;
}

// 's|'t|'re|'ve|'m|'ll|'d, case-insensitively for ASCII letters when `fold` (the (?i:...) form).
size_t match_contraction(const Text& t, size_t pos, size_t end, bool fold) {
  if (t.cp[pos] != '\'' || pos + 1 >= end) return 0;
  auto lower = [&](size_t i) -> uint32_t {
    const uint32_t c = t.cp[i];
    return fold && c >= 'A' && c <= 'Z' ? c + 32 : c;
  };
  const uint32_t a = lower(pos + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (pos + 2 >= end) return 0;
  const uint32_t b = lower(pos + 2);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

// " ?X+" for a class X (the space is literally U+0020).
template <typename Pred>
size_t match_space_run(const Text& t, size_t pos, size_t end, Pred pred) {
  if (t.cp[pos] == ' ' && pos + 1 < end && pred(pos + 1)) return 1 + run(pos + 1, end, pred);
  return run(pos, end, pred);
}

// "\s?X+".
template <typename Pred>
size_t match_opt_ws_run(const Text& t, size_t pos, size_t end, Pred pred) {
  if (t.space(pos) && pos + 1 < end && pred(pos + 1)) return 1 + run(pos + 1, end, pred);
  return run(pos, end, pred);
}

// \s+(?!\S): a whitespace run, less its last character when a non-space follows it.
size_t match_space_not_before_text(const Text& t, size_t pos, size_t end) {
  const size_t n = run(pos, end, [&](size_t i) { return t.space(i); });
  if (n == 0) return 0;
  if (pos + n == end) return n;
  return n >= 2 ? n - 1 : 0;
}

size_t match_gpt2(const Text& t, size_t pos, size_t end) {
  if (size_t n = match_contraction(t, pos, end, false)) return n;
  if (size_t n = match_space_run(t, pos, end, [&](size_t i) { return t.letter(i); })) return n;
  if (size_t n = match_space_run(t, pos, end, [&](size_t i) { return t.number(i); })) return n;
  if (size_t n = match_space_run(t, pos, end, [&](size_t i) { return t.other(i); })) return n;
  return match_space_not_before_text(t, pos, end);
}

size_t match_llama3(const Text& t, size_t pos, size_t end, size_t max_digits) {
  if (size_t n = match_contraction(t, pos, end, true)) return n;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  auto letter = [&](size_t i) { return t.letter(i); };
  if (!t.cr_lf(pos) && !t.letter(pos) && !t.number(pos) && pos + 1 < end && t.letter(pos + 1)) {
    return 1 + run(pos + 1, end, letter);
  }
  if (size_t n = run(pos, end, letter)) return n;
  // \p{N}{1,3} (or \p{N})
  if (t.number(pos)) return std::min(max_digits, run(pos, end, [&](size_t i) { return t.number(i); }));
  // " ?[^\s\p{L}\p{N}]+[\r\n]*"
  if (size_t n = match_space_run(t, pos, end, [&](size_t i) { return t.other(i); })) {
    return n + run(pos + n, end, [&](size_t i) { return t.cr_lf(i); });
  }
  // \s*[\r\n]+: to just after the last CR or LF of the whitespace run
  const size_t ws = run(pos, end, [&](size_t i) { return t.space(i); });
  for (size_t k = ws; k > 0; --k) {
    if (t.cr_lf(pos + k - 1)) return k;
  }
  // \s+(?!\S) | \s+
  if (size_t n = match_space_not_before_text(t, pos, end)) return n;
  return ws;
}

constexpr std::array<std::pair<uint32_t, uint32_t>, 3> kCjkRanges = {{
    {0x4E00, 0x9FA5},
    {0x0800, 0x4E00},
    {0xAC00, 0xD7FF},
}};

// The letter class of DeepSeek LLM's tokenizer.json (Unicode's cased letters).
// clang-format off
constexpr std::array<std::pair<uint32_t, uint32_t>, 87> kDeepseekLetters = {{
    {0x41, 0x5A}, {0x61, 0x7A}, {0xB5, 0xB5}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x1BA}, {0x1BC, 0x1BF},
    {0x1C4, 0x293}, {0x295, 0x2AF}, {0x370, 0x373}, {0x376, 0x376}, {0x377, 0x377}, {0x37B, 0x37D},
    {0x37F, 0x37F}, {0x386, 0x386}, {0x388, 0x38A}, {0x38C, 0x38C}, {0x38E, 0x3A1}, {0x3A3, 0x3F5},
    {0x3F7, 0x481}, {0x48A, 0x52F}, {0x531, 0x556}, {0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD},
    {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF}, {0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A},
    {0x1E00, 0x1F15}, {0x1F18, 0x1F1D}, {0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57},
    {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4},
    {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE}, {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3},
    {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2102, 0x2102},
    {0x2107, 0x2107}, {0x210A, 0x2113}, {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124},
    {0x2126, 0x2126}, {0x2128, 0x2128}, {0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139},
    {0x213C, 0x213F}, {0x2145, 0x2149}, {0x214E, 0x214E}, {0x2183, 0x2183}, {0x2184, 0x2184},
    {0x2C00, 0x2C7B}, {0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE}, {0x2CF2, 0x2CF2}, {0x2CF3, 0x2CF3},
    {0xA640, 0xA66D}, {0xA680, 0xA69B}, {0xA722, 0xA76F}, {0xA771, 0xA787}, {0xA78B, 0xA78E},
    {0xAB70, 0xABBF}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A},
    {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB}, {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2},
    {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
}};
// clang-format on

constexpr std::array<std::pair<uint32_t, uint32_t>, 6> kDeepseekPunctuation = {{
    {0x21, 0x2F},
    {0x3A, 0x7E},
    {0xFF01, 0xFF0F},
    {0xFF1A, 0xFF5E},
    {0x2018, 0x201F},
    {0x3000, 0x3002},
}};

template <size_t N>
bool in_ranges(const std::array<std::pair<uint32_t, uint32_t>, N>& ranges, uint32_t c) {
  for (const auto& [lo, hi] : ranges) {
    if (c >= lo && c <= hi) return true;
  }
  return false;
}

bool is_symbol_of(std::string_view set, uint32_t c) { return c < 0x80 && set.find(char(c)) != std::string_view::npos; }

size_t match_at(SplitRegex r, const Text& t, size_t pos, size_t end) {
  switch (r) {
    case SplitRegex::GPT2:
      return match_gpt2(t, pos, end);
    case SplitRegex::LLAMA3:
      return match_llama3(t, pos, end, 3);
    case SplitRegex::QWEN2:
      return match_llama3(t, pos, end, 1);
    case SplitRegex::NUMBER:
      return t.number(pos) ? 1 : 0;
    case SplitRegex::NUMBERS:
      return run(pos, end, [&](size_t i) { return t.number(i); });
    case SplitRegex::THREE_DIGITS:
      return run(pos, std::min(end, pos + 3), [&](size_t i) { return t.cp[i] >= '0' && t.cp[i] <= '9'; }) == 3 ? 3 : 0;
    case SplitRegex::NEWLINE:
      return t.cr_lf(pos) ? 1 : 0;
    case SplitRegex::SPACE_LETTERS:
      return match_opt_ws_run(t, pos, end, [&](size_t i) { return t.letter(i); });
    case SplitRegex::SPACE_PUNCTUATION:
      return match_opt_ws_run(t, pos, end, [&](size_t i) { return t.punct(i); });
    case SplitRegex::CJK:
      return run(pos, end, [&](size_t i) { return in_ranges(kCjkRanges, t.cp[i]); });
    case SplitRegex::FALCON_PUNCTUATION:
      return run(pos, end, [&](size_t i) { return t.punct(i) || is_symbol_of("$+<=>^~|`", t.cp[i]); });
    case SplitRegex::DEFAULT_PUNCTUATION:
      return run(pos, end, [&](size_t i) { return t.punct(i) || is_symbol_of("$+<=>^~|", t.cp[i]); });
    case SplitRegex::DEEPSEEK_LETTERS:
      return match_opt_ws_run(t, pos, end, [&](size_t i) { return in_ranges(kDeepseekLetters, t.cp[i]); });
    case SplitRegex::DEEPSEEK_PUNCTUATION:
      return match_opt_ws_run(t, pos, end, [&](size_t i) { return in_ranges(kDeepseekPunctuation, t.cp[i]); });
    case SplitRegex::DEEPSEEK_PUNCTUATION_LLAMA_CPP:
      return match_opt_ws_run(t, pos, end, [&](size_t i) {
        return in_ranges(kDeepseekPunctuation, t.cp[i]) && !(t.cp[i] >= 0x80 && t.space(i));
      });
    case SplitRegex::TRAILING_SPACE:
      break;  // found by split_piece directly
  }
  return 0;
}

// Appends the pieces of [begin, end) to `ends`.
void split_piece(SplitRegex r, const Text& t, size_t begin, size_t end, std::vector<uint32_t>& ends) {
  if (r == SplitRegex::TRAILING_SPACE) {
    // \s+$ matches only the whitespace that ends the piece (a leftmost match starting earlier would
    // have to reach the end through whitespace too).
    size_t start = end;
    while (start > begin && t.space(start - 1)) --start;
    if (start > begin && start < end) ends.push_back(uint32_t(start));
    ends.push_back(uint32_t(end));
    return;
  }
  size_t gap_start = begin;
  for (size_t pos = begin; pos < end;) {
    const size_t n = match_at(r, t, pos, end);
    if (n == 0) {
      ++pos;
      continue;
    }
    if (pos > gap_start) ends.push_back(uint32_t(pos));
    pos += n;
    ends.push_back(uint32_t(pos));
    gap_start = pos;
  }
  if (end > gap_start) ends.push_back(uint32_t(end));
}

struct PreName {
  std::string_view name;
  std::vector<SplitRegex> steps;
};

}  // namespace

std::string_view split_regex_pattern(SplitRegex r) {
  switch (r) {
    case SplitRegex::GPT2:
      return R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
    case SplitRegex::LLAMA3:
      return R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
    case SplitRegex::QWEN2:
      return R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
    case SplitRegex::NUMBER:
      return R"(\p{N})";
    case SplitRegex::NUMBERS:
      return R"(\p{N}+)";
    case SplitRegex::THREE_DIGITS:
      return "[0-9][0-9][0-9]";
    case SplitRegex::NEWLINE:
      return R"([\r\n])";
    case SplitRegex::SPACE_LETTERS:
      return R"(\s?\p{L}+)";
    case SplitRegex::SPACE_PUNCTUATION:
      return R"(\s?\p{P}+)";
    case SplitRegex::CJK:
      return "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";
    case SplitRegex::FALCON_PUNCTUATION:
      return R"([\p{P}\$\+<=>\^~\|`]+)";
    case SplitRegex::DEFAULT_PUNCTUATION:
      return R"([\p{P}\$\+<=>\^~\|]+)";
    case SplitRegex::DEEPSEEK_LETTERS:
      return "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF"
             "\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5"
             "\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA"
             "\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45"
             "\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE"
             "\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC"
             "\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134"
             "\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE"
             "\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF"
             "\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\U00010400-\U0001044F\U000104B0-\U000104D3"
             "\U000104D8-\U000104FB\U00010C80-\U00010CB2\U00010CC0-\U00010CF2\U000118A0-\U000118DF"
             "\U0001E900-\U0001E943]+";
    case SplitRegex::DEEPSEEK_PUNCTUATION:
    case SplitRegex::DEEPSEEK_PUNCTUATION_LLAMA_CPP:
      return "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+";
    case SplitRegex::TRAILING_SPACE:
      return R"(\s+$)";
  }
  return {};
}

std::optional<SplitRegex> split_regex_from_pattern(std::string_view pattern) {
  for (int i = 0; i <= int(SplitRegex::TRAILING_SPACE); ++i) {
    if (split_regex_pattern(SplitRegex(i)) == pattern) return SplitRegex(i);
  }
  // The forms llama.cpp writes: GPT-2's without the final \s+ (it cannot change the pieces), and
  // (?i:...) spelled out as ASCII classes.
  if (pattern == R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))") return SplitRegex::GPT2;
  constexpr std::string_view kFolded = R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]))";
  constexpr std::string_view kInsensitive = R"((?i:'s|'t|'re|'ve|'m|'ll|'d))";
  if (pattern.starts_with(kFolded)) {
    std::string p(kInsensitive);
    p += pattern.substr(kFolded.size());
    if (p == split_regex_pattern(SplitRegex::LLAMA3)) return SplitRegex::LLAMA3;
    if (p == split_regex_pattern(SplitRegex::QWEN2)) return SplitRegex::QWEN2;
  }
  return std::nullopt;
}

std::optional<std::vector<SplitRegex>> split_regexes_for_pre(std::string_view pre) {
  using S = SplitRegex;
  // clang-format off
  static const PreName kNames[] = {
      {"llama3", {S::LLAMA3}}, {"llama-v3", {S::LLAMA3}}, {"llama-bpe", {S::LLAMA3}}, {"falcon3", {S::LLAMA3}},
      {"falcon-h1", {S::LLAMA3}}, {"pixtral", {S::LLAMA3}}, {"midm-2.0", {S::LLAMA3}}, {"lfm2", {S::LLAMA3}},
      {"dbrx", {S::LLAMA3}}, {"smaug-bpe", {S::LLAMA3}},
      {"qwen2", {S::QWEN2}}, {"deepseek-r1-qwen", {S::QWEN2}}, {"stablelm2", {S::QWEN2}}, {"megrez", {S::QWEN2}},
      {"gpt-2", {S::GPT2}}, {"phi-2", {S::GPT2}}, {"mpt", {S::GPT2}}, {"olmo", {S::GPT2}}, {"jais", {S::GPT2}},
      {"starcoder", {S::NUMBER, S::GPT2}}, {"refact", {S::NUMBER, S::GPT2}}, {"command-r", {S::NUMBER, S::GPT2}},
      {"smollm", {S::NUMBER, S::GPT2}}, {"codeshell", {S::NUMBER, S::GPT2}}, {"exaone", {S::NUMBER, S::GPT2}},
      {"minerva-7b", {S::NUMBER, S::GPT2}},
      {"falcon", {S::FALCON_PUNCTUATION, S::GPT2, S::THREE_DIGITS}},
      {"deepseek-coder", {S::NEWLINE, S::SPACE_LETTERS, S::SPACE_PUNCTUATION, S::CJK, S::NUMBER}},
      {"deepseek-llm", {S::NEWLINE, S::DEEPSEEK_LETTERS, S::DEEPSEEK_PUNCTUATION_LLAMA_CPP, S::TRAILING_SPACE,
                        S::CJK, S::NUMBERS}},
      {"default", {S::DEFAULT_PUNCTUATION, S::GPT2, S::NUMBERS, S::THREE_DIGITS}},
  };
  // clang-format on
  for (const PreName& p : kNames) {
    if (p.name == pre) return p.steps;
  }
  return std::nullopt;
}

void pre_tokenize(std::span<const uint32_t> cps, std::span<const SplitRegex> steps, std::vector<uint32_t>& word_ends) {
  if (cps.empty()) return;
  std::vector<uint8_t> props(cps.size());
  for (size_t i = 0; i < cps.size(); ++i) {
    const uint32_t c = cps[i];
    uint8_t p = uint8_t(char_class(c));
    if (is_whitespace(c)) p |= WS;
    if (c == '\r' || c == '\n') p |= CR_LF;
    props[i] = p;
  }
  const Text t{cps.data(), props.data()};
  std::vector<uint32_t> ends = {uint32_t(cps.size())};
  std::vector<uint32_t> next;
  for (const SplitRegex r : steps) {
    next.clear();
    uint32_t begin = 0;
    for (const uint32_t end : ends) {
      split_piece(r, t, begin, end, next);
      begin = end;
    }
    ends.swap(next);
  }
  word_ends.insert(word_ends.end(), ends.begin(), ends.end());
}

}  // namespace greenllm::tokenizer
