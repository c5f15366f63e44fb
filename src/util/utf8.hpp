// UTF-8 checks and safe rendering of bytes that came from outside (HTTP clients, stored
// names written by other programs, external evaluators): a validator, a character count, an
// escaper for messages and logs, a sanitizer that bounds and escapes another program's text,
// and a JSON dump that cannot throw on invalid UTF-8.
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

// Text written by another program (an evaluator's name, version, metric names and error
// messages; docs/evaluator-protocol.md) made safe to store and print, cut to `max_bytes`:
//   - valid UTF-8 is kept as it is, backslashes included (the result is for reading);
//   - every byte of an invalid UTF-8 sequence, NUL and every other C0 control character, DEL
//     and the C1 controls (U+0080..U+009F, as their two bytes) are written as \xNN, so
//     nothing is lost from view (a NUL does not end the text) and no byte reaches a terminal
//     as a command; line feeds and tabs are kept when `multiline` (a traceback stays
//     readable), carriage returns never;
//   - the bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069) are written as
//     \uXXXX, so a message cannot display in an order other than its bytes';
//   - when the rendering is longer than `max_bytes`, it is cut at a character boundary at or
//     below `max_bytes` bytes and "... (N bytes more)" is appended, N counting the input bytes
//     left out. `left_out` counts bytes the caller already dropped after `text` (a line kept
//     only in part): they are added to N, and the suffix is written even if `text` fits.
// The result is valid UTF-8 of at most max_bytes + 40 bytes.
std::string sanitize_text(std::string_view text, size_t max_bytes, bool multiline = false, size_t left_out = 0);

// value.dump(indent), except that a string which is not valid UTF-8 is written with U+FFFD
// in place of its bad bytes instead of throwing json::type_error 316.
template <typename BasicJson>
std::string dump_json(const BasicJson& value, int indent = -1) {
  return value.dump(indent, ' ', false, BasicJson::error_handler_t::replace);
}

}  // namespace seedline
