// Request targets: decoding, segments, query parameters, and what is refused.
#include "http/target.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "util/error.hpp"

namespace seedline::http {
namespace {

TEST(ParseTarget, SplitsAndDecodes) {
  struct Case {
    const char* target;
    std::vector<std::string> segments;
    std::vector<std::pair<std::string, std::string>> query;
  };
  const Case cases[] = {
      {"/", {}, {}},
      {"/api/runs/3", {"api", "runs", "3"}, {}},
      {"//api///runs/", {"api", "runs"}, {}},
      {"/api/./health", {"api", "health"}, {}},
      {"/api/experiments/my%20exp", {"api", "experiments", "my exp"}, {}},
      {"/x?a=1&b=two+words&c=%26&d", {"x"}, {{"a", "1"}, {"b", "two words"}, {"c", "&"}, {"d", ""}}},
      {"/x?&&a=1&", {"x"}, {{"a", "1"}}},
      {"/x?a=1?b", {"x"}, {{"a", "1?b"}}},
  };
  for (const auto& c : cases) {
    const auto t = parse_target(c.target);
    EXPECT_EQ(t.segments, c.segments) << c.target;
    EXPECT_EQ(t.query, c.query) << c.target;
  }
}

TEST(ParseTarget, RefusesTraversalAndMalformedTargets) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "must be a path starting with '/'"},
      {"http://example.com/", "must be a path starting with '/'"},
      {"/../x", "path traversal refused: '..'"},
      {"/a/%2e%2e/b", "path traversal refused: '..'"},
      {"/a/%2E%2e", "path traversal refused: '..'"},
      {"/a\\b", "path traversal refused: backslash"},
      {"/a%5Cb", "path traversal refused: backslash"},
      {"/a%00b", "control character"},
      {"/a%0d%0aSet-Cookie:x", "control character"},
      {"/a%2", "malformed percent-escape"},
      {"/a%g0", "malformed percent-escape"},
      {"/x?a=%zz", "malformed percent-escape"},
  };
  for (const auto& [target, message] : cases) {
    try {
      parse_target(target);
      ADD_FAILURE() << target << ": accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << target;
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << target << ": " << e.what();
    }
  }
}

TEST(QueryParams, TypedAccessWithNamedErrors) {
  const auto t = parse_target("/x?n=42&flag=true&neg=-3&word=abc");
  const QueryParams q(t, {"n", "flag", "neg", "word", "absent"});
  EXPECT_EQ(q.integer("n", 7, 0, 100), 42);
  EXPECT_EQ(q.integer("absent", 7, 0, 100), 7);
  EXPECT_FALSE(q.integer("absent", std::nullopt, 0, 100).has_value());
  EXPECT_TRUE(q.flag("flag", false));
  EXPECT_FALSE(q.flag("absent", false));
  EXPECT_EQ(q.get("word"), "abc");
  const std::pair<std::function<void()>, const char*> bad[] = {
      {[&] { q.integer("neg", 0, 0, 10); }, "'neg' must be an integer in 0..10 (got '-3')"},
      {[&] { q.integer("word", 0, 0, 10); }, "(got 'abc')"},
      {[&] { q.integer("n", 0, 0, 10); }, "(got '42')"},
      {[&] { q.flag("word", false); }, "'word' must be 0, 1, true or false"},
      {[&] { QueryParams(t, {"n"}); }, "unknown query parameter 'flag' (expected one of: n)"},
      {[&] { QueryParams(parse_target("/x?n=1&n=2"), {"n"}); }, "'n' is given more than once"},
  };
  for (const auto& [call, message] : bad) {
    try {
      call();
      ADD_FAILURE() << message << ": no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}

TEST(ParseId, PositiveIntegersOnly) {
  EXPECT_EQ(parse_id("1", "run"), 1);
  EXPECT_EQ(parse_id("9223372036854775807", "run"), 9223372036854775807LL);
  for (const char* bad : {"", "0", "-1", "+1", "1.0", "1e3", " 1", "9223372036854775808", "0x10"}) {
    EXPECT_THROW(parse_id(bad, "run"), Error) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace seedline::http
