// UTF-8 validation, character counting and escaping of client bytes. The valid/invalid
// verdicts follow RFC 3629 (Unicode Table 3-7); each one agrees with Python's strict
// `bytes.decode("utf-8")`.
#include "util/utf8.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace seedline {
namespace {

TEST(Utf8, ValidatesPerRfc3629) {
  struct Case {
    const char* name;
    std::string bytes;
    bool valid;
    size_t chars;  // utf8_length
  };
  const Case cases[] = {
      {"empty", "", true, 0},
      {"ascii with NUL", std::string("a\0b", 3), true, 3},
      {"two-byte", "caf\xc3\xa9", true, 4},
      {"three-byte", "\xe2\x82\xac", true, 1},
      {"four-byte", "\xf0\x9f\x98\x80", true, 1},
      {"largest code point", "\xf4\x8f\xbf\xbf", true, 1},
      {"lone continuation", "a\x80", false, 2},
      {"overlong slash", "\xc0\xaf", false, 2},
      {"overlong three-byte", "\xe0\x80\xaf", false, 3},
      {"surrogate", "\xed\xa0\x80", false, 3},
      {"above U+10FFFF", "\xf4\x90\x80\x80", false, 4},
      {"0xff", "\xff", false, 1},
      {"cut short", "ab\xe2\x82", false, 4},
      {"latin-1", "caf\xe9", false, 4},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(valid_utf8(c.bytes), c.valid) << c.name;
    EXPECT_EQ(utf8_length(c.bytes), c.chars) << c.name;
  }
}

TEST(Utf8, EscapeKeepsCharactersAndEscapesEverythingElse) {
  EXPECT_EQ(escape_bytes("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(escape_bytes("a\xff" "b"), "a\\xffb");
  EXPECT_EQ(escape_bytes("line\nbreak\x1b[31m"), "line\\x0abreak\\x1b[31m");
  EXPECT_EQ(escape_bytes("a\\b"), "a\\\\b");
  EXPECT_EQ(escape_bytes("\xe2\x82"), "\\xe2\\x82");
  EXPECT_EQ(escape_bytes("abcdef", 3), "abc...");
  EXPECT_EQ(escape_bytes("\xc3\xa9\xc3\xa9\xc3\xa9", 2), "\xc3\xa9\xc3\xa9...");
  // Whatever the input, the output is valid UTF-8 without control characters.
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const std::string escaped = escape_bytes(all, 1000);
  EXPECT_TRUE(valid_utf8(escaped));
  for (unsigned char c : escaped) EXPECT_TRUE(c >= 0x20 && c != 0x7f) << int(c);
}

TEST(Utf8, DumpJsonReplacesInsteadOfThrowing) {
  const nlohmann::json j = {{"name", "caf\xe9"}};
  EXPECT_THROW((void)j.dump(), nlohmann::json::type_error);
  EXPECT_EQ(dump_json(j), "{\"name\":\"caf\xef\xbf\xbd\"}");
  const nlohmann::ordered_json o = {{"b", "\xff"}, {"a", 1}};
  EXPECT_EQ(dump_json(o), "{\"b\":\"\xef\xbf\xbd\",\"a\":1}");
}

}  // namespace
}  // namespace seedline
