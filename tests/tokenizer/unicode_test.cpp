// Unicode for the tokenizers: NFC against the Unicode Consortium's NormalizationTest.txt, the
// character classes and the GPT-2 byte mapping, and each pre-tokenizer regex on texts whose pieces
// are written out by hand.
#include "tokenizer/unicode.h"

#include <gtest/gtest.h>

#include <sstream>

#include "test_util.h"
#include "tokenizer/pretokenizer.h"

namespace greenllm::tokenizer {
namespace {

std::string utf8_of(const std::string& hex_cps) {
  std::istringstream in(hex_cps);
  std::string out;
  for (std::string h; in >> h;) utf8_append(uint32_t(std::stoul(h, nullptr, 16)), out);
  return out;
}

// NormalizationTest.txt (unicode-data): for every line c1;c2;c3;c4;c5, NFC(c1) = NFC(c2) = NFC(c3) = c2
// and NFC(c4) = NFC(c5) = c4.
TEST(TokenizerUnicode, NfcConformance) {
  const std::string file = "/usr/share/unicode/NormalizationTest.txt.bz2";
  std::string text;
  if (test::run_command("bzcat '" + file + "' 2>/dev/null", &text) != 0 || text.empty()) {
    GTEST_SKIP() << file << " not readable (Debian package unicode-data, installed by scripts/setup.sh)";
  }
  std::istringstream in(text);
  size_t n_lines = 0, n_fail = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line[0] == '@') continue;
    std::vector<std::string> c;
    std::istringstream fields(line);
    for (std::string f; c.size() < 5 && std::getline(fields, f, ';');) c.push_back(utf8_of(f));
    ASSERT_EQ(c.size(), 5u) << line;
    ++n_lines;
    const bool ok =
        nfc(c[0]) == c[1] && nfc(c[1]) == c[1] && nfc(c[2]) == c[1] && nfc(c[3]) == c[3] && nfc(c[4]) == c[3];
    if (!ok && ++n_fail <= 10) ADD_FAILURE() << "NFC fails on: " << line;
  }
  EXPECT_GT(n_lines, 15000u);
  EXPECT_EQ(n_fail, 0u);
}

TEST(TokenizerUnicode, Classes) {
  EXPECT_EQ(char_class('a'), CharClass::LETTER);
  EXPECT_EQ(char_class(0x4E2D), CharClass::LETTER);   // 中
  EXPECT_EQ(char_class(0x20000), CharClass::LETTER);  // CJK Extension B (a range in UnicodeData.txt)
  EXPECT_EQ(char_class('7'), CharClass::NUMBER);
  EXPECT_EQ(char_class(0x00B2), CharClass::NUMBER);  // ²
  EXPECT_EQ(char_class(0x2164), CharClass::NUMBER);  // Ⅴ (Nl)
  EXPECT_EQ(char_class('!'), CharClass::PUNCTUATION);
  EXPECT_EQ(char_class(0x3002), CharClass::PUNCTUATION);  // 。
  EXPECT_EQ(char_class('$'), CharClass::SYMBOL);
  EXPECT_EQ(char_class(0x1F999), CharClass::SYMBOL);  // 🦙
  EXPECT_EQ(char_class(0x0301), CharClass::MARK);
  EXPECT_EQ(char_class(' '), CharClass::SEPARATOR);
  EXPECT_EQ(char_class('\n'), CharClass::OTHER);
  EXPECT_EQ(char_class(0x0378), CharClass::OTHER);  // unassigned
  EXPECT_EQ(char_class(0x110000), CharClass::OTHER);
  for (uint32_t c : {0x09u, 0x0Au, 0x0Bu, 0x0Cu, 0x0Du, 0x20u, 0x85u, 0xA0u, 0x1680u, 0x2000u, 0x200Au, 0x2028u,
                     0x2029u, 0x202Fu, 0x205Fu, 0x3000u}) {
    EXPECT_TRUE(is_whitespace(c)) << std::hex << c;
  }
  for (uint32_t c : {0x1Cu, 0x1Fu, 0x200Bu, 0x180Eu, 0xFEFFu, uint32_t('a')})
    EXPECT_FALSE(is_whitespace(c)) << std::hex << c;
  EXPECT_EQ(combining_class(0x0301), 230);
  EXPECT_EQ(combining_class('a'), 0);
}

TEST(TokenizerUnicode, Utf8AsLlamaCpp) {
  std::vector<uint32_t> cps;
  utf8_decode("a\xC3\xA9\xF0\x9F\xA6\x99", cps);
  EXPECT_EQ(cps, (std::vector<uint32_t>{'a', 0xE9, 0x1F999}));
  cps.clear();
  // A stray continuation byte, a truncated sequence, and a lead byte with no sequence: U+FFFD each,
  // resuming at the next byte.
  utf8_decode("\x80x\xE2\x96y\xFF", cps);
  EXPECT_EQ(cps,
            (std::vector<uint32_t>{kReplacementChar, 'x', kReplacementChar, kReplacementChar, 'y', kReplacementChar}));
}

