// The wire format of docs/evaluator-protocol.md, byte for byte: a C or Julia client is
// written against these layouts, so they are pinned here.
#include <gtest/gtest.h>

#include <cmath>

#include "evaluator/protocol.hpp"

namespace seedline::evaluator {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}

TEST(EvaluatorProtocol, AFrameIsTypeThenLengthLittleEndianThenThePayload) {
  EXPECT_EQ(encode_frame(FrameType::kReady, "{}"), bytes({2, 0, 0, 0, 2, 0, 0, 0, '{', '}'}));
}

TEST(EvaluatorProtocol, EvalIsThirtyTwoBytesOfLittleEndianFields) {
  EvalRequest r;
  r.item = 0x0102030405060708ull;
  r.episode_seed = 0xfedcba9876543210ull;
  r.member = 7;
  r.episode = 2;
  r.weights_serial = 9;
  const std::string p = encode_eval(r);
  ASSERT_EQ(p.size(), kEvalBytes);
  EXPECT_EQ(p.substr(0, 8), bytes({8, 7, 6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(p.substr(8, 8), bytes({0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe}));
  EXPECT_EQ(p.substr(16, 8), bytes({7, 0, 0, 0, 2, 0, 0, 0}));
  const auto back = decode_eval(p);
  EXPECT_EQ(back.item, r.item);
  EXPECT_EQ(back.episode_seed, r.episode_seed);
  EXPECT_EQ(back.member, 7u);
  EXPECT_EQ(back.episode, 2u);
  EXPECT_EQ(back.weights_serial, 9u);
}

TEST(EvaluatorProtocol, ResultCarriesRewardStepsAndNamedMetrics) {
  EvalResult r;
  r.item = 3;
  r.reward = -1.5;
  r.steps = 42;
  r.metrics = {{"distance", 12.25}, {"crashes", 0}};
  const std::string p = encode_result(r);
  // item, reward (-1.5 = 0xbff8000000000000), steps, count, then "distance" and its value.
  EXPECT_EQ(p.substr(8, 8), bytes({0, 0, 0, 0, 0, 0, 0xf8, 0xbf}));
  EXPECT_EQ(p.substr(16, 8), bytes({42, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(p.substr(24, 4), bytes({2, 0, 0, 0}));
  EXPECT_EQ(p.substr(28, 4), bytes({8, 0, 0, 0}));
  EXPECT_EQ(p.substr(32, 8), "distance");
  const auto back = decode_result(p);
  EXPECT_EQ(back.item, 3u);
  EXPECT_EQ(back.reward, -1.5);
  EXPECT_EQ(back.steps, 42);
  EXPECT_EQ(back.metrics, r.metrics);
}

TEST(EvaluatorProtocol, MalformedPayloadsAreProtocolErrorsSayingWhy) {
  EvalResult r;
  r.metrics = {{"x", 1}};
  const std::string good = encode_result(r);
  const struct {
    const char* name;
    std::string payload;
    const char* says;
  } cases[] = {
      {"cut short", good.substr(0, 12), "ends in the middle of a field"},
      {"trailing bytes", good + "zz", "2 bytes after its last field"},
      {"empty metric name", bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
                                   0, 0, 0, 0}),
       "name of 0 bytes"},
      {"too many metrics", bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0}),
       "100 metrics"},
  };
  for (const auto& c : cases) {
    try {
      decode_result(c.payload);
      ADD_FAILURE() << c.name << ": accepted";
    } catch (const ProtocolError& e) {
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << c.name << ": " << e.what();
    }
  }
}

TEST(EvaluatorProtocol, TheReaderCutsFramesAcrossPartialReadsAndRefusesGarbage) {
  FrameReader reader;
  const std::string two = encode_frame(FrameType::kResult, "abc") + encode_frame(FrameType::kError, "");
  for (size_t i = 0; i < two.size(); ++i) {
    reader.append(&two[i], 1);
    if (i + 1 < 11) {
      EXPECT_FALSE(reader.next()) << i;  // the first frame is 8 + 3 bytes
    }
  }
  auto a = reader.next();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->type, FrameType::kResult);
  EXPECT_EQ(a->payload, "abc");
  auto b = reader.next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->type, FrameType::kError);
  EXPECT_FALSE(reader.next());

  FrameReader text;
  const std::string hello = "hello world\n";
  text.append(hello.data(), hello.size());
  EXPECT_THROW(text.next(), ProtocolError);
  FrameReader huge;
  const std::string big = bytes({4, 0, 0, 0, 0, 0, 0, 0x10});
  huge.append(big.data(), big.size());
  EXPECT_THROW(huge.next(), ProtocolError);
}

}  // namespace
}  // namespace seedline::evaluator
