// The language_model task: its data file's errors (each naming file, line and value, and
// storing nothing), the size and xxh64 recorded at submission, a changed file refused by the
// daemon, and the fed layout <s> t+3 .. </s>.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <nlohmann/json.hpp>

#include "store/experiment_repo.hpp"
#include "store/migrations.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "tasks/language_model.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace seedline::tasks {
namespace {

using nlohmann::json;
using seedline::testing::read_file;
using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;

// A tiny language model (vocab 20: BPE ids 0..16) on `data`, 3 generations.
std::string experiment(const std::filesystem::path& data, int sequences) {
  return json({{"name", "lm-test"},
               {"seed", 3},
               {"task", {{"type", "language_model"}, {"data", data.string()}, {"sequences", sequences}}},
               {"network", json::array({{{"type", "transformer"}, {"vocab", 20}, {"d_model", 8}, {"blocks", 1},
                                         {"heads", 2}, {"head_dim", 4}, {"ff", 16}}})},
               {"ga", {{"population", 6}, {"truncation", 2}, {"generations", 3}}}})
      .dump();
}

TEST(LanguageModelTask, MalformedDataIsAnErrorNamingFileLineAndValueAndStoresNothing) {
  struct Case {
    const char* name;
    const char* data;  // nullptr: the file does not exist
    int sequences;
    std::vector<std::string> expected;  // substrings of the error, besides the file name
  };
  const Case cases[] = {
      {"missing file", nullptr, 2, {"no such token file"}},
      {"empty line", "1 2 3\n\n4 5\n", 3, {"line 2", "empty line"}},
      {"blank line of spaces", "1 2\n  \t \n", 2, {"line 2", "empty line"}},
      {"not a number", "1 2 3\n4 x5 6\n", 2, {"line 2", "'x5'", "not a token id"}},
      {"a fraction", "1 2.5\n", 1, {"line 1", "'2.5'", "not a token id"}},
      {"negative id", "1 2\n3 -4\n", 2, {"line 2", "'-4'", "out of range"}},
      {"id beyond the vocabulary", "1 2\n3 4\n5 17 6\n", 3, {"line 3", "token id 17", "vocab 20", "< vocab - 3 = 17"}},
      {"huge id", "99999999999999999999\n", 1, {"line 1", "out of range"}},
      {"fewer lines than asked", "1 2\n3 4\n", 5, {"only 2 sequences", "5 asked for"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    const auto data = dir / "data.tokens";
    if (c.data != nullptr) write_file(data, c.data);
    write_file(dir / "exp.json", experiment(data, c.sequences));
    const auto db = dir / "lm.db";
    ASSERT_EQ(run_seedline({"--db", db.string(), "db", "init"}).exit_code, 0);
    const auto r = run_seedline({"--db", db.string(), "submit", (dir / "exp.json").string()});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.err.find(data.string()), std::string::npos) << r.err;
    for (const auto& e : c.expected) EXPECT_NE(r.err.find(e), std::string::npos) << "'" << e << "' in " << r.err;
    auto conn = store::open_database(db, store::OpenPurpose::kRead);
    EXPECT_TRUE(store::list_experiments(conn).empty());
  }
}

TEST(LanguageModelTask, SubmissionRecordsTheFilesSizeAndHashAndAChangedFileFailsTheRun) {
  TempDir dir;
  const auto data = dir / "data.tokens";
  const std::string text = "1 2 3\n4 5 6 7\r\n8 9\n10 11 12";  // CRLF and no final newline are fine
  write_file(data, text);
  write_file(dir / "exp.json", experiment(data, 4));
  const auto db = dir / "lm.db";
  const auto r = run_seedline({"--db", db.string(), "submit", (dir / "exp.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  {
    auto conn = store::open_database(db, store::OpenPurpose::kRead);
    const auto runs = store::list_runs(conn);
    ASSERT_EQ(runs.size(), 1u);
    const json task = json::parse(store::find_condition(conn, runs[0].condition_id)->config)["task"];
    EXPECT_EQ(task["bytes"], text.size());
    EXPECT_EQ(task["xxh64"], hex16(XXH64(text.data(), text.size(), 0)));
    EXPECT_EQ(task["sequences"], 4);
    EXPECT_EQ(task["data"], data.string());
  }
  // Same size, one byte different: the daemon refuses to evolve on it.
  write_file(data, "1 2 3\n4 5 6 7\r\n8 9\n10 11 13");
  const auto d = run_seedline({"--db", db.string(), "daemon", "--once"});
  auto conn = store::open_database(db, store::OpenPurpose::kRead);
  const auto run = store::list_runs(conn).at(0);
  EXPECT_EQ(run.state, store::RunState::kFailed) << d.err;
  ASSERT_TRUE(run.message.has_value());
  EXPECT_NE(run.message->find("changed since the experiment was submitted"), std::string::npos) << *run.message;
  EXPECT_NE(run.message->find(data.string()), std::string::npos) << *run.message;
  EXPECT_TRUE(store::list_generations(conn, run.id).empty());
}

TEST(LanguageModelTask, SequencesAreFedWithStartAndEndTokensAndShiftedIds) {
  TempDir dir;
  write_file(dir / "d.tokens", "0 5\n7\n9 9 9\n");
  const LanguageModelTask all(dir / "d.tokens", 0, std::nullopt, std::nullopt, true);
  EXPECT_EQ(all.fed_tokens(), (std::vector<int32_t>{1, 3, 8, 2, 1, 10, 2, 1, 12, 12, 12, 2}));
  EXPECT_EQ(all.offsets(), (std::vector<int64_t>{0, 4, 7, 12}));
  EXPECT_EQ(all.predicted_positions(0), 3 + 2 + 4);
  EXPECT_EQ(all.predicted_positions(3), 2 + 2 + 2);
  const LanguageModelTask first(dir / "d.tokens", 2, std::nullopt, std::nullopt, true);
  EXPECT_EQ(first.sequence_count(), 2);
  EXPECT_EQ(first.resolved_spec()["bytes"], 12);  // the whole file is hashed, not only the lines used
  EXPECT_EQ(first.fitness_label(), "loss");
}

}  // namespace
}  // namespace seedline::tasks
