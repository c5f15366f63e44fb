// Checksums and other 64-bit values as text: 16 lowercase hex digits, zero-padded (the form
// the CLI, the HTTP API and export metadata print checksums in). Pure, thread-safe, no errors.
#pragma once

#include <cstdint>
#include <string>

namespace seedline {

inline std::string hex16(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = kDigits[v & 0xF];
  return out;
}

// "0x" + hex16(v), for error messages.
inline std::string hex64(uint64_t v) { return "0x" + hex16(v); }

}  // namespace seedline
