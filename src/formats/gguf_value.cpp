// GgufValue: typed access, equality and display of one GGUF metadata value.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <type_traits>
#include <variant>

#include "formats/gguf.h"

namespace greenllm::formats {
namespace {

bool is_unsigned_type(GgufValueType t) {
  return t == GgufValueType::UINT8 || t == GgufValueType::UINT16 || t == GgufValueType::UINT32 ||
         t == GgufValueType::UINT64;
}
bool is_signed_type(GgufValueType t) {
  return t == GgufValueType::INT8 || t == GgufValueType::INT16 || t == GgufValueType::INT32 ||
         t == GgufValueType::INT64;
}
bool is_float_type(GgufValueType t) { return t == GgufValueType::FLOAT32 || t == GgufValueType::FLOAT64; }

uint64_t double_bits(double x) {
  uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

// Shortest text that reads back to the same float (as f32) or double.
std::string float_text(double x, bool as_f32) {
  char buf[64];
  const auto r = as_f32 ? std::to_chars(buf, buf + sizeof buf, float(x)) : std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

// Quoted, with control characters escaped and long strings cut (the byte count is kept).
std::string quoted(const std::string& s, size_t max_chars) {
  std::string out = "\"";
  const size_t n = std::min(s.size(), max_chars);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += char(c);
    }
  }
  out += '"';
  if (s.size() > max_chars) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

}  // namespace

const char* gguf_value_type_name(GgufValueType t) {
  switch (t) {
    case GgufValueType::UINT8:
      return "u8";
    case GgufValueType::INT8:
      return "i8";
    case GgufValueType::UINT16:
      return "u16";
    case GgufValueType::INT16:
      return "i16";
    case GgufValueType::UINT32:
      return "u32";
    case GgufValueType::INT32:
      return "i32";
    case GgufValueType::FLOAT32:
      return "f32";
    case GgufValueType::BOOL:
      return "bool";
    case GgufValueType::STRING:
      return "string";
    case GgufValueType::ARRAY:
      return "array";
    case GgufValueType::UINT64:
      return "u64";
    case GgufValueType::INT64:
      return "i64";
    case GgufValueType::FLOAT64:
      return "f64";
  }
  return "unknown";
}

// GCC 12 under -fsanitize=address reports -Wmaybe-uninitialized inside std::variant's move
// constructor in these three builders; every alternative moved is fully initialized (false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
GgufValue GgufValue::string_array(const std::vector<std::string>& xs) {
  std::vector<GgufValue> items;
  items.reserve(xs.size());
  for (const auto& x : xs) items.push_back(string(x));
  return array(GgufValueType::STRING, std::move(items));
}

GgufValue GgufValue::f32_array(const std::vector<float>& xs) {
  std::vector<GgufValue> items;
  items.reserve(xs.size());
  for (float x : xs) items.push_back(f32(x));
  return array(GgufValueType::FLOAT32, std::move(items));
}

GgufValue GgufValue::i32_array(const std::vector<int32_t>& xs) {
  std::vector<GgufValue> items;
  items.reserve(xs.size());
  for (int32_t x : xs) items.push_back(i32(x));
  return array(GgufValueType::INT32, std::move(items));
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

std::optional<int64_t> GgufValue::as_int() const {
  if (is_unsigned_type(type_)) {
    const auto* u = std::get_if<uint64_t>(&v_);
    if (!u || *u > uint64_t(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return int64_t(*u);
  }
  if (is_signed_type(type_)) {
    const auto* i = std::get_if<int64_t>(&v_);
    if (!i) return std::nullopt;
    return *i;
  }
  return std::nullopt;
}

std::optional<double> GgufValue::as_float() const {
  if (is_float_type(type_)) {
    const auto* d = std::get_if<double>(&v_);
    if (!d) return std::nullopt;
    return *d;
  }
  if (is_unsigned_type(type_)) {
    const auto* u = std::get_if<uint64_t>(&v_);
    if (!u) return std::nullopt;
    return double(*u);
  }
  if (is_signed_type(type_)) {
    const auto* i = std::get_if<int64_t>(&v_);
    if (!i) return std::nullopt;
    return double(*i);
  }
  return std::nullopt;
}

std::optional<bool> GgufValue::as_bool() const {
  if (type_ != GgufValueType::BOOL) return std::nullopt;
  const auto* b = std::get_if<bool>(&v_);
  if (!b) return std::nullopt;
  return *b;
}

const std::string* GgufValue::as_string() const {
  return type_ == GgufValueType::STRING ? std::get_if<std::string>(&v_) : nullptr;
}

const GgufArray* GgufValue::as_array() const {
  return type_ == GgufValueType::ARRAY ? std::get_if<GgufArray>(&v_) : nullptr;
}

std::optional<std::vector<std::string>> GgufValue::as_string_array() const {
  const GgufArray* a = as_array();
  if (!a || a->elem_type != GgufValueType::STRING) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(a->items.size());
  for (const auto& item : a->items) {
    const std::string* s = item.as_string();
    if (!s) return std::nullopt;
    out.push_back(*s);
  }
  return out;
}

std::optional<std::vector<float>> GgufValue::as_f32_array() const {
  const GgufArray* a = as_array();
  if (!a) return std::nullopt;
  const GgufValueType t = a->elem_type;
  if (!is_float_type(t) && !is_unsigned_type(t) && !is_signed_type(t)) return std::nullopt;
  std::vector<float> out;
  out.reserve(a->items.size());
  for (const auto& item : a->items) {
    const auto x = item.as_float();
    if (!x) return std::nullopt;
    out.push_back(float(*x));
  }
  return out;
}

std::optional<std::vector<int32_t>> GgufValue::as_i32_array() const {
  const GgufArray* a = as_array();
  if (!a || !(is_unsigned_type(a->elem_type) || is_signed_type(a->elem_type))) return std::nullopt;
  std::vector<int32_t> out;
  out.reserve(a->items.size());
  for (const auto& item : a->items) {
    const auto x = item.as_int();
    if (!x || *x < std::numeric_limits<int32_t>::min() || *x > std::numeric_limits<int32_t>::max()) return std::nullopt;
    out.push_back(int32_t(*x));
  }
  return out;
}

bool GgufValue::operator==(const GgufValue& other) const {
  if (type_ != other.type_ || v_.index() != other.v_.index()) return false;
  return std::visit(
      [&](const auto& a) -> bool {
        using T = std::decay_t<decltype(a)>;
        const T& b = std::get<T>(other.v_);
        if constexpr (std::is_same_v<T, double>) {
          return double_bits(a) == double_bits(b);
        } else if constexpr (std::is_same_v<T, GgufArray>) {
          return a.elem_type == b.elem_type && a.items == b.items;
        } else {
          return a == b;
        }
      },
      v_);
}

std::string GgufValue::to_display_string() const {
  constexpr size_t kMaxStringChars = 64;
  constexpr size_t kMaxArrayItems = 8;
  return std::visit(
      [&](const auto& a) -> std::string {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, uint64_t> || std::is_same_v<T, int64_t>) {
          return std::to_string(a);
        } else if constexpr (std::is_same_v<T, double>) {
          return float_text(a, type_ == GgufValueType::FLOAT32);
        } else if constexpr (std::is_same_v<T, bool>) {
          return a ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string>) {
          return quoted(a, kMaxStringChars);
        } else {
          std::string out = "[";
          out += std::to_string(a.items.size());
          out += " x ";
          out += gguf_value_type_name(a.elem_type);
          if (!a.items.empty()) out += ": ";
          const size_t n = std::min(a.items.size(), kMaxArrayItems);
          for (size_t i = 0; i < n; ++i) {
            if (i) out += ", ";
            out += a.items[i].to_display_string();
          }
          if (a.items.size() > n) out += ", ...";
          out += ']';
          return out;
        }
      },
      v_);
}

}  // namespace greenllm::formats
