// A distributed job inside one process: the run driver on "rank 0" evaluating through a
// RemoteExecutor, two ExecutorWorker ranks on threads, the in-process transport between
// them. The histories must equal a plain single-process run's, for fresh and resumed runs;
// a resumed run's parents cross once per worker; a worker whose derived parents differ
// from rank 0's says so. (tests/distributed/mpi_run_test.cpp does the same over mpirun.)
#include "distributed/remote_executor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "distributed/executor_worker.hpp"
#include "distributed/local_fabric.hpp"
#include "evolve/experiment.hpp"
#include "runner/daemon.hpp"
#include "runner/submit.hpp"
#include "runner/runner_testing.hpp"
#include "store/run_repo.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::distributed {
namespace {

using seedline::testing::TempDir;
namespace rt = seedline::runner::testing;

store::Database submitted(const std::filesystem::path& path, const std::string& text) {
  auto db = store::open_database(path, store::OpenPurpose::kCreate);
  runner::submit_experiment(db, evolve::parse_experiment(text, "test.json"), "test.json");
  return db;
}

runner::DaemonReport run_all(store::Database& db, int threads, runner::Executor* executor = nullptr) {
  runner::DaemonOptions options;
  options.threads = threads;
  options.once = true;
  options.executor = executor;
  std::atomic<bool> stop{false};
  return runner::run_daemon(db, options, stop);
}

// Ranks 1..n-1 as ExecutorWorkers (two threads each) on threads of this process, and rank 0's
// dealer and executor (one thread of its own). Generation records go to `generations`.
class Job {
 public:
  explicit Job(int ranks) : fabric_(ranks) {
    for (int r = 1; r < ranks; ++r) {
      pools_.push_back(std::make_unique<runner::ThreadPool>(2));
      handlers_.push_back(std::make_unique<ExecutorWorker>(*pools_.back()));
    }
    for (int r = 1; r < ranks; ++r) {
      threads_.emplace_back([this, r] {
        try {
          serve_worker(fabric_.rank(r), *handlers_[static_cast<size_t>(r - 1)], 100);
        } catch (const std::exception& e) {
          ADD_FAILURE() << "rank " << r << ": " << e.what();
        }
      });
    }
    dealer_ = std::make_unique<Dealer>(fabric_.rank(0));
    RemoteExecutor::Options options;
    options.local_pool = &pool_;
    options.on_generation = [this](const GenerationWire& g) { generations.push_back(g); };
    executor_ = std::make_unique<RemoteExecutor>(*dealer_, options);
  }
  ~Job() {
    executor_.reset();
    dealer_->shutdown();
    for (auto& t : threads_) t.join();
  }
  runner::Executor& executor() { return *executor_; }
  std::vector<GenerationWire> generations;

 private:
  testing::LocalFabric fabric_;
  runner::ThreadPool pool_{1};
  std::vector<std::unique_ptr<runner::ThreadPool>> pools_;
  std::vector<std::unique_ptr<ExecutorWorker>> handlers_;
  std::vector<std::thread> threads_;
  std::unique_ptr<Dealer> dealer_;
  std::unique_ptr<RemoteExecutor> executor_;
};

void expect_same(const std::filesystem::path& a, const std::filesystem::path& b, const std::string& label) {
  const auto x = rt::read_histories(a), y = rt::read_histories(b);
  ASSERT_EQ(x.size(), y.size()) << label;
  for (const auto& [run, h] : x) {
    EXPECT_EQ(h.state, "finished") << label << " run " << run;
    EXPECT_EQ(rt::first_difference(h, y.at(run)), "") << label << " run " << run;
  }
}

TEST(RemoteExecutor, RunsOverThreeRanksGiveTheHistoriesOfOneProcess) {
  TempDir dir;
  for (const auto& [name, spec] : {std::pair<std::string, const char*>{"sphere", rt::kSphereExperiment},
                                   std::pair<std::string, const char*>{"cartpole", rt::kCartpoleExperiment}}) {
    auto plain = submitted(dir / (name + "-plain.db"), spec);
    run_all(plain, 1);
    auto spread = submitted(dir / (name + "-mpi.db"), spec);
    Job job(3);
    const auto report = run_all(spread, 1, &job.executor());
    EXPECT_EQ(report.finished.size(), 2u) << name;
    expect_same(dir / (name + "-plain.db"), dir / (name + "-mpi.db"), name);
    // Two runs of 8 (sphere) or 6 (cartpole) generations; fresh runs send no genotype.
    EXPECT_EQ(job.generations.size(), name == "sphere" ? 16u : 12u);
    for (const auto& g : job.generations) {
      EXPECT_EQ(g.counters.sent(MessageKind::kGenotype).bytes, 0);
      EXPECT_EQ(g.counters.sent(MessageKind::kSelection).messages, 2);  // one per worker
      EXPECT_GT(g.evaluated, 0);
    }
  }
}

TEST(RemoteExecutor, AResumedRunGetsItsParentsOnceAndEndsAsIfUninterrupted) {
  TempDir dir;
  auto reference = submitted(dir / "ref.db", rt::kCartpoleExperiment);
  run_all(reference, 1);
  auto db = submitted(dir / "a.db", rt::kCartpoleExperiment);
  {
    // Pause the first run after generation 2 in a plain process.
    std::atomic<bool> stop{false};
    runner::DriverOptions options;
    options.stop = &stop;
    options.on_generation = [&](const runner::GenerationTiming& t) {
      if (t.generation == 2) stop = true;
    };
    runner::ThreadPool pool(1);
    auto claimed = store::claim_run(db, {"me", 1e9, 60, std::nullopt});
    ASSERT_TRUE(claimed);
    ASSERT_EQ(runner::drive_run(db, *claimed, "me", pool, options).outcome, runner::RunOutcome::kPaused);
  }
  Job job(3);
  run_all(db, 1, &job.executor());
  expect_same(dir / "ref.db", dir / "a.db", "resumed");
  // kCartpoleExperiment keeps 3 parents; the paused run resumes at generation 3 and sends each
  // of them to both workers once, in its first generation only.
  ASSERT_FALSE(job.generations.empty());
  const auto& first = job.generations.front().counters.sent(MessageKind::kGenotype);
  EXPECT_EQ(first.messages, 2 * 3);
  int64_t later = 0;
  for (size_t k = 1; k < job.generations.size(); ++k) {
    later += job.generations[k].counters.sent(MessageKind::kGenotype).bytes;
  }
  EXPECT_EQ(later, 0);
}

TEST(RemoteExecutor, AWorkerWhoseParentsDifferFromRankZerosSaysSo) {
  runner::ThreadPool pool(1);
  ExecutorWorker worker(pool);
  const auto spec = evolve::parse_experiment(rt::kSphereExperiment, "test.json");
  RunStart start;
  start.run_id = 4;
  start.noise_version = 1;
  start.config_json = spec.conditions.at(0).to_json().dump();
  worker.start_run(start);
  Selection selection{4, {{Source::Kind::kRoot, -1, 11}, {Source::Kind::kRoot, -1, 12}}, 0x1234};
  try {
    worker.select(selection);
    ADD_FAILURE() << "accepted a wrong digest";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
    EXPECT_NE(std::string(e.what()).find("differ from rank 0's"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("0000000000001234"), std::string::npos) << e.what();
  }
  // A genotype whose checksum does not match is refused too.
  RunStart resumed = start;
  resumed.parents = 1;
  worker.start_run(resumed);
  EXPECT_THROW(worker.add_genotype(Genotype{4, 0, 99, {1.0f, 2.0f}}), Error);
}

}  // namespace
}  // namespace seedline::distributed
