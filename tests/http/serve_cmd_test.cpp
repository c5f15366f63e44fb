// `seedline serve` as a user runs it: prints its URL (--port 0 picks a port), serves, exits
// 0 on SIGTERM/SIGINT after answering the request in flight, and refuses a non-loopback
// bind without a token.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "http/http_fixture.hpp"
#include "support/http_client.hpp"

namespace seedline::http {
namespace {

using testing::HttpConnection;
using testing::http_get;
using testing::ServeProcess;

class ServeCommand : public ::testing::Test {
 protected:
  void SetUp() override { fixtures::fill(served_); }
  fixtures::ServedDb served_;
};

TEST_F(ServeCommand, PrintsItsUrlAndStopsGracefullyOnSignals) {
  for (int sig : {SIGTERM, SIGINT}) {
    ServeProcess serve(served_.path, {"--port", "0", "--threads", "2"});
    ASSERT_NE(serve.port(), 0) << serve.output() << serve.errors();
    EXPECT_NE(serve.output().find("http://127.0.0.1:" + std::to_string(serve.port()) + "/"), std::string::npos);
    EXPECT_EQ(http_get(serve.port(), "/api/health").json()["status"], "ok");
    const auto experiments = http_get(serve.port(), "/api/experiments").json();
    EXPECT_EQ(experiments["experiments"][0]["name"], "demo");

    // A request the server has started reading when the signal comes: the connection is
    // first proven live with a whole request, then the next one is sent all but its last line
    // and given time to arrive (a connection with nothing received yet counts as idle and is
    // closed at once, which is right, but not what this checks).
    HttpConnection in_flight(serve.port());
    EXPECT_EQ(in_flight.request("/api/health").status, 200);
    in_flight.send("GET /api/experiments/demo/curves HTTP/1.1\r\nHost: x\r\n");  // not finished yet
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::thread finish([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      in_flight.send("\r\n");
    });
    const int code = serve.stop(sig);
    finish.join();
    EXPECT_EQ(code, 0) << "signal " << sig << ": " << serve.errors();
    const auto reply = in_flight.read_reply();
    EXPECT_EQ(reply.status, 200) << "signal " << sig;
    EXPECT_EQ(reply.json()["metric"], "best");
    EXPECT_NE(serve.output().find("stopped"), std::string::npos) << serve.output();
  }
}

TEST_F(ServeCommand, NonLoopbackNeedsATokenFromTheFlagOrEnvironment) {
  ServeProcess refused(served_.path, {"--host", "0.0.0.0", "--port", "0"});
  EXPECT_EQ(refused.port(), 0);
  EXPECT_EQ(refused.wait_exit(), 1);
  EXPECT_NE(refused.errors().find("not a loopback address, without a token"), std::string::npos) << refused.errors();
  EXPECT_NE(refused.errors().find("$SEEDLINE_TOKEN"), std::string::npos) << refused.errors();

  for (const auto& [args, env] :
       {std::pair<std::vector<std::string>, std::vector<std::string>>{{"--token", "flag-token"}, {}},
        {{}, {"SEEDLINE_TOKEN=flag-token"}}}) {
    std::vector<std::string> all = {"--host", "0.0.0.0", "--port", "0"};
    all.insert(all.end(), args.begin(), args.end());
    ServeProcess serve(served_.path, all, env);
    ASSERT_NE(serve.port(), 0) << serve.errors();
    EXPECT_EQ(http_get(serve.port(), "/api/health").status, 401);
    EXPECT_EQ(http_get(serve.port(), "/api/health", {"Authorization: Bearer wrong"}).status, 401);
    EXPECT_EQ(http_get(serve.port(), "/api/health", {"Authorization: Bearer flag-token"}).status, 200);
    EXPECT_EQ(serve.stop(SIGTERM), 0);
  }
}

TEST_F(ServeCommand, AMissingDatabaseIsAOneLineError) {
  ServeProcess serve(served_.dir / "absent.db", {"--port", "0"});
  EXPECT_EQ(serve.wait_exit(), 1);
  EXPECT_NE(serve.errors().find("absent.db"), std::string::npos) << serve.errors();
  EXPECT_EQ(serve.port(), 0);
}

}  // namespace
}  // namespace seedline::http
