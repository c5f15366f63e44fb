#include "util/utf8.hpp"

#include <cstdint>

namespace seedline {
namespace {

// The length of the well-formed UTF-8 sequence at text[i], or 0 when the bytes there are not
// one (RFC 3629: the second byte's range depends on the first, to exclude overlong forms,
// surrogates and code points above U+10FFFF).
size_t sequence_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t n = 0;
  uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) n = 2;
  else if (b0 == 0xE0) n = 3, lo = 0xA0;
  else if (b0 >= 0xE1 && b0 <= 0xEC) n = 3;
  else if (b0 == 0xED) n = 3, hi = 0x9F;
  else if (b0 >= 0xEE && b0 <= 0xEF) n = 3;
  else if (b0 == 0xF0) n = 4, lo = 0x90;
  else if (b0 >= 0xF1 && b0 <= 0xF3) n = 4;
  else if (b0 == 0xF4) n = 4, hi = 0x8F;
  else return 0;
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

bool valid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = sequence_length(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

size_t utf8_length(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++count) {
    const size_t n = sequence_length(text, i);
    i += n == 0 ? 1 : n;
  }
  return count;
}

std::string escape_bytes(std::string_view text, size_t max_chars) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() < 256 ? text.size() : 256);
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++chars) {
    if (chars == max_chars) return out + "...";
    const auto b = static_cast<uint8_t>(text[i]);
    const size_t n = sequence_length(text, i);
    if (n > 1) {
      out.append(text.substr(i, n));
      i += n;
    } else if (n == 1 && b >= 0x20 && b != 0x7f && b != '\\') {
      out += static_cast<char>(b);
      ++i;
    } else if (b == '\\') {
      out += "\\\\";
      ++i;
    } else {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
      ++i;
    }
  }
  return out;
}

}  // namespace seedline
