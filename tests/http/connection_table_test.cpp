// Who gets a connection slot (http/connection_table.hpp): limits overall and per address,
// and the connection waiting longest (at least evict_after) for a header gives way.
#include "http/connection_table.hpp"

#include <gtest/gtest.h>

namespace seedline::http {
namespace {

struct FakeSession {
  int64_t since = 0;  // waiting for a header since (ns); 0: busy with a request
  int64_t waiting_since() const { return since; }
};

using Table = ConnectionTable<FakeSession>;
constexpr int64_t kSecond = 1'000'000'000;

std::shared_ptr<FakeSession> session(int64_t since) { return std::make_shared<FakeSession>(FakeSession{since}); }

TEST(ConnectionTable, AdmitsUnderTheLimits) {
  Table t(3, 2, std::chrono::seconds(1));
  auto a = session(0), b = session(0);
  EXPECT_TRUE(t.admit("1.1.1.1", 10 * kSecond).admitted);
  t.add(a, "1.1.1.1");
  t.add(b, "1.1.1.1");
  EXPECT_TRUE(t.admit("2.2.2.2", 10 * kSecond).admitted);
  const auto same = t.admit("1.1.1.1", 10 * kSecond);  // its share is used, nobody waiting
  EXPECT_FALSE(same.admitted);
  EXPECT_EQ(same.refusal, "too many open connections from 1.1.1.1 (limit 2)");
}

TEST(ConnectionTable, TheLongestWaitingGivesWayOnlyAfterEvictAfter) {
  Table t(3, 10, std::chrono::seconds(1));
  auto busy = session(0), old = session(2 * kSecond), older = session(1 * kSecond);
  t.add(busy, "1.1.1.1");
  t.add(old, "2.2.2.2");
  t.add(older, "3.3.3.3");
  // At 1.5 s only `older` has waited a second: it gives way, whoever asks.
  auto a = t.admit("4.4.4.4", 1 * kSecond + kSecond / 2 + kSecond);
  EXPECT_TRUE(a.admitted);
  EXPECT_EQ(a.evict, older);
  // Nobody has waited a second yet: refused.
  const auto early = t.admit("4.4.4.4", 1 * kSecond + kSecond / 2);
  EXPECT_FALSE(early.admitted);
  EXPECT_EQ(early.refusal, "too many open connections (limit 3)");
  // A busy connection never gives way.
  t.remove(old.get());
  t.remove(older.get());
  t.add(session(0), "5.5.5.5");
  t.add(session(0), "6.6.6.6");
  EXPECT_FALSE(t.admit("4.4.4.4", 100 * kSecond).admitted);
}

TEST(ConnectionTable, AnAddressOverItsShareLosesOnlyItsOwnConnections) {
  Table t(10, 2, std::chrono::seconds(1));
  auto other = session(1), mine1 = session(5 * kSecond), mine2 = session(3 * kSecond);
  t.add(other, "9.9.9.9");  // waiting longest of all, but another address
  t.add(mine1, "1.1.1.1");
  t.add(mine2, "1.1.1.1");
  const auto a = t.admit("1.1.1.1", 10 * kSecond);
  EXPECT_TRUE(a.admitted);
  EXPECT_EQ(a.evict, mine2);
  EXPECT_EQ(t.live().size(), 3u);
}

}  // namespace
}  // namespace seedline::http
