// The CLI's --json output when the database holds names that are not UTF-8 (written by
// another program or an older tool): the command succeeds and prints valid JSON with U+FFFD
// in place of the bad bytes, instead of failing with a JSON library error.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/migrations.hpp"
#include "support/experiment_fixture.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

TEST(JsonOutput, StoredNamesThatAreNotUtf8AreReplacedNotFatal) {
  testing::TempDir dir;
  const auto path = dir / "latin1.db";
  testing::create_database(path);
  testing::FixtureIds ids;
  {
    auto db = store::open_database(path, store::OpenPurpose::kWrite);
    testing::FixtureExperiment e;
    e.name = "caf\xe9";
    e.conditions = {"a\xff", "b"};
    e.runs = {{"a\xff", 0, {1, 2}}, {"b", 0, {0, 1}}};
    ids = testing::write_experiment(db, e);
  }
  const std::string ind = std::to_string(ids.best_individuals.at(ids.runs.at({"a\xff", 0})).back());
  const std::vector<std::vector<std::string>> commands = {
      {"status", "--json"},
      {"status", "--experiment", std::to_string(ids.experiment), "--json"},
      {"compare", "--experiment", std::to_string(ids.experiment), "--generation", "1", "--json"},
      {"lineage", ind, "--json"},
  };
  for (auto args : commands) {
    args.insert(args.begin(), {"--db", path.string()});
    const auto r = testing::run_seedline(args);
    const std::string name = args[2] + " " + args.back();
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    nlohmann::json out;
    ASSERT_NO_THROW(out = nlohmann::json::parse(r.out)) << name << ": " << r.out;
    if (args[2] != "lineage") {
      EXPECT_NE(r.out.find("\xef\xbf\xbd"), std::string::npos) << name << ": " << r.out;  // U+FFFD
    }
  }
}

}  // namespace
}  // namespace seedline
