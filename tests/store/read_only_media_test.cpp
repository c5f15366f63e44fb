// Reading a finished database where nothing can be written (docs/guarantees.md): in a
// directory nobody may write, or a file nobody may write, the read-only commands and `serve`
// work (SQLite's immutable mode) and say that nothing can be written; where the owner could
// still write, the refusal says why and what to do; write commands name the directory.
//
// Permission bits do not bind root, and CI runs the tests as root: the commands then run as
// `nobody` (uid 65534) in a child process, as an ordinary user would.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "store/migrations.hpp"
#include "store/lineage_repo.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline::store {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;

constexpr int kNobody = 65534;

class ReadOnlyMedia : public ::testing::Test {
 protected:
  void SetUp() override {
    // Every directory on the way must be enterable by the unprivileged user.
    fs::permissions(dir_.path(), fs::perms(0755));
    media_ = dir_ / "media";
    out_ = dir_ / "out";
    fs::create_directory(media_);
    fs::create_directory(out_);
    fs::permissions(out_, fs::perms(0777));
    db_ = media_ / "finished.db";
    // A real finished experiment, so genomes rebuild: two conditions, two trials each.
    testing::write_file(dir_ / "exp.json", R"({"name": "finished", "trials": 2, "task": {"type": "sphere"},
      "network": [{"type": "dense", "in": 4, "out": 4}],
      "ga": {"population": 6, "elites": 1, "generations": 3, "stages": [{"keep": 3}]},
      "conditions": [{"name": "a", "representation": {"type": "direct"}},
                     {"name": "b", "representation": {"type": "factorized", "rank": 1}}]})");
    const auto r = testing::run_seedline({"--db", db_.string(), "run", (dir_ / "exp.json").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    {
      auto db = open_database(db_, OpenPurpose::kRead);
      best_ = store::individuals_of_run(db, 1).back().id;
      experiment_ = 1;
    }
    // A reader leaves an empty -wal and a -shm behind; nothing has the file open now, so the
    // file is as a writer that finished and closed it left it.
    fs::remove(db_.string() + "-wal");
    fs::remove(db_.string() + "-shm");
  }
  void TearDown() override { fs::permissions(media_, fs::perms(0755)); }

  // The user the commands run as: nobody when we are root, else ourselves.
  static int user() { return ::geteuid() == 0 ? kNobody : -1; }

  ProcessResult seedline(std::vector<std::string> args) {
    args.insert(args.begin(), {testing::seedline_bin().string(), "--db", db_.string()});
    return testing::run_process(args, "", {}, {}, user());
  }

  int64_t best_individual() const { return best_; }

  // Every read-only command works and says nothing can be written.
  void expect_reads_work(bool immutable) {
    const std::string ind = std::to_string(best_individual());
    const std::vector<std::vector<std::string>> commands = {
        {"status", "--json"},
        {"db", "status", "--json"},
        {"lineage", ind, "--json"},
        {"compare", "--experiment", "finished", "--generation", "2", "--json"},
        {"genome", ind, "--out", (out_ / "best.npy").string(), "--format", "npy"},
    };
    for (const auto& args : commands) {
      const auto r = seedline(args);
      const std::string name = args[0] + " " + args[1];
      EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
      if (args.back() == "--json") {
        EXPECT_NO_THROW({
          const auto parsed = nlohmann::json::parse(r.out);
          (void)parsed;
        }) << name << ": " << r.out;
      }
      EXPECT_EQ(r.err.find("nothing can be written") != std::string::npos, immutable) << name << ": " << r.err;
    }
    EXPECT_TRUE(fs::exists(out_ / "best.npy"));
    testing::ServeProcess serve(db_, {"--port", "0"}, {}, user());
    ASSERT_NE(serve.port(), 0) << serve.errors();
    const auto reply = testing::http_get(serve.port(), "/api/experiments/" + std::to_string(experiment_));
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(serve.stop(SIGTERM), 0) << serve.errors();
    EXPECT_EQ(serve.output().find("nothing can be written") != std::string::npos ||
                  serve.errors().find("nothing can be written") != std::string::npos,
              immutable)
        << serve.errors();
    if (immutable) {  // nothing was created beside the database
      EXPECT_FALSE(fs::exists(db_.string() + "-wal"));
      EXPECT_FALSE(fs::exists(db_.string() + "-shm"));
    }
  }

  testing::TempDir dir_;
  fs::path media_, out_, db_;
  int64_t best_ = 0, experiment_ = 0;
};

TEST_F(ReadOnlyMedia, ADirectoryNobodyMayWriteIsReadImmutable) {
  fs::permissions(db_, fs::perms(0644));
  fs::permissions(media_, fs::perms(0555));
  ASSERT_NO_FATAL_FAILURE(expect_reads_work(true));
  // Writing is refused with the reason.
  const auto daemon = seedline({"daemon", "--once"});
  EXPECT_EQ(daemon.exit_code, 1);
  EXPECT_NE(daemon.err.find("is not writable"), std::string::npos) << daemon.err;
}

TEST_F(ReadOnlyMedia, AFileNobodyMayWriteInADirectoryTheUserCannotWriteIsReadImmutable) {
  fs::permissions(db_, fs::perms(0444));
  fs::permissions(media_, fs::perms(0755));  // writable by its owner (root), not by the user
  if (user() < 0) GTEST_SKIP() << "needs root, to run the commands as a user who does not own the directory";
  ASSERT_NO_FATAL_FAILURE(expect_reads_work(true));
}

TEST_F(ReadOnlyMedia, AReadOnlyFileInAWritableDirectoryIsReadNormally) {
  fs::permissions(db_, fs::perms(0444));
  fs::permissions(media_, fs::perms(0777));
  ASSERT_NO_FATAL_FAILURE(expect_reads_work(false));
}

TEST_F(ReadOnlyMedia, AFileItsOwnerMayStillWriteIsRefusedWithTheReasonAndTheRemedy) {
  if (user() < 0) GTEST_SKIP() << "needs root, to run the commands as a user who does not own the file";
  fs::permissions(db_, fs::perms(0644));
  fs::permissions(media_, fs::perms(0755));
  const auto r = seedline({"status"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not writable by this user"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("chmod a-w"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace seedline::store
