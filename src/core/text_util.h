// Small text helpers for error messages: file-supplied text made safe for one line, and shapes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace greenllm {

// `s` with control bytes written \xNN and anything past max_chars cut off with "...": a name or key
// read from a file, safe to put in a one-line error message.
std::string printable(std::string_view s, size_t max_chars = 80);

// "[4096, 32000]" (ggml order, as the file stores it).
std::string shape_to_string(const std::vector<int64_t>& shape);

}  // namespace greenllm
