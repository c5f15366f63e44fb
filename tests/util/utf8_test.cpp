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

// The audit's cases of evaluator text (issue 21): NUL, control bytes, invalid UTF-8, huge sizes.
TEST(Utf8, SanitizeKeepsNulVisibleAndEscapesControlBytesAndInvalidUtf8) {
  EXPECT_EQ(sanitize_text(std::string("before\0after", 12), 100), "before\\x00after");
  EXPECT_EQ(sanitize_text("\x1b[31mred\x1b[0m", 100), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(sanitize_text("caf\xe9 \xff \xe2\x82", 100), "caf\\xe9 \\xff \\xe2\\x82");
  EXPECT_EQ(sanitize_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 100), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(sanitize_text("a\\b 'x'", 100), "a\\b 'x'");  // backslashes and quotes stay as written
  EXPECT_EQ(sanitize_text("del\x7f", 100), "del\\x7f");
}

TEST(Utf8, SanitizeKeepsLineFeedsAndTabsOnlyForMultilineText) {
  EXPECT_EQ(sanitize_text("a\nb\tc\rd", 100, true), "a\nb\tc\\x0dd");
  EXPECT_EQ(sanitize_text("a\nb\tc\rd", 100), "a\\x0ab\\x09c\\x0dd");
}

TEST(Utf8, SanitizeEscapesC1ControlsAndBidiOverridesButNotOtherCharacters) {
  EXPECT_EQ(sanitize_text("\xc2\x9b" "2J", 100), "\\xc2\\x9b2J");         // U+009B, a terminal's CSI
  EXPECT_EQ(sanitize_text("\xc2\xa0", 100), "\xc2\xa0");                    // U+00A0 no-break space
  EXPECT_EQ(sanitize_text("x\xe2\x80\xaey", 100), "x\\u202ey");            // right-to-left override
  EXPECT_EQ(sanitize_text("\xe2\x81\xa6\xe2\x81\xa9", 100), "\\u2066\\u2069");
  EXPECT_EQ(sanitize_text("\xe2\x80\xa9\xe2\x80\xaf", 100), "\xe2\x80\xa9\xe2\x80\xaf");  // U+2029, U+202F
}

TEST(Utf8, SanitizeCapsTheLengthAtACharacterBoundaryAndSaysHowMuchIsLeftOut) {
  EXPECT_EQ(sanitize_text("abcdef", 6), "abcdef");
  EXPECT_EQ(sanitize_text("abcdef", 4), "abcd... (2 bytes more)");
  EXPECT_EQ(sanitize_text("abcde", 4), "abcd... (1 byte more)");
  EXPECT_EQ(sanitize_text("\xc3\xa9\xc3\xa9\xc3\xa9", 3), "\xc3\xa9... (4 bytes more)");
  // The cap counts the rendering: an escaped byte takes four.
  EXPECT_EQ(sanitize_text("\x01\x02", 6), "\\x01... (1 byte more)");
  EXPECT_EQ(sanitize_text("abc", 10, false, 7), "abc... (7 bytes more)");  // the caller kept only a part
  EXPECT_EQ(sanitize_text("abcdef", 4, false, 7), "abcd... (9 bytes more)");
  const std::string name(500000, 'x');
  EXPECT_EQ(sanitize_text(name, 200), std::string(200, 'x') + "... (499800 bytes more)");
  std::string mib(size_t{1} << 20, '\0');
  const std::string capped = sanitize_text(mib, 16384, true);
  EXPECT_LE(capped.size(), 16384u + 32u);
  EXPECT_EQ(capped.substr(0, 8), "\\x00\\x00");
  EXPECT_NE(capped.find("... (1044480 bytes more)"), std::string::npos) << capped.substr(capped.size() - 40);
}

TEST(Utf8, SanitizedTextIsValidUtf8WithoutControlCharactersWhateverTheInput) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  all += "\xe2\x80\xae\xc2\x85";
  for (const bool multiline : {false, true}) {
    const std::string out = sanitize_text(all + all, 100000, multiline);
    EXPECT_TRUE(valid_utf8(out));
    for (size_t i = 0; i < out.size(); ++i) {
      const auto c = static_cast<unsigned char>(out[i]);
      const bool allowed_break = multiline && (c == '\n' || c == '\t');
      EXPECT_TRUE((c >= 0x20 && c != 0x7f) || allowed_break) << "byte " << int(c) << " at " << i;
      if (c == 0xc2 && i + 1 < out.size()) {
        EXPECT_GE(static_cast<unsigned char>(out[i + 1]), 0xa0) << "C1 at " << i;
      }
    }
    for (size_t cap : {0u, 1u, 5u, 77u, 300u}) {
      const std::string cut = sanitize_text(all, cap, multiline);
      EXPECT_TRUE(valid_utf8(cut)) << cap;
      EXPECT_LE(cut.size(), cap + 32) << cap;
    }
  }
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
