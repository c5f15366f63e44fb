// The wire format of distributed jobs: exact bytes of small messages (derived by hand from
// the encoding rules in src/distributed/wire.hpp), round trips at the edges of every field,
// and decoders that refuse damaged input with an error instead of reading out of bounds.
#include "distributed/wire.hpp"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "distributed/wire_counters.hpp"
#include "util/error.hpp"

namespace seedline::distributed {
namespace {

using Kind = Source::Kind;

Bytes bytes(std::initializer_list<int> values) {
  Bytes b;
  for (int v : values) b.push_back(static_cast<uint8_t>(v));
  return b;
}

// Expects `f()` to throw seedline::Error kCorruption whose message contains `needle`.
template <typename F>
void expect_corrupt(F&& f, const std::string& needle, const std::string& label) {
  try {
    f();
    ADD_FAILURE() << label << ": decoded without an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption) << label << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << label << ": " << e.what();
  }
}

TEST(Wire, HelloBytesAreVarintVersionThenLengthPrefixedString) {
  const auto b = encode(Hello{1, "0.1.0"});
  EXPECT_EQ(b, bytes({0x01, 0x05, '0', '.', '1', '.', '0'}));
  EXPECT_EQ(decode_hello(b), (Hello{1, "0.1.0"}));
}

TEST(Wire, RunStartBytesAreVarintsThenTheConfig) {
  RunStart m;
  m.run_id = 300;  // varint: 0xAC 0x02
  m.noise_version = 1;
  m.kernel_version = 2;
  m.parents = 2;
  m.config_json = "{}";
  const auto b = encode(m);
  EXPECT_EQ(b, bytes({0xAC, 0x02, 0x01, 0x02, 0x02, 0x02, '{', '}'}));
  EXPECT_EQ(decode_run_start(b), m);
}

TEST(Wire, SelectionBytesAreSourcesWithFixedLittleEndianSeedsThenTheDigest) {
  const Selection m{5, {{Kind::kElite, 0, 0}, {Kind::kChild, 1, 0x0102030405060708ULL}}, 0xFF};
  const auto b = encode(m);
  // run 5, 2 parents: elite of slot 0 (kind 1, slot + 1 = 1, no seed); child of slot 1 (kind 2,
  // 2, seed little-endian); digest.
  EXPECT_EQ(b, bytes({0x05, 0x02, 0x01, 0x01, 0x02, 0x02, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  //
                      0xFF, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(decode_selection(b), m);
}

TEST(Wire, WorkBatchSharesEpisodesInATableAndOmitsARepeatedMember) {
  WorkBatch m;
  const Source child{Kind::kChild, 1, 0x10};
  m.items = {{0, 4, child, 0, 0, 0xAA}, {1, 4, child, 0, 1, 0xBB}};
  const auto b = encode(m);
  // A table of 2 (stage, episode, seed), 2 items: the first in full (flags, index, member 4,
  // source), the second flagged "same member" (1) + "next index" (2); each ends with its
  // episode reference.
  EXPECT_EQ(b, bytes({0x02,
                      0x00, 0x00, 0xAA, 0, 0, 0, 0, 0, 0, 0,  //
                      0x00, 0x01, 0xBB, 0, 0, 0, 0, 0, 0, 0,  //
                      0x02,                                   //
                      0x00, 0x00, 0x04, 0x02, 0x02, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x00,  //
                      0x03, 0x01}));
  EXPECT_EQ(decode_work(b), m);
}

TEST(Wire, ResultBytesAreIndexDeltasRawDoubleBitsZigzagStepsAndMetrics) {
  ResultBatch m{{{5, 1.5, 10, {}}, {6, -0.0, 0, {{"x", 1.5}}}}};
  const auto b = encode(m);
  EXPECT_EQ(b, bytes({0x02,
                      0x0A, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, 0x14, 0x00,  // delta 5, 1.5, steps 10, no metrics
                      0x00, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x00,           // delta 0, -0.0, steps 0
                      0x01, 0x01, 'x', 0, 0, 0, 0, 0, 0, 0xF8, 0x3F}));  // one metric "x" = 1.5
  const auto back = decode_results(b);
  EXPECT_EQ(back, m);
  EXPECT_TRUE(std::signbit(back.results[1].reward));
}

TEST(Wire, EveryMessageRoundTripsAtTheEdgesOfItsFields) {
  constexpr auto i64max = std::numeric_limits<int64_t>::max();
  constexpr auto u64max = std::numeric_limits<uint64_t>::max();
  constexpr auto i32max = std::numeric_limits<int32_t>::max();
  constexpr auto u32max = std::numeric_limits<uint32_t>::max();
  const double nan_payload = std::bit_cast<double>(0x7ff8000000000123ULL);

  const HelloReply reply{u32max, "9.9.9-dev", 1024, "node-017.cluster"};
  EXPECT_EQ(decode_hello_reply(encode(reply)), reply);
  const RunStart start{i64max, u32max, u32max, std::string(70000, 'x')};
  EXPECT_EQ(decode_run_start(encode(start)), start);
  const Genotype genotype{i64max, static_cast<uint32_t>(i32max), u64max, {0.0f, -0.0f, 1e-38f, -3.5f, INFINITY}};
  EXPECT_EQ(decode_genotype(encode(genotype)), genotype);
  EXPECT_EQ(decode_genotype(encode(Genotype{1, 0, 0, {}})), (Genotype{1, 0, 0, {}}));
  const Selection selection{7, {{Kind::kElite, 0, 0}, {Kind::kChild, i32max - 1, u64max}, {Kind::kRoot, -1, 42}},
                            0x1234567890abcdefULL};
  EXPECT_EQ(decode_selection(encode(selection)), selection);
  EXPECT_EQ(decode_selection(encode(Selection{})), Selection{});

  WorkBatch work;
  work.items = {{u32max - 1, u32max, {Kind::kRoot, -1, u64max}, u32max, u32max, u64max},
                {u32max, u32max, {Kind::kRoot, -1, u64max}, 0, 0, 0},  // same member, next index
                {3, 0, {Kind::kElite, 2, 0}, 1, 2, 5},                   // index jumps back
                {9, 1, {Kind::kChild, 2, 5}, 1, 2, 5},                   // same parent, other member
                {10, 1, {Kind::kChild, 2, 5}, 1, 3, 6},
                {11, 2, {Kind::kChild, 2, 5}, 1, 3, 6}};                 // same source, other member
  EXPECT_EQ(decode_work(encode(work)), work);
  EXPECT_EQ(decode_work(encode(WorkBatch{})), WorkBatch{});

  ResultBatch results{{{u32max, nan_payload, std::numeric_limits<int64_t>::min(), {}},
                       {0, -INFINITY, i64max, {{"lives", 3}, {"", nan_payload}, {"distance", -1e300}}},
                       {u32max, 0.1, -1, {}}}};
  const auto back = decode_results(encode(results));
  EXPECT_EQ(back, results);
  EXPECT_EQ(std::bit_cast<uint64_t>(back.results[0].reward), 0x7ff8000000000123ULL);
  EXPECT_EQ(decode_results(encode(ResultBatch{})), ResultBatch{});

  const Failure failure{{u32max, 0, 7}, 255, "member 3 (root, seed 1), stage 0, episode 0: observation is NaN"};
  EXPECT_EQ(decode_failure(encode(failure)), failure);
  EXPECT_EQ(decode_failure(encode(Failure{})), Failure{});
  EXPECT_EQ(decode_run_end(encode(RunEnd{i64max})), RunEnd{i64max});

  // ES: members with both signs in work items and center updates (fitness bits kept, NaN
  // payload included), and an optimizer state.
  WorkBatch es_work;
  es_work.items = {{0, 0, {Kind::kMember, 0, u64max, 1.0f}, 0, 0, 9}, {1, 1, {Kind::kMember, 0, u64max, -1.0f}, 0, 0, 9}};
  EXPECT_EQ(decode_work(encode(es_work)), es_work);
  const CenterUpdate update{i64max, {{Kind::kMember, 0, 5, 1.0f}, {Kind::kMember, 0, 5, -1.0f}},
                            {nan_payload, -1e300}, u64max};
  EXPECT_EQ(decode_center_update(encode(update)), update);
  EXPECT_EQ(decode_center_update(encode(CenterUpdate{})), CenterUpdate{});
  const EsState state{i64max, i64max, {0.5f, -0.0f}, {1e-30f, INFINITY}, u64max};
  EXPECT_EQ(decode_es_state(encode(state)), state);
  EXPECT_EQ(es_state_checksum(state.m, state.v), es_state_checksum(std::vector<float>{0.5f, -0.0f, 1e-30f, INFINITY}, {}));
}

TEST(Wire, AnEliteCarriesNoSeed) {
  const Selection elite{1, {{Kind::kElite, 0, 0}}, 0};
  const Selection child{1, {{Kind::kChild, 0, 0}}, 0};
  EXPECT_EQ(encode(child).size() - encode(elite).size(), 8u);
}

// Every message above, cut short at every byte and lengthened by one, is refused.
TEST(Wire, TruncatedOrOverlongMessagesAreCorruptionErrors) {
  struct Case {
    std::string name;
    Bytes bytes;
    std::function<void(std::span<const uint8_t>)> decode;
  };
  WorkBatch work{{{0, 3, {Kind::kChild, 1, 99}, 0, 0, 7}, {1, 3, {Kind::kChild, 1, 99}, 0, 1, 8}}};
  const std::vector<Case> cases = {
      {"hello", encode(Hello{1, "0.1.0"}), [](auto b) { decode_hello(b); }},
      {"hello_reply", encode(HelloReply{1, "0.1.0", 4, "h"}), [](auto b) { decode_hello_reply(b); }},
      {"run_start", encode(RunStart{3, 1, 2, "{\"a\":1}"}), [](auto b) { decode_run_start(b); }},
      {"genotype", encode(Genotype{3, 0, 5, {1, 2, 3}}), [](auto b) { decode_genotype(b); }},
      {"selection", encode(Selection{3, {{Kind::kChild, 0, 1}}, 9}), [](auto b) { decode_selection(b); }},
      {"work", encode(work), [](auto b) { decode_work(b); }},
      {"results", encode(ResultBatch{{{0, 1.0, 2, {}}, {1, 2.0, 3, {{"m", 4.0}}}}}), [](auto b) { decode_results(b); }},
      {"failure", encode(Failure{{2, 3}, 5, "boom"}), [](auto b) { decode_failure(b); }},
      {"run_end", encode(RunEnd{3}), [](auto b) { decode_run_end(b); }},
  };
  for (const auto& c : cases) {
    ASSERT_NO_THROW(c.decode(c.bytes)) << c.name;
    for (size_t n = 0; n < c.bytes.size(); ++n) {
      expect_corrupt([&] { c.decode(std::span(c.bytes).first(n)); }, c.name,
                     c.name + " cut to " + std::to_string(n) + " bytes");
    }
    auto longer = c.bytes;
    longer.push_back(0);
    expect_corrupt([&] { c.decode(longer); }, "left over", c.name + " plus one byte");
  }
}

TEST(Wire, OutOfProtocolValuesAreNamed) {
  // source kind 4
  expect_corrupt([] { decode_selection(bytes({1, 1, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0})); }, "source kind 4", "kind");
  // an ES member (kind 3, parent 0, seed, sign +) in a GA selection
  expect_corrupt([] { decode_selection(bytes({1, 1, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})); },
                 "ES member", "member in a selection");
  // a center update whose member has sign byte 2
  expect_corrupt([] { decode_center_update(bytes({1, 1, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})); },
                 "member sign 2", "sign");
  // a center update listing a child
  expect_corrupt([] { decode_center_update(bytes({1, 1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})); },
                 "not an ES member", "child in an update");
  // an optimizer state with 1 first-moment value and none for the second
  expect_corrupt([] { decode_es_state(bytes({1, 3, 1, 0, 0, 0x80, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0, 0})); },
                 "second-moment", "unequal moments");
  // a root (kind 0) with parent slot 0 (encoded 1)
  expect_corrupt([] { decode_selection(bytes({1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})); },
                 "only a root", "root with a parent");
  // member 0, an elite of parent 0, in a work item that refers to episode 1 of a table of 1
  expect_corrupt([] { decode_work(bytes({1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1})); },
                 "episode reference 1", "episode ref");
  // the first item claims "same member as the previous"
  expect_corrupt([] { decode_work(bytes({1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0})); }, "previous", "first item");
  // a count of 2^40 results in a 9-byte payload: refused before allocating
  expect_corrupt([] { decode_results(bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0, 0, 0})); }, "exceeds the payload",
                 "huge count");
  // an 11-byte varint
  expect_corrupt([] { decode_run_end(bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01})); },
                 "varint", "long varint");
  // a parent slot above 2^31-1
  expect_corrupt([] { decode_selection(bytes({1, 1, 1, 0x81, 0x80, 0x80, 0x80, 0x08, 0, 0, 0, 0, 0, 0, 0, 0})); },
                 "parent slot", "parent slot");
}

TEST(Wire, RandomBytesNeverCrashADecoder) {
  std::mt19937_64 rng(20261130);
  const std::vector<std::function<void(std::span<const uint8_t>)>> decoders = {
      [](auto b) { decode_hello(b); },     [](auto b) { decode_hello_reply(b); }, [](auto b) { decode_run_start(b); },
      [](auto b) { decode_genotype(b); },  [](auto b) { decode_selection(b); },   [](auto b) { decode_work(b); },
      [](auto b) { decode_results(b); },   [](auto b) { decode_failure(b); },     [](auto b) { decode_run_end(b); },
      [](auto b) { decode_es_state(b); },  [](auto b) { decode_center_update(b); }};
  int decoded = 0, refused = 0;
  for (int round = 0; round < 3000; ++round) {
    Bytes b(rng() % 48);
    for (auto& x : b) x = static_cast<uint8_t>(rng() % 4 == 0 ? rng() : rng() % 4);  // small values decode more often
    for (const auto& decode : decoders) {
      try {
        decode(b);
        ++decoded;
      } catch (const Error& e) {
        ASSERT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
        ++refused;
      }
    }
  }
  EXPECT_GT(decoded, 0);
  EXPECT_GT(refused, 0);
}

// The figure docs/distributed.md states: in a batch of members with two episodes each
// (member index < 128, parent slot < 127), a member costs 13 bytes of work for its first
// item (flags, member, kind, slot + 1, seed, episode reference) and 2 for the second (flags,
// reference), and each result 8 + 1 + 2 + 1 bytes (index delta, reward, steps < 8192,
// no metrics): 39 bytes per member besides the batch's header and episode table.
TEST(Wire, AMemberWithTwoEpisodesCostsAbout39BytesOfWorkAndResults) {
  WorkBatch work;
  ResultBatch results;
  std::mt19937_64 rng(7);
  for (uint32_t m = 0; m < 64; ++m) {
    const Source source{Kind::kChild, static_cast<int32_t>(rng() % 20), rng()};
    for (uint32_t e = 0; e < 2; ++e) {
      work.items.push_back({m * 2 + e, m, source, 0, e, 1000 + e});
      results.results.push_back({m * 2 + e, std::ldexp(static_cast<double>(rng() >> 11), -40), 200 + e, {}});
    }
  }
  // Besides: the work's table count (1), its two episodes (2 x 10), its item count (128: 2),
  // the first item's explicit index (1); the results' count (2).
  const size_t header = 1 + 2 * 10 + 2 + 1 + 2;
  EXPECT_EQ(encode(work).size() + encode(results).size(), 64 * 39 + header);
}

TEST(Wire, SelectionDigestIsXxh64OfTheLittleEndianChecksums) {
  const uint64_t checksums[] = {0x0102030405060708ULL, 0xffULL};
  const uint8_t raw[] = {8, 7, 6, 5, 4, 3, 2, 1, 0xff, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(selection_digest(checksums), XXH64(raw, sizeof raw, 0));
  EXPECT_NE(selection_digest(checksums), selection_digest(std::span(checksums).first(1)));
}

TEST(Wire, CountersAddPerKindSubtractAndPrintOnlyKindsWithTraffic) {
  WireCounters a;
  a.add_sent(MessageKind::kWork, 100);
  a.add_sent(MessageKind::kWork, 50);
  a.add_received(MessageKind::kResults, 30);
  const WireCounters before = a;
  a.add_sent(MessageKind::kSelection, 20);
  a.add_sent(MessageKind::kWork, 10);
  EXPECT_EQ(a.sent(MessageKind::kWork).messages, 3);
  EXPECT_EQ(a.sent(MessageKind::kWork).bytes, 160);
  EXPECT_EQ(a.total_sent().bytes, 180);
  EXPECT_EQ(a.total_received().messages, 1);
  const auto d = a.minus(before);
  EXPECT_EQ(d.sent(MessageKind::kWork).bytes, 10);
  EXPECT_EQ(d.total_sent().bytes, 30);
  EXPECT_EQ(d.total_received().bytes, 0);
  const auto j = a.to_json();
  EXPECT_EQ(j["sent"]["work"]["bytes"], 160);
  EXPECT_EQ(j["sent"]["selection"]["messages"], 1);
  EXPECT_FALSE(j["sent"].contains("hello"));
  EXPECT_EQ(j["received"]["results"]["bytes"], 30);
}

}  // namespace
}  // namespace seedline::distributed
