#include "http/target.hpp"

#include <charconv>

#include "util/error.hpp"
#include "util/utf8.hpp"

namespace seedline::http {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Quotes a client-supplied string for an error message, cut short, with control bytes and
// invalid UTF-8 written as \xNN so the message itself is always valid UTF-8.
// (Built by appending: g++ 12's -Wrestrict misfires on "'" + std::string&& + "'".)
std::string quote_client(std::string_view s) {
  const std::string body = escape_bytes(s, 80);
  std::string out;
  out.reserve(body.size() + 2);
  out += '\'';
  out += body;
  out += '\'';
  return out;
}

// Refuses decoded text that is not UTF-8: it could not be echoed in a JSON error, and no
// stored name or parameter value can match it.
void require_utf8(const std::string& decoded, std::string_view what, std::string_view raw) {
  if (!valid_utf8(decoded)) invalid_argument("invalid UTF-8 in " + std::string(what) + " " + quote_client(decoded) +
                                             " (from " + quote_client(raw) + ")");
}

}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || hex_digit(text[i + 1]) < 0 || hex_digit(text[i + 2]) < 0) {
        invalid_argument("malformed percent-escape in " + quote_client(text));
      }
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

Target parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    invalid_argument("request target must be a path starting with '/' (got " + quote_client(target) + ")");
  }
  const size_t q = target.find('?');
  const std::string_view raw_path = target.substr(0, q);
  const std::string_view raw_query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);

  Target t;
  t.path = percent_decode(raw_path, false);
  require_utf8(t.path, "request path", raw_path);
  for (char c : t.path) {
    if (c == '\\') invalid_argument("path traversal refused: backslash in " + quote_client(raw_path));
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      invalid_argument("control character in request path " + quote_client(raw_path));
    }
  }
  size_t start = 0;
  while (start <= t.path.size()) {
    size_t end = t.path.find('/', start);
    if (end == std::string::npos) end = t.path.size();
    std::string segment = t.path.substr(start, end - start);
    if (segment == "..") invalid_argument("path traversal refused: '..' in " + quote_client(raw_path));
    if (!segment.empty() && segment != ".") t.segments.push_back(std::move(segment));
    start = end + 1;
  }

  size_t pos = 0;
  while (pos < raw_query.size()) {
    size_t amp = raw_query.find('&', pos);
    if (amp == std::string_view::npos) amp = raw_query.size();
    const std::string_view pair = raw_query.substr(pos, amp - pos);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      std::string key = percent_decode(pair.substr(0, eq), true);
      require_utf8(key, "query parameter name", pair);
      std::string value = eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
      require_utf8(value, "query parameter value", pair);
      t.query.emplace_back(std::move(key), std::move(value));
    }
    pos = amp + 1;
  }
  return t;
}

QueryParams::QueryParams(const Target& target, const std::vector<std::string_view>& allowed) {
  for (const auto& [key, value] : target.query) {
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (!known) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      invalid_argument("unknown query parameter " + quote_client(key) +
                       (list.empty() ? " (this endpoint takes none)" : " (expected one of: " + list + ")"));
    }
    for (const auto& [k, v] : values_) {
      if (k == key) invalid_argument("query parameter " + quote_client(key) + " is given more than once");
    }
    values_.emplace_back(key, value);
  }
}

std::optional<std::string> QueryParams::get(std::string_view name) const {
  for (const auto& [k, v] : values_) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::optional<long long> QueryParams::integer(std::string_view name, std::optional<long long> fallback, long long min,
                                              long long max) const {
  const auto text = get(name);
  if (!text) return fallback;
  long long v = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || v < min || v > max) {
    invalid_argument("query parameter '" + std::string(name) + "' must be an integer in " + std::to_string(min) +
                     ".." + std::to_string(max) + " (got " + quote_client(*text) + ")");
  }
  return v;
}

bool QueryParams::flag(std::string_view name, bool fallback) const {
  const auto text = get(name);
  if (!text) return fallback;
  if (*text == "1" || *text == "true") return true;
  if (*text == "0" || *text == "false") return false;
  invalid_argument("query parameter '" + std::string(name) + "' must be 0, 1, true or false (got " + quote_client(*text) +
                   ")");
}

long long parse_id(const std::string& segment, std::string_view what) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), v);
  if (segment.empty() || ec != std::errc() || end != segment.data() + segment.size() || v < 1) {
    invalid_argument(std::string(what) + " id must be a positive integer (got " + quote_client(segment) + ")");
  }
  return v;
}

}  // namespace seedline::http
