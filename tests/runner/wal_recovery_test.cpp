// A database whose main file is shorter than its header says while the WAL holds the rest
// (what a checkpoint cut short by a full disk leaves behind) opens, and the run it held
// resumes to exactly the result of an uninterrupted run (docs/guarantees.md).
//
// Made without a small tmpfs: a daemon is killed mid-run (its commits are in the WAL), a
// checkpoint then copies them into the main file, and a copy of main file + WAL taken at
// that moment gets its main file cut back to the size it had before the checkpoint. Every
// page beyond that size was written after it, so it is in the WAL: the copy is exactly a
// checkpoint that wrote page 1 but could not append the pages page 1 counts.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <csignal>
#include <filesystem>

#include "runner/runner_testing.hpp"
#include "support/temp_dir.hpp"

namespace seedline::runner {
namespace {

using seedline::testing::run_seedline;
using seedline::testing::TempDir;

// Runs a checkpoint on `db` and, while the checkpointing connection still keeps the WAL,
// copies the main file and the WAL to `copy`.
void checkpoint_and_copy(const std::filesystem::path& db, const std::filesystem::path& copy) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  // A first read makes the connection find the WAL (it is only opened on demand).
  ASSERT_EQ(sqlite3_exec(raw, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr), SQLITE_OK);
  int log = 0, done = 0;
  ASSERT_EQ(sqlite3_wal_checkpoint_v2(raw, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done), SQLITE_OK)
      << sqlite3_errmsg(raw);
  ASSERT_GT(log, 0) << "no WAL frames to checkpoint";
  EXPECT_EQ(log, done) << "the checkpoint did not copy every frame";
  std::filesystem::copy_file(db, copy);
  std::filesystem::copy_file(db.string() + "-wal", copy.string() + "-wal");
  sqlite3_close(raw);
}

TEST(WalRecovery, AMainFileShorterThanItsHeaderOpensFromItsWalAndResumesIdentically) {
  TempDir dir;
  const auto reference = dir / "reference.db", crashed = dir / "crashed.db", copy = dir / "copy.db";
  std::string spec = testing::kCartpoleExperiment;
  spec.replace(spec.find("\"generations\": 6"), 16, "\"generations\": 12");
  // Enough individuals per generation that the killed run's commits add pages to the file.
  spec.replace(spec.find("\"population\": 12"), 16, "\"population\": 64");
  seedline::testing::write_file(dir / "exp.json", spec);
  for (const auto& db : {reference, crashed}) {
    const auto r = run_seedline({"--db", db.string(), "submit", (dir / "exp.json").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ASSERT_EQ(run_seedline({"--db", reference.string(), "daemon", "--once"}).exit_code, 0);

  // Killed right after generation 8 of the first run committed: its work is in the WAL.
  const auto killed = run_seedline({"--db", crashed.string(), "daemon", "--once", "--threads", "1"}, "", {},
                                   {"SEEDLINE_CRASH_AT=committed:8"});
  ASSERT_EQ(killed.signal, SIGKILL) << killed.err;
  const auto short_size = std::filesystem::file_size(crashed);
  ASSERT_GT(std::filesystem::file_size(crashed.string() + "-wal"), 0u);
  ASSERT_NO_FATAL_FAILURE(checkpoint_and_copy(crashed, copy));
  const auto full_size = std::filesystem::file_size(copy);
  ASSERT_LT(short_size, full_size) << "the killed run added no pages; make it longer";
  std::filesystem::resize_file(copy, short_size);

  // Readable now (this was "truncated SQLite file (N bytes, header says M)").
  const auto status = run_seedline({"--db", copy.string(), "status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  // The killed run's heartbeat goes stale, then a daemon resumes it and runs the rest.
  testing::sleep_seconds(0.6);
  const auto resumed = run_seedline({"--db", copy.string(), "daemon", "--once", "--stale-after", "0.5"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming at generation 9"), std::string::npos) << resumed.err;

  const auto expected = testing::read_histories(reference);
  const auto actual = testing::read_histories(copy);
  ASSERT_EQ(expected.size(), actual.size());
  for (const auto& [run, h] : expected) {
    ASSERT_TRUE(actual.count(run)) << "run " << run;
    EXPECT_EQ(h.state, "finished") << "run " << run;
    EXPECT_EQ(testing::first_difference(h, actual.at(run)), "") << "run " << run;
  }
  // And the database is whole again: SQLite's own check agrees.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(copy.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
  sqlite3_finalize(st);
  sqlite3_close(raw);
}

}  // namespace
}  // namespace seedline::runner
