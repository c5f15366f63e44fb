// Request targets: the path and query of "/api/runs/3?metric=best", percent-decoded and
// checked, and typed access to query parameters with errors that name the parameter.
//
// Pure and thread-safe. Everything a client can get wrong throws Error(kInvalidArgument) with
// a message naming the offending part, which the router answers with 400.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seedline::http {

struct Target {
  std::string path;                   // percent-decoded, e.g. "/api/runs/3"
  std::vector<std::string> segments;  // path split on '/', empty segments dropped
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order ('+' is a space)
};

// Decodes %XX escapes; throws on a malformed escape.
std::string percent_decode(std::string_view text, bool plus_is_space);

// Parses an origin-form target ("/path?query"). Refuses, as path traversal or as malformed:
// a target not starting with '/', a '..' segment (also when encoded, "%2e%2e"), a backslash
// (also "%5c"), a NUL or other control character, a bad escape, and a path, query parameter
// name or value that is not UTF-8 once decoded ("%ff"). Error messages quote the client's
// text with such bytes escaped as \xNN, so they are valid UTF-8 themselves.
Target parse_target(std::string_view target);

// The query parameters of one request, checked against the names an endpoint accepts.
class QueryParams {
 public:
  // Throws for a parameter not in `allowed` or given twice, naming it.
  QueryParams(const Target& target, const std::vector<std::string_view>& allowed);

  std::optional<std::string> get(std::string_view name) const;
  // An integer in [min, max], or `fallback` when absent; throws naming the parameter otherwise.
  std::optional<long long> integer(std::string_view name, std::optional<long long> fallback, long long min,
                                   long long max) const;
  // 0/1/true/false; `fallback` when absent.
  bool flag(std::string_view name, bool fallback) const;

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

// A path segment that must be a positive 64-bit id: throws "<what> id must be a positive
// integer (got 'x')".
long long parse_id(const std::string& segment, std::string_view what);

}  // namespace seedline::http
