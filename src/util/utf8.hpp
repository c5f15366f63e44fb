// UTF-8 checks and safe rendering of bytes that came from outside (HTTP clients, stored
// names written by other programs): a validator, a character count, an escaper for messages
// and logs, and a JSON dump that cannot throw on invalid UTF-8.
//
// Pure functions, thread-safe. None of them throws on any input bytes (only std::bad_alloc).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace seedline {

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above
// U+10FFFF). NUL and control characters are valid UTF-8; callers refuse them separately.
bool valid_utf8(std::string_view text);

// The number of characters (code points) of valid UTF-8; each byte of an invalid sequence
// counts as one character.
size_t utf8_length(std::string_view text);

// `text` with every control byte, DEL and byte of an invalid UTF-8 sequence written as \xNN
// (backslash itself as \\), cut after `max_chars` characters with "..." appended; valid
// multi-byte characters are kept. The result is valid UTF-8 without control characters, safe
// for a log line or an error message.
std::string escape_bytes(std::string_view text, size_t max_chars = 200);

// value.dump(indent), except that a string which is not valid UTF-8 is written with U+FFFD
// in place of its bad bytes instead of throwing json::type_error 316.
template <typename BasicJson>
std::string dump_json(const BasicJson& value, int indent = -1) {
  return value.dump(indent, ' ', false, BasicJson::error_handler_t::replace);
}

}  // namespace seedline
