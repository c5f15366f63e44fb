// The server against bytes a hostile client sends (docs/guarantees.md): invalid UTF-8 in the
// path, a query parameter name or value, or an id is answered 400 with a JSON error, every
// request is answered (pipelined ones behind a bad one too), HTTP/1.1 without Host is 400,
// and a name stored by another program that is not UTF-8 is served, not a 500.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "http/http_fixture.hpp"
#include "support/http_client.hpp"

namespace seedline::http {
namespace {

using fixtures::RunningServer;
using testing::HttpConnection;

// Percent-encodes every byte, so the request line itself is plain ASCII and only the decoded
// target is bad.
std::string encode(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

// Byte strings that are not UTF-8, one kind each (RFC 3629): a lone continuation byte, bytes
// that never occur, an overlong form, a surrogate, a code point above U+10FFFF, and a
// sequence cut short.
const std::vector<std::string>& bad_sequences() {
  static const std::vector<std::string> kBad = {
      "\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xff", "\xfe", "\xf5\x80\x80\x80", "\xe0\x80\x80",
      "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3", "\xe2\x82", "\xf0\x9f\x98"};
  return kBad;
}

// A seeded fuzz of targets: ASCII letters (and valid UTF-8 "é") around one bad sequence, placed
// in each part of a target the router reads.
std::vector<std::string> fuzz_targets(int count, int64_t experiment) {
  std::mt19937 rng(20261130);
  const auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  const std::string exp = "/api/experiments/" + std::to_string(experiment);
  const std::vector<std::string> before = {
      "/", "/api/", "/api/experiments/", "/api/runs/", "/api/individuals/", "/api/health?",
      exp + "/curves?metric=", "/api/runs/1/generations?max_points=", "/api/individuals/1/genome?format=",
      exp + "/compare?metric=best&generation=",
  };
  const std::vector<std::string> after = {"", "", "", "", "/genome", "=1", "", "", "&phenotype=1", ""};
  std::vector<std::string> targets;
  for (int i = 0; i < count; ++i) {
    const size_t where = pick(before.size());
    std::string bytes;
    for (size_t k = pick(4); k > 0; --k) bytes += static_cast<char>('a' + pick(26));
    if (pick(2) == 0) bytes += "\xc3\xa9";
    bytes += bad_sequences()[pick(bad_sequences().size())];
    for (size_t k = pick(4); k > 0; --k) bytes += static_cast<char>('a' + pick(26));
    targets.push_back(before[where] + encode(bytes) + after[where]);
  }
  return targets;
}

class HostileInput : public fixtures::ServedSuite {};

// Each reply: 400, a JSON body that parses (nlohmann refuses invalid UTF-8, so the body is
// valid UTF-8), code invalid_argument, a message that says what was wrong.
void expect_utf8_error(const testing::HttpReply& reply, const std::string& target) {
  ASSERT_EQ(reply.status, 400) << target << ": " << reply.body;
  nlohmann::json body;
  ASSERT_NO_THROW(body = reply.json()) << target << ": " << reply.body;
  EXPECT_EQ(body["error"]["code"], "invalid_argument") << target;
  EXPECT_NE(body["error"]["message"].get<std::string>().find("invalid UTF-8"), std::string::npos)
      << target << ": " << reply.body;
}

TEST_F(HostileInput, InvalidUtf8AnywhereInTheTargetIs400AndEveryRequestIsAnswered) {
  RunningServer s(options());
  const auto targets = fuzz_targets(400, served_->demo.experiment);
  // One request per connection.
  for (size_t i = 0; i < 40; ++i) {
    expect_utf8_error(testing::http_get(s.port(), targets[i]), targets[i]);
  }
  // All of them pipelined on one kept-alive connection, then a good request behind them:
  // one bad request must not drop the ones queued after it.
  HttpConnection c(s.port());
  std::string batch;
  for (const auto& t : targets) batch += "GET " + t + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  batch += "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  ASSERT_TRUE(c.send(batch));
  for (const auto& t : targets) {
    const auto reply = c.read_reply();
    ASSERT_NE(reply.status, 0) << "no reply to " << t;
    expect_utf8_error(reply, t);
  }
  EXPECT_EQ(c.read_reply().status, 200);
}

TEST_F(HostileInput, TheSameTargetsWithATokenAre400NotAnInternalError) {
  auto o = options();
  o.token = "secret";
  RunningServer s(o);
  HttpConnection c(s.port());
  for (const auto& t : fuzz_targets(50, served_->demo.experiment)) {
    expect_utf8_error(c.request(t, {"Authorization: Bearer secret"}), t);
  }
}

TEST_F(HostileInput, RawNonAsciiBytesInTheRequestLineAreAnswered) {
  RunningServer s(options());
  // Not percent-encoded: whichever layer refuses them (the HTTP parser or the router), the
  // client gets a 400 JSON error, never a silent close.
  for (const std::string& bad : std::vector<std::string>{"\xff", "\xc3\x28", "\xed\xa0\x80"}) {
    HttpConnection c(s.port());
    ASSERT_TRUE(c.send("GET /api/experiments/" + bad + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto reply = c.read_reply();
    EXPECT_EQ(reply.status, 400) << reply.body;
    EXPECT_NO_THROW(reply.json()) << reply.body;
  }
}

TEST_F(HostileInput, Http11WithoutHostIs400AndTheConnectionGoesOn) {
  RunningServer s(options());
  HttpConnection c(s.port());
  ASSERT_TRUE(c.send("GET /api/health HTTP/1.1\r\n\r\nGET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto missing = c.read_reply();
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.json()["error"]["message"].get<std::string>().find("Host"), std::string::npos);
  EXPECT_EQ(c.read_reply().status, 200);
  // HTTP/1.0 has no Host requirement.
  HttpConnection old(s.port());
  ASSERT_TRUE(old.send("GET /api/health HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(old.read_reply().status, 200);
}

TEST(HostileStoredNames, ANameThatIsNotUtf8IsServedWithReplacementCharacters) {
  fixtures::ServedDb served;
  testing::create_database(served.path);
  {
    auto db = store::open_database(served.path, store::OpenPurpose::kWrite);
    testing::FixtureExperiment e;
    e.name = "caf\xe9";  // Latin-1, as another program might have written it
    e.conditions = {"c\xff"};
    e.runs = {{"c\xff", 0, {1, 2}}};
    served.demo = testing::write_experiment(db, e);
  }
  ServerOptions o;
  o.db_path = served.path;
  o.port = 0;
  o.web_files = {};
  RunningServer s(o);
  HttpConnection c(s.port());
  const std::vector<std::string> targets = {"/api/experiments",
                                           "/api/experiments/" + std::to_string(served.demo.experiment),
                                           "/api/runs/" + std::to_string(served.demo.runs.at({"c\xff", 0}))};
  for (const auto& target : targets) {
    const auto reply = c.request(target);
    ASSERT_EQ(reply.status, 200) << target << ": " << reply.body;
    EXPECT_NE(reply.body.find("\xef\xbf\xbd"), std::string::npos) << target << ": " << reply.body;  // U+FFFD
    EXPECT_NO_THROW(reply.json()) << target;
  }
}

}  // namespace
}  // namespace seedline::http
