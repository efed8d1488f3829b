// Lookups over the generated Unicode tables (a flat table for the Basic Multilingual Plane, binary
// search above it), UTF-8, NFC (decompose, reorder, compose) and the GPT-2 byte mapping.
#include "tokenizer/unicode.h"

#include <algorithm>
#include <array>

#include "tokenizer/unicode_data.h"

namespace greenllm::tokenizer {
namespace {

namespace ut = unicode_tables;

constexpr uint32_t kMaxCodepoint = 0x10FFFF;
constexpr uint8_t kWhitespaceBit = 0x80;

// Hangul syllables compose and decompose algorithmically (Unicode 3.12).
constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

uint32_t run_value(const ut::CodepointRun* runs, size_t n, uint32_t cp) {
  const ut::CodepointRun* end = runs + n;
  const ut::CodepointRun* it =
      std::upper_bound(runs, end, cp, [](uint32_t c, const ut::CodepointRun& r) { return c < r.first; });
  return it == runs ? 0 : (it - 1)->value;
}

bool whitespace_from_table(uint32_t cp) {
  return std::binary_search(ut::kWhitespace, ut::kWhitespace + ut::kNumWhitespace, cp);
}

// Class (low bits) and White_Space (kWhitespaceBit) of every BMP code point.
const std::array<uint8_t, 0x10000>& bmp_props() {
  static const std::array<uint8_t, 0x10000> table = [] {
    std::array<uint8_t, 0x10000> t{};
    for (size_t i = 0; i < ut::kNumClassRuns && ut::kClassRuns[i].first < 0x10000; ++i) {
      const uint32_t end =
          i + 1 < ut::kNumClassRuns ? std::min<uint32_t>(ut::kClassRuns[i + 1].first, 0x10000) : 0x10000;
      for (uint32_t cp = ut::kClassRuns[i].first; cp < end; ++cp) t[cp] = uint8_t(ut::kClassRuns[i].value);
    }
    for (size_t i = 0; i < ut::kNumWhitespace; ++i) {
      if (ut::kWhitespace[i] < 0x10000) t[ut::kWhitespace[i]] |= kWhitespaceBit;
    }
    return t;
  }();
  return table;
}

const ut::Decomposition* find_decomposition(uint32_t cp) {
  const ut::Decomposition* end = ut::kDecompositions + ut::kNumDecompositions;
  const ut::Decomposition* it =
      std::lower_bound(ut::kDecompositions, end, cp, [](const ut::Decomposition& d, uint32_t c) { return d.cp < c; });
  return it != end && it->cp == cp ? it : nullptr;
}

void decompose(uint32_t cp, std::vector<uint32_t>& out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const uint32_t s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
    return;
  }
  const ut::Decomposition* d = find_decomposition(cp);
  if (d == nullptr) {
    out.push_back(cp);
    return;
  }
  decompose(d->first, out);
  if (d->second != 0) decompose(d->second, out);
}

// The primary composite of a + b, or 0.
uint32_t compose(uint32_t a, uint32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  const ut::Composition* end = ut::kCompositions + ut::kNumCompositions;
  const ut::Composition* it =
      std::lower_bound(ut::kCompositions, end, std::make_pair(a, b),
                       [](const ut::Composition& c, const std::pair<uint32_t, uint32_t>& k) {
                         return c.first < k.first || (c.first == k.first && c.second < k.second);
                       });
  return it != end && it->first == a && it->second == b ? it->composite : 0;
}

struct Gpt2ByteMap {
  std::array<std::string, 256> to_char;
  std::array<int16_t, 324> to_byte;  // indexed by code point; all mapped characters are below 324
};

const Gpt2ByteMap& gpt2_byte_map() {
  static const Gpt2ByteMap map = [] {
    Gpt2ByteMap m;
    m.to_byte.fill(-1);
    auto printable = [](int b) {
      return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const uint32_t cp = printable(b) ? uint32_t(b) : next++;
      utf8_append(cp, m.to_char[size_t(b)]);
      m.to_byte[cp] = int16_t(b);
    }
    return m;
  }();
  return map;
}

}  // namespace

CharClass char_class(uint32_t cp) {
  if (cp < 0x10000) return CharClass(bmp_props()[cp] & ~kWhitespaceBit);
  if (cp > kMaxCodepoint) return CharClass::OTHER;
  return CharClass(run_value(ut::kClassRuns, ut::kNumClassRuns, cp));
}