TEST(TokenizerUnicode, Gpt2Bytes) {
  EXPECT_EQ(byte_to_gpt2_char(' '), "\xC4\xA0");   // Ġ
  EXPECT_EQ(byte_to_gpt2_char('\n'), "\xC4\x8A");  // Ċ
  EXPECT_EQ(byte_to_gpt2_char('A'), "A");
  EXPECT_EQ(byte_to_gpt2_char(0xAD), "\xC5\x83");  // the last unprintable byte: U+0143
  for (int b = 0; b < 256; ++b) {
    std::vector<uint32_t> cps;
    utf8_decode(byte_to_gpt2_char(uint8_t(b)), cps);
    ASSERT_EQ(cps.size(), 1u);
    EXPECT_EQ(gpt2_char_to_byte(cps[0]), b);
  }
}

std::vector<std::string> pieces(const std::string& text, std::vector<SplitRegex> steps) {
  std::vector<uint32_t> cps;
  utf8_decode(text, cps);
  std::vector<uint32_t> ends;
  pre_tokenize(cps, steps, ends);
  std::vector<std::string> out;
  uint32_t begin = 0;
  for (const uint32_t end : ends) {
    std::string s;
    for (uint32_t i = begin; i < end; ++i) utf8_append(cps[i], s);
    out.push_back(s);
    begin = end;
  }
  return out;
}

using P = std::vector<std::string>;

TEST(TokenizerPreTokenizer, Gpt2) {
  const auto steps = *split_regexes_for_pre("gpt-2");
  EXPECT_EQ(pieces("Hello world's  test", steps), (P{"Hello", " world", "'s", " ", " test"}));
  EXPECT_EQ(pieces("I'LL 123abc!!  \n\n", steps), (P{"I", "'", "LL", " 123", "abc", "!!", "  \n\n"}));
  EXPECT_EQ(pieces("a\t\tb", steps), (P{"a", "\t", "\t", "b"}));
  EXPECT_EQ(pieces("", steps), P{});
}

TEST(TokenizerPreTokenizer, Llama3AndQwen2) {
  const auto llama3 = *split_regexes_for_pre("llama-bpe");
  EXPECT_EQ(pieces("I'LL pay 1234567 $5,\r\n\r\n  ok  \t", llama3),
            (P{"I", "'LL", " pay", " ", "123", "456", "7", " $", "5", ",\r\n\r\n", " ", " ok", "  \t"}));
  EXPECT_EQ(pieces("\"hi\" (x)\n", llama3), (P{"\"hi", "\"", " (", "x", ")\n"}));
  const auto qwen2 = *split_regexes_for_pre("qwen2");
  EXPECT_EQ(pieces("pay 1234", qwen2), (P{"pay", " ", "1", "2", "3", "4"}));
}

TEST(TokenizerPreTokenizer, OtherFamilies) {
  EXPECT_EQ(pieces("x12 ab", *split_regexes_for_pre("starcoder")), (P{"x", "1", "2", " ab"}));
  EXPECT_EQ(pieces("a+=12345 b", *split_regexes_for_pre("falcon")), (P{"a", "+=", "123", "45", " b"}));
  EXPECT_EQ(pieces("hi, \xE4\xB8\xAD\xE6\x96\x87 12\nx", *split_regexes_for_pre("deepseek-coder")),
            (P{"hi", ",", " ", "\xE4\xB8\xAD\xE6\x96\x87", " ", "1", "2", "\n", "x"}));
  EXPECT_EQ(pieces("Ab, 12  ", *split_regexes_for_pre("deepseek-llm")), (P{"Ab", ",", " ", "12", "  "}));
  // U+3000 is in DeepSeek LLM's punctuation class, but not as llama.cpp runs it.
  EXPECT_EQ(pieces("\t\t\xE3\x80\x80", {SplitRegex::DEEPSEEK_PUNCTUATION}), (P{"\t", "\t\xE3\x80\x80"}));
  EXPECT_EQ(pieces("\t\t\xE3\x80\x80", {SplitRegex::DEEPSEEK_PUNCTUATION_LLAMA_CPP}), (P{"\t\t\xE3\x80\x80"}));
  EXPECT_FALSE(split_regexes_for_pre("no-such-pre").has_value());
}

TEST(TokenizerPreTokenizer, PatternsRoundTrip) {
  for (int i = 0; i <= int(SplitRegex::TRAILING_SPACE); ++i) {
    const auto r = SplitRegex(i);
    const auto back = split_regex_from_pattern(split_regex_pattern(r));
    ASSERT_TRUE(back.has_value()) << i;
    EXPECT_EQ(split_regex_pattern(*back), split_regex_pattern(r));
  }
  // llama.cpp's spellings.
  EXPECT_EQ(split_regex_from_pattern(R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))"),
            SplitRegex::GPT2);
  EXPECT_EQ(
      split_regex_from_pattern(
          R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"),
      SplitRegex::QWEN2);
  EXPECT_FALSE(split_regex_from_pattern(R"(\w+)").has_value());
}

}  // namespace
}  // namespace greenllm::tokenizer
