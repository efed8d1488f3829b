// Regex pre-tokenizers of byte-level BPE models: text is cut into words before BPE, so merges never
// cross a word boundary. Each regex is a hand-written matcher with the regex's exact semantics
// (leftmost alternative, greedy with backtracking, lookahead), over Unicode classes from unicode.h.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace greenllm::tokenizer {

// One regex split: the text is cut before and after every match, and both the matches and the text
// between them become pieces (Hugging Face's Split with behavior "Isolated"; llama.cpp's
// unicode_regex_split). A pre-tokenizer is a sequence of these, each applied to every piece of
// the one before.
// clang-format off
enum class SplitRegex : uint8_t {
  GPT2,                  // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
  LLAMA3,                // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  QWEN2,                 // LLAMA3 with \p{N} instead of \p{N}{1,3}
  NUMBER,                // \p{N}
  NUMBERS,               // \p{N}+
  THREE_DIGITS,          // [0-9][0-9][0-9]
  NEWLINE,               // [\r\n]
  SPACE_LETTERS,         // \s?\p{L}+
  SPACE_PUNCTUATION,     // \s?\p{P}+
  CJK,                   // [一-龥ࠀ-一가-퟿]+
  FALCON_PUNCTUATION,    // [\p{P}\$\+<=>\^~\|`]+
  DEFAULT_PUNCTUATION,   // [\p{P}\$\+<=>\^~\|]+
  DEEPSEEK_LETTERS,      // \s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓ...𞤀-𞥃]+ (cased letters)
  DEEPSEEK_PUNCTUATION,  // \s?[!-/:-~！-／：-～‘-‟　-。]+
  // DEEPSEEK_PUNCTUATION as llama.cpp runs it: it turns non-ASCII whitespace into U+000B before
  // matching, so U+3000 (ideographic space) is not in the class (\s? still matches it).
  DEEPSEEK_PUNCTUATION_LLAMA_CPP,
  TRAILING_SPACE,        // \s+$ (keep last)
};
// clang-format on

// The regex as Hugging Face tokenizer.json files write it (Oniguruma syntax).
std::string_view split_regex_pattern(SplitRegex r);
// The split whose regex is `pattern` (as tokenizer.json or llama.cpp write it), if it is one of these.
std::optional<SplitRegex> split_regex_from_pattern(std::string_view pattern);

// The steps llama.cpp uses for tokenizer.ggml.pre `pre` (llama-bpe, llama3, qwen2, gpt-2,
// deepseek-coder, deepseek-llm, falcon, starcoder, "default" and the names llama.cpp treats the
// same), or nullopt for other names.
std::optional<std::vector<SplitRegex>> split_regexes_for_pre(std::string_view pre);

// Cuts code points `cps` into words: appends to `word_ends` the end offset of each word, in order
// (the last one is cps.size(); nothing for empty input).
void pre_tokenize(std::span<const uint32_t> cps, std::span<const SplitRegex> steps, std::vector<uint32_t>& word_ends);

}  // namespace greenllm::tokenizer