bool is_whitespace(uint32_t cp) {
  if (cp < 0x10000) return (bmp_props()[cp] & kWhitespaceBit) != 0;
  return whitespace_from_table(cp);
}

uint8_t combining_class(uint32_t cp) {
  if (cp < 0x300) return 0;  // no combining marks below U+0300
  return uint8_t(run_value(ut::kCombiningRuns, ut::kNumCombiningRuns, cp));
}

void utf8_decode(std::string_view s, std::vector<uint32_t>& out) {
  const size_t n = s.size();
  auto cont = [&](size_t i) { return i < n && (uint8_t(s[i]) & 0xC0) == 0x80; };
  for (size_t i = 0; i < n;) {
    const uint8_t b = uint8_t(s[i]);
    if (b < 0x80) {
      out.push_back(b);
      ++i;
    } else if ((b & 0xE0) == 0xC0 && cont(i + 1)) {
      out.push_back(uint32_t(b & 0x1F) << 6 | (uint8_t(s[i + 1]) & 0x3F));
      i += 2;
    } else if ((b & 0xF0) == 0xE0 && cont(i + 1) && cont(i + 2)) {
      out.push_back(uint32_t(b & 0x0F) << 12 | uint32_t(uint8_t(s[i + 1]) & 0x3F) << 6 | (uint8_t(s[i + 2]) & 0x3F));
      i += 3;
    } else if ((b & 0xF8) == 0xF0 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
      const uint32_t cp = uint32_t(b & 0x07) << 18 | uint32_t(uint8_t(s[i + 1]) & 0x3F) << 12 |
                          uint32_t(uint8_t(s[i + 2]) & 0x3F) << 6 | (uint8_t(s[i + 3]) & 0x3F);
      if (cp > kMaxCodepoint) {
        out.push_back(kReplacementChar);
        ++i;
      } else {
        out.push_back(cp);
        i += 4;
      }
    } else {
      out.push_back(kReplacementChar);
      ++i;
    }
  }
}

void utf8_append(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | cp >> 6);
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | cp >> 12);
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | cp >> 18);
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

std::string nfc(std::string_view s) {
  std::vector<uint32_t> cps;
  utf8_decode(s, cps);
  // Quick exit: text with no character that decomposes, combines or composes is already NFC.
  const bool ascii = std::all_of(cps.begin(), cps.end(), [](uint32_t c) { return c < 0x80; });
  if (ascii) return std::string(s);

  std::vector<uint32_t> d;
  d.reserve(cps.size() + 8);
  for (const uint32_t cp : cps) decompose(cp, d);
  // Canonical order: within each run of non-starters, a stable sort by combining class.
  for (size_t i = 0; i < d.size();) {
    if (combining_class(d[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < d.size() && combining_class(d[j]) != 0) ++j;
    std::stable_sort(d.begin() + i, d.begin() + j,
                     [](uint32_t a, uint32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  // Compose: each character joins the last starter unless a character in between blocks it (has
  // the same or a higher combining class, or is a starter).
  std::vector<uint32_t> c;
  c.reserve(d.size());
  size_t starter = SIZE_MAX;
  for (const uint32_t cp : d) {
    const uint8_t ccc = combining_class(cp);
    if (starter != SIZE_MAX) {
      const uint8_t last_ccc = c.size() - 1 == starter ? 0 : combining_class(c.back());
      const bool blocked = c.size() - 1 != starter && (last_ccc == 0 || last_ccc >= ccc);
      if (!blocked) {
        if (const uint32_t composite = compose(c[starter], cp); composite != 0) {
          c[starter] = composite;
          continue;
        }
      }
    }
    if (ccc == 0) starter = c.size();
    c.push_back(cp);
  }
  std::string out;
  out.reserve(s.size());
  for (const uint32_t cp : c) utf8_append(cp, out);
  return out;
}

const std::string& byte_to_gpt2_char(uint8_t byte) { return gpt2_byte_map().to_char[byte]; }

int gpt2_char_to_byte(uint32_t cp) {
  const auto& to_byte = gpt2_byte_map().to_byte;
  return cp < to_byte.size() ? to_byte[cp] : -1;
}

}  // namespace greenllm::tokenizer
