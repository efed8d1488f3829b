// The stop-string hold-back: what a streaming generator may print before it knows whether a stop
// string is starting.
#include <gtest/gtest.h>

#include "engine/generator.h"

namespace greenllm::engine {
namespace {

TEST(StopStringHoldback, HoldsTheLongestPossibleStart) {
  const std::vector<std::string> stops = {"</s>", "User:"};
  EXPECT_EQ(stop_string_holdback("Hello", stops), 0u);
  EXPECT_EQ(stop_string_holdback("Hello <", stops), 1u);
  EXPECT_EQ(stop_string_holdback("Hello </", stops), 2u);
  EXPECT_EQ(stop_string_holdback("Hello </s", stops), 3u);
  EXPECT_EQ(stop_string_holdback("Hi Use", stops), 3u);
  EXPECT_EQ(stop_string_holdback("Hi User", stops), 4u);
  EXPECT_EQ(stop_string_holdback("", stops), 0u);
  // A whole stop string is found by the caller, not held: only proper prefixes count.
  EXPECT_EQ(stop_string_holdback("x</s>", {"</s>"}), 0u);
}

TEST(StopStringHoldback, OverlappingStopStrings) {
  // "aab" could start "aab" (whole: not held) or "abx" (prefix "ab"): hold 2.
  EXPECT_EQ(stop_string_holdback("zaab", {"aab", "abx"}), 2u);
  // Repeated characters: "aa" is a prefix of "aaa".
  EXPECT_EQ(stop_string_holdback("baa", {"aaa"}), 2u);
  // Multi-byte UTF-8: the first byte of "é" may start the stop string "é!".
  EXPECT_EQ(stop_string_holdback(std::string("x\xC3"), {"\xC3\xA9!"}), 1u);
}

}  // namespace
}  // namespace greenllm::engine
