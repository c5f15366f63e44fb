// The database the HTTP tests serve: two experiments written through the store's writer API
// (conditions, runs in several states, generation summaries, a lineage per run, a snapshot).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "http/server.hpp"

#include "store/migrations.hpp"
#include "store/snapshot_repo.hpp"
#include "support/experiment_fixture.hpp"
#include "support/temp_dir.hpp"

namespace seedline::http::fixtures {

struct ServedDb {
  testing::TempDir dir;
  std::filesystem::path path = dir / "served.db";
  testing::FixtureIds demo;   // demo_experiment()
  testing::FixtureIds other;  // "other": conditions a (one generation) and b (queued)
};

// The experiment "demo": conditions factorized, direct, small; trials 0 and 1 each.
inline testing::FixtureExperiment demo_experiment() {
  testing::FixtureExperiment e;
  e.name = "demo";
  e.conditions = {"factorized", "direct", "small"};
  e.generations = 5;
  e.runs = {{"factorized", 0, {1, 3, 6, 8}},
            {"factorized", 1, {2, 4, 5, 9}},
            {"direct", 0, {1, 2, 2, 3}},
            {"direct", 1, {0, 1, 3}, store::RunState::kRunning},
            {"small", 0, {0, 0, 1, 1}},
            {"small", 1, {1, 1, 1, 2}, store::RunState::kFailed}};
  return e;
}

inline void fill(ServedDb& s) {
  testing::create_database(s.path);
  auto db = store::open_database(s.path, store::OpenPurpose::kWrite);
  s.demo = testing::write_experiment(db, demo_experiment());
  testing::FixtureExperiment other;
  other.name = "other";
  other.conditions = {"a", "b"};
  other.runs = {{"a", 0, {1}}, {"b", 0, {}, store::RunState::kQueued}};
  s.other = testing::write_experiment(db, other);
  // One snapshot, so an individual reports "snapshot": true.
  const int64_t run = s.demo.runs.at({"factorized", 0});
  const std::vector<float> genotype = {1.0f, 2.0f};
  store::put_snapshot(db, run, s.demo.best_individuals.at(run)[2], genotype, 42);
}

// A test suite reading one filled ServedDb, written once per suite (each ctest process runs
// one suite's tests, so the shared pointer never serves two suites at a time).
class ServedSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    served_ = new ServedDb();
    fill(*served_);
  }
  static void TearDownTestSuite() {
    delete served_;
    served_ = nullptr;
  }
  // A server on the suite's database, on a port the system picks, without web files.
  static ServerOptions options() {
    ServerOptions o;
    o.db_path = served_->path;
    o.port = 0;
    o.web_files = {};
    return o;
  }
  static inline ServedDb* served_ = nullptr;
};

// A Server running on its own thread for the scope of a test.
class RunningServer {
 public:
  explicit RunningServer(ServerOptions options) : server_(std::move(options)), thread_([this] { server_.run(); }) {}
  ~RunningServer() {
    server_.stop();
    thread_.join();
  }
  uint16_t port() const { return server_.port(); }
  Server& server() { return server_; }
  std::thread& thread() { return thread_; }

 private:
  Server server_;
  std::thread thread_;
};

}  // namespace seedline::http::fixtures
