// The server over real sockets (in-process, on 127.0.0.1 with a port the system picks):
// keep-alive, HEAD, size limits (413, 431), malformed requests, timeouts, the connection
// cap, tokens and non-loopback binding, reading while another connection writes, and the
// graceful stop.
#include "http/server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "http/http_fixture.hpp"
#include "store/experiment_repo.hpp"
#include "store/lineage_repo.hpp"
#include "support/http_client.hpp"
#include "util/error.hpp"

namespace seedline::http {
namespace {

using testing::HttpConnection;
using testing::http_get;
using fixtures::RunningServer;

class ServerTest : public fixtures::ServedSuite {};

TEST_F(ServerTest, ServesEveryEndpointOnOneKeptAliveConnection) {
  RunningServer s(options());
  const auto& demo = served_->demo;
  const int64_t run = demo.runs.at({"factorized", 0});
  const int64_t ind = demo.best_individuals.at(run)[2];
  const std::string exp = "/api/experiments/" + std::to_string(demo.experiment);
  struct Case {
    std::string target;
    int status;
    const char* key;  // a top-level key of the JSON body
  };
  const Case cases[] = {
      {"/api/health", 200, "status"},
      {"/api/experiments", 200, "experiments"},
      {exp, 200, "spec"},
      {exp + "/curves?metric=mean&max_points=3", 200, "conditions"},
      {exp + "/compare?metric=best&generation=1&method=exact", 200, "pairs"},
      {"/api/runs/" + std::to_string(run), 200, "best_individual"},
      {"/api/runs/" + std::to_string(run) + "/generations", 200, "generations"},
      {"/api/individuals/" + std::to_string(ind), 200, "checksum"},
      {"/api/individuals/" + std::to_string(ind) + "/lineage", 200, "path"},
      {"/api/runs/424242", 404, "error"},
      {"/api/runs/x", 400, "error"},
  };
  HttpConnection c(s.port());
  for (const auto& k : cases) {
    const auto reply = c.request(k.target);
    EXPECT_EQ(reply.status, k.status) << k.target << ": " << reply.body;
    EXPECT_EQ(reply.header("content-type"), "application/json") << k.target;
    EXPECT_TRUE(reply.json().contains(k.key)) << k.target << ": " << reply.body;
  }
  const auto root = c.request("/");
  EXPECT_EQ(root.status, 200);
  EXPECT_NE(root.body.find("scripts/setup.sh"), std::string::npos);
}

TEST_F(ServerTest, HeadSendsTheHeadersWithoutTheBody) {
  RunningServer s(options());
  HttpConnection c(s.port());
  const auto get = c.request("/api/experiments");
  const auto head = c.request("/api/experiments", {}, "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), std::to_string(get.body.size()));
  // No body bytes were sent: the next response on the connection parses cleanly.
  EXPECT_EQ(c.request("/api/health").json()["status"], "ok");
}

TEST_F(ServerTest, OversizedRequestsAreRefused) {
  auto o = options();
  o.max_body_bytes = 1024;
  o.max_header_bytes = 4096;
  RunningServer s(o);
  struct Case {
    const char* name;
    std::string request;
    int status;
    const char* code;
  };
  const Case cases[] = {
      {"declared body too large", "POST /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n", 413,
       "payload_too_large"},
      {"sent body too large",
       "POST /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" + std::string(2000, 'x'), 413,
       "payload_too_large"},
      {"chunked body too large",
       "POST /api/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + std::string(2048, 'y') +
           "\r\n0\r\n\r\n",
       413, "payload_too_large"},
      {"one huge header", "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n", 431,
       "headers_too_large"},
      {"many headers", [] {
         std::string r = "GET /api/health HTTP/1.1\r\nHost: x\r\n";
         for (int i = 0; i < 400; ++i) r += "X-H" + std::to_string(i) + ": v\r\n";
         return r + "\r\n";
       }(),
       431, "headers_too_large"},
      {"huge target", "GET /api/health?" + std::string(8000, 'q') + " HTTP/1.1\r\nHost: x\r\n\r\n", 431,
       "headers_too_large"},
      {"not HTTP", "HELLO THERE\r\n\r\n", 400, "bad_request"},
  };
  for (const auto& k : cases) {
    HttpConnection c(s.port());
    c.send(k.request);
    const auto reply = c.read_reply();
    EXPECT_EQ(reply.status, k.status) << k.name << ": " << reply.body;
    if (reply.status != 0) {
      EXPECT_EQ(reply.json()["error"]["code"], k.code) << k.name;
    }
    EXPECT_TRUE(c.closed_by_peer()) << k.name;
  }
  // A body within the limit is fine (and ignored by the GET-only API: 405 for POST).
  HttpConnection c(s.port());
  c.send("POST /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789");
  EXPECT_EQ(c.read_reply().status, 405);
}

TEST_F(ServerTest, IdleAndSlowConnectionsTimeOut) {
  auto o = options();
  o.timeout = std::chrono::milliseconds(300);
  RunningServer s(o);
  HttpConnection idle(s.port());
  EXPECT_TRUE(idle.closed_by_peer(std::chrono::milliseconds(3000)));
  HttpConnection slow(s.port());
  slow.send("GET /api/health HTTP/1.1\r\nHo");  // never finishes its headers
  EXPECT_TRUE(slow.closed_by_peer(std::chrono::milliseconds(3000)));
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitGet503) {
  auto o = options();
  o.max_connections = 2;
  RunningServer s(o);
  auto a = std::make_unique<HttpConnection>(s.port());
  HttpConnection b(s.port());
  ASSERT_EQ(a->request("/api/health").status, 200);  // both accepted and counted
  ASSERT_EQ(b.request("/api/health").status, 200);
  HttpConnection third(s.port());
  const auto refused = third.read_reply();
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.json()["error"]["code"], "unavailable");
  a.reset();  // frees a slot once the server sees the close
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    status = http_get(s.port(), "/api/health").status;
  }
  EXPECT_EQ(status, 200);
}

TEST_F(ServerTest, NonLoopbackHostsRequireAToken) {
  auto o = options();
  o.host = "0.0.0.0";
  try {
    Server refused(o);
    ADD_FAILURE() << "started on 0.0.0.0 without a token";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("not a loopback address"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--token"), std::string::npos) << e.what();
  }
  o.token = "tok-123";
  RunningServer s(o);  // 0.0.0.0 includes 127.0.0.1
  EXPECT_EQ(http_get(s.port(), "/api/health").status, 401);
  EXPECT_EQ(http_get(s.port(), "/api/health", {"Authorization: Bearer nope"}).status, 401);
  EXPECT_EQ(http_get(s.port(), "/api/health", {"Authorization: Bearer tok-123"}).status, 200);
}

TEST(IsLoopbackHost, Table) {
  const std::pair<const char*, bool> cases[] = {
      {"127.0.0.1", true}, {"127.1.2.3", true}, {"localhost", true}, {"::1", true}, {"::ffff:127.0.0.1", true},
      {"0.0.0.0", false},  {"::", false},       {"10.0.0.1", false}, {"192.168.1.5", false}};
  for (const auto& [host, loopback] : cases) EXPECT_EQ(is_loopback_host(host), loopback) << host;
  EXPECT_THROW(is_loopback_host("example.com"), Error);
}

TEST_F(ServerTest, StartupErrorsNameTheProblem) {
  struct Case {
    const char* name;
    std::function<void(ServerOptions&)> change;
    ErrorCode code;
    const char* message;
  };
  const RunningServer busy(options());
  const uint16_t taken = busy.port();
  const Case cases[] = {
      {"missing database", [](ServerOptions& o) { o.db_path = served_->dir / "nope.db"; }, ErrorCode::kNotFound,
       "nope.db"},
      {"port in use", [taken](ServerOptions& o) { o.port = taken; }, ErrorCode::kIOError, "cannot listen on 127.0.0.1"},
      {"bad host", [](ServerOptions& o) { o.host = "my-laptop"; }, ErrorCode::kInvalidArgument, "'my-laptop'"},
      {"no threads", [](ServerOptions& o) { o.threads = 0; }, ErrorCode::kInvalidArgument, "threads"},
  };
  for (const auto& c : cases) {
    auto o = options();
    c.change(o);
    try {
      Server server(o);
      ADD_FAILURE() << c.name << ": started";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), c.code) << c.name << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << c.name << ": " << e.what();
    }
  }
}

