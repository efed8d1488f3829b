// Unicode Character Database tables the tokenizers need, generated into unicode_data.cpp by
// scripts/gen_unicode_data.py. Read them through tokenizer/unicode.h, not directly.
#pragma once

#include <cstddef>
#include <cstdint>

namespace greenllm::tokenizer::unicode_tables {

// A value that holds from `first` up to the next run's first code point.
struct CodepointRun {
  uint32_t first;
  uint32_t value;
};
// Canonical decomposition of `cp` into one or two code points (second == 0 for one).
struct Decomposition {
  uint32_t cp, first, second;
};
// NFC composes `first` + `second` into `composite` (sorted by first, then second).
struct Composition {
  uint32_t first, second, composite;
};

extern const CodepointRun kClassRuns[];  // value: CharClass
extern const size_t kNumClassRuns;
extern const uint32_t kWhitespace[];  // White_Space, sorted
extern const size_t kNumWhitespace;
extern const CodepointRun kCombiningRuns[];  // value: canonical combining class
extern const size_t kNumCombiningRuns;
extern const Decomposition kDecompositions[];  // sorted by cp
extern const size_t kNumDecompositions;
extern const Composition kCompositions[];
extern const size_t kNumCompositions;

}  // namespace greenllm::tokenizer::unicode_tables
