#include "util/utf8.hpp"

#include <algorithm>
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

std::string sanitize_text(std::string_view text, size_t max_bytes, bool multiline, size_t left_out) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 32);
  const auto more = [&](size_t left) {
    return "... (" + std::to_string(left) + (left == 1 ? " byte more)" : " bytes more)");
  };
  std::string piece;
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<uint8_t>(text[i]);
    const size_t n = sequence_length(text, i);
    piece.clear();
    size_t consumed = n == 0 ? 1 : n;
    const auto escape_byte = [&](uint8_t v) {
      piece += "\\x";
      piece += kHex[v >> 4];
      piece += kHex[v & 0xf];
    };
    if (n == 0) {
      escape_byte(b);
    } else if (n == 1) {
      if ((b >= 0x20 && b != 0x7f) || (multiline && (b == '\n' || b == '\t'))) {
        piece += static_cast<char>(b);
      } else {
        escape_byte(b);
      }
    } else if (n == 2 && b == 0xc2 && static_cast<uint8_t>(text[i + 1]) < 0xa0) {
      escape_byte(b);  // a C1 control character (U+0080..U+009F)
      escape_byte(static_cast<uint8_t>(text[i + 1]));
    } else if (n == 3 && b == 0xe2 &&
               ((static_cast<uint8_t>(text[i + 1]) == 0x80 && static_cast<uint8_t>(text[i + 2]) >= 0xaa &&
                 static_cast<uint8_t>(text[i + 2]) <= 0xae) ||
                (static_cast<uint8_t>(text[i + 1]) == 0x81 && static_cast<uint8_t>(text[i + 2]) >= 0xa6 &&
                 static_cast<uint8_t>(text[i + 2]) <= 0xa9))) {
      // U+202A..U+202E (0xe2 0x80 0xaa..0xae), U+2066..U+2069 (0xe2 0x81 0xa6..0xa9)
      const unsigned cp = ((b & 0x0fu) << 12) | ((static_cast<uint8_t>(text[i + 1]) & 0x3fu) << 6) |
                          (static_cast<uint8_t>(text[i + 2]) & 0x3fu);
      piece += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) piece += kHex[(cp >> shift) & 0xf];
    } else {
      piece.append(text.substr(i, n));
    }
    if (out.size() + piece.size() > max_bytes) return out + more(text.size() - i + left_out);
    out += piece;
    i += consumed;
  }
  return left_out > 0 ? out + more(left_out) : out;
}

}  // namespace seedline