TEST_F(ServerTest, ServesWhileAnotherConnectionWrites) {
  testing::TempDir dir;
  const auto path = dir / "live.db";
  testing::create_database(path);
  auto writer = store::open_database(path, store::OpenPurpose::kWrite);
  testing::FixtureExperiment e;
  e.name = "live";
  e.conditions = {"a", "b"};
  e.runs = {{"a", 0, {0}, store::RunState::kRunning}, {"b", 0, {0}, store::RunState::kRunning}};
  auto ids = testing::write_experiment(writer, e);
  const int64_t run_a = ids.runs.at({"a", 0});

  auto o = options();
  o.db_path = path;
  RunningServer s(o);
  constexpr int kGenerations = 60;
  std::atomic<bool> done{false};
  std::thread write([&] {
    // The runner's pattern: each generation commits its individuals and summary together.
    for (int g = 1; g < kGenerations; ++g) {
      store::Transaction tx(writer);
      for (int64_t run : {run_a, ids.runs.at({"b", 0})}) {
        const store::NewIndividual child{ids.best_individuals.at(run).back(), static_cast<uint64_t>(g), g, 1.0 * g,
                                         std::nullopt};
        const auto [first, last] = store::insert_individuals(writer, run, std::span(&child, 1));
        ids.best_individuals.at(run).push_back(first);
        store::GenerationRow row;
        row.run_id = run;
        row.generation = g;
        row.first_individual = first;
        row.last_individual = last;
        row.best = row.mean = row.median = g;
        row.best_individual = first;
        store::insert_generation(writer, row);
      }
      tx.commit();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    done = true;
  });
  int requests = 0, last_seen = 0;
  HttpConnection c(s.port());
  const std::string curves = "/api/experiments/" + std::to_string(ids.experiment) + "/curves";
  while (!done || requests < 5) {
    const auto reply = c.request(requests % 2 ? curves : "/api/runs/" + std::to_string(run_a));
    ASSERT_EQ(reply.status, 200) << reply.body;
    if (requests % 2 == 0) {
      const int g = reply.json()["generation"];
      EXPECT_GE(g, last_seen);  // committed generations only ever grow
      last_seen = g;
    }
    ++requests;
  }
  write.join();
  const auto final_curves = c.request(curves).json();
  EXPECT_EQ(final_curves["conditions"][0]["generations"].size(), static_cast<size_t>(kGenerations));
  EXPECT_EQ(c.request("/api/runs/" + std::to_string(run_a)).json()["generation"], kGenerations - 1);
}

TEST_F(ServerTest, StopAnswersRequestsInFlightThenReturns) {
  auto server = std::make_unique<Server>(options());
  std::atomic<bool> returned{false};
  std::thread t([&] {
    server->run();
    returned = true;
  });
  HttpConnection idle(server->port());
  ASSERT_EQ(idle.request("/api/health").status, 200);  // kept alive, now idle
  HttpConnection busy(server->port());
  busy.send("GET /api/experiments HTTP/1.1\r\nHost: x\r\n");  // half a request
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server->stop();
  EXPECT_TRUE(idle.closed_by_peer());
  busy.send("\r\n");  // the in-flight request completes and is answered
  const auto reply = busy.read_reply();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("connection"), "close");
  EXPECT_TRUE(busy.closed_by_peer());
  t.join();
  EXPECT_TRUE(returned);
  // Nothing listens any more.
  EXPECT_THROW(HttpConnection(server->port()), std::runtime_error);
}

}  // namespace
}  // namespace seedline::http
