// Unicode for the tokenizers: UTF-8 as llama.cpp reads it, the character classes that regex
// pre-tokenizers use (\p{L}, \p{N}, \p{P}, \s, ...), NFC, and GPT-2's byte <-> character mapping.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace greenllm::tokenizer {

// Coarse Unicode general category (the first letter of it; Cc/Cf/Cs/Co/Cn are OTHER).
enum class CharClass : uint8_t {
  OTHER = 0,
  LETTER = 1,
  NUMBER = 2,
  PUNCTUATION = 3,
  SYMBOL = 4,
  MARK = 5,
  SEPARATOR = 6,
};

CharClass char_class(uint32_t cp);
// The White_Space property: what \s matches in Oniguruma, Rust and ECMAScript Unicode regexes.
bool is_whitespace(uint32_t cp);
uint8_t combining_class(uint32_t cp);

constexpr uint32_t kReplacementChar = 0xFFFD;

// Bytes in the UTF-8 sequence that starts with `lead`, counted from its high nibble as llama.cpp
// does (a continuation byte counts as a character of its own).
inline size_t utf8_len(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

// Appends the code points of `s`. As llama.cpp's unicode_cpts_from_utf8: a byte that does not start
// a complete sequence becomes U+FFFD and decoding resumes at the next byte; overlong forms and
// surrogates are decoded as written (values above U+10FFFF are invalid).
void utf8_decode(std::string_view s, std::vector<uint32_t>& out);
// Appends the UTF-8 of `cp` (surrogates included, as llama.cpp writes them).
void utf8_append(uint32_t cp, std::string& out);

// Canonical composition (Unicode Normalization Form C) of valid UTF-8; invalid bytes read as U+FFFD.
std::string nfc(std::string_view s);

// GPT-2's bytes_to_unicode: each byte as a printable character (UTF-8), so byte-level BPE vocabularies
// hold only printable text ("Ġ" is the space byte 0x20).
const std::string& byte_to_gpt2_char(uint8_t byte);
// The byte a GPT-2 character stands for, or -1.
int gpt2_char_to_byte(uint32_t cp);

}  // namespace greenllm::tokenizer
