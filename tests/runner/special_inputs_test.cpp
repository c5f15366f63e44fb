// The files an experiment names, as a hostile audit fed them to `seedline submit`
// (docs/guarantees.md, "Input files"): /dev/zero as the token file hung with memory growing
// without end, a FIFO as the base file hung; a base file of NaN or infinite weights was
// accepted and its runs "finished" at -inf. Each is now refused by name, before anything is
// stored. Every submission runs under `timeout -s KILL` and an address-space limit, so a
// regression fails the test instead of hanging it or exhausting the machine.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "evaluator/process.hpp"
#include "genome/safetensors.hpp"
#include "store/experiment_repo.hpp"
#include "store/migrations.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::runner {
namespace {

using nlohmann::json;
using seedline::testing::run_process;
using seedline::testing::seedline_bin;
using seedline::testing::TempDir;
using seedline::testing::write_file;

// `seedline --db DB submit FILE`, killed after 30 s and limited to 8 GiB of address space.
seedline::testing::ProcessResult bounded_submit(const std::filesystem::path& db, const std::filesystem::path& file) {
  return run_process({"timeout", "-s", "KILL", "30", "sh", "-c", "ulimit -v 8388608; exec \"$0\" \"$@\"",
                      seedline_bin().string(), "--db", db.string(), "submit", file.string()});
}

json language_model_experiment(const std::string& data) {
  return {{"name", "lm"},
          {"task", {{"type", "language_model"}, {"data", data}, {"sequences", 2}}},
          {"network", json::array({{{"type", "transformer"}, {"vocab", 20}, {"d_model", 8}, {"blocks", 1},
                                    {"heads", 2}, {"head_dim", 4}, {"ff", 16}}})},
          {"ga", {{"population", 4}, {"truncation", 2}, {"generations", 2}}}};
}

json pretrained_experiment(const std::string& base) {
  return {{"name", "pretrained"},
          {"task", {{"type", "sphere"}, {"shift", 0.5}}},
          {"network", json::array({{{"type", "dense"}, {"in", 6}, {"out", 4}}})},
          {"init", {{"from", base}}},
          {"ga", {{"population", 4}, {"truncation", 2}, {"generations", 2}}}};
}

void expect_nothing_stored(const std::filesystem::path& db) {
  if (!std::filesystem::exists(db)) return;
  auto conn = store::open_database(db, store::OpenPurpose::kRead);
  EXPECT_TRUE(store::list_experiments(conn).empty());
}

TEST(SpecialInputs, TokenBaseAndExperimentFilesThatAreNotRegularFilesAreRefusedByName) {
  TempDir dir;
  const auto fifo = dir / "a-fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::filesystem::create_directory(dir / "a-dir");
  struct Special {
    std::string path;
    std::string what;  // as the refusal names it
  };
  const std::vector<Special> specials = {{"/dev/zero", "a character device"},
                                         {"/dev/full", "a character device"},
                                         {fifo.string(), "a FIFO (named pipe)"},
                                         {(dir / "a-dir").string(), "a directory"}};
  int n = 0;
  for (const auto& s : specials) {
    SCOPED_TRACE(s.path);
    struct Case {
      std::string input;
      json experiment;      // null: the experiment file itself is the special file
      std::string refusal;  // a substring of stderr
    };
    const std::vector<Case> cases = {
        {"token file", language_model_experiment(s.path),
         "task.data: '" + s.path + "': is " + s.what + ", not a token file"},
        {"base file", pretrained_experiment(s.path), "init.from: " + s.path + ": is " + s.what + ", not a safetensors file"},
        {"experiment file", nullptr, s.path + ": is " + s.what + ", not an experiment file"},
    };
    for (const auto& c : cases) {
      SCOPED_TRACE(c.input);
      const auto db = dir / ("special-" + std::to_string(n++) + ".db");
      std::filesystem::path file = s.path;
      if (!c.experiment.is_null()) {
        file = dir / "exp.json";
        write_file(file, c.experiment.dump());
      }
      const auto r = bounded_submit(db, file);
      ASSERT_EQ(r.signal, 0) << "killed (hung or ran out of memory); stderr: " << r.err;
      EXPECT_EQ(r.exit_code, 1) << r.err;
      EXPECT_NE(r.err.find(c.refusal), std::string::npos) << "'" << c.refusal << "' in " << r.err;
      expect_nothing_stored(db);
    }
  }
}

TEST(SpecialInputs, NonFiniteBaseWeightsAreRefusedAtSubmissionNamingTheTensor) {
  TempDir dir;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  struct Case {
    const char* name;
    std::vector<float> weight;  // [4, 6]
    std::vector<float> bias;    // [4]
    std::string refusal;
  };
  const std::vector<float> finite_weight(24, 0.5f), finite_bias(4, -0.25f);
  std::vector<float> one_inf = finite_bias;
  one_inf[2] = -inf;
  const std::vector<Case> cases = {
      {"all NaN", std::vector<float>(24, nan), finite_bias,
       "tensor 'layers.0.weight' holds 24 non-finite values of 24 (the first, nan, at index 0); base weights must "
       "be finite numbers"},
      {"all inf", std::vector<float>(24, inf), finite_bias,
       "tensor 'layers.0.weight' holds 24 non-finite values of 24 (the first, inf, at index 0)"},
      {"one -inf in the bias", finite_weight, one_inf,
       "tensor 'layers.0.bias' holds 1 non-finite value of 4 (the first, -inf, at index 2)"},
  };
  int n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto base = dir / ("base-" + std::to_string(n) + ".safetensors");
    write_file(base, genome::encode_safetensors({{"layers.0.weight", {4, 6}, c.weight}, {"layers.0.bias", {4}, c.bias}},
                                                json::object()));
    write_file(dir / "exp.json", pretrained_experiment(base.string()).dump());
    const auto db = dir / ("nonfinite-" + std::to_string(n++) + ".db");
    const auto r = bounded_submit(db, dir / "exp.json");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("init.from: '" + base.string() + "': " + c.refusal), std::string::npos) << r.err;
    expect_nothing_stored(db);
  }
  // The same file with finite values is accepted: the refusal is about the values alone.
  const auto good = dir / "good.safetensors";
  write_file(good, genome::encode_safetensors({{"layers.0.weight", {4, 6}, finite_weight},
                                               {"layers.0.bias", {4}, finite_bias}},
                                              json::object()));
  write_file(dir / "exp.json", pretrained_experiment(good.string()).dump());
  const auto r = bounded_submit(dir / "good.db", dir / "exp.json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(SpecialInputs, AnEvaluatorProgramThatIsNotARegularFileIsRefusedByName) {
  TempDir dir;
  std::filesystem::create_directory(dir / "evaluator-dir");
  ASSERT_EQ(::mkfifo((dir / "evaluator-fifo").c_str(), 0700), 0);
  for (const auto& [path, what] : std::vector<std::pair<std::filesystem::path, std::string>>{
           {dir / "evaluator-dir", "is a directory, not an executable file"},
           {dir / "evaluator-fifo", "is a FIFO (named pipe), not an executable file"}}) {
    SCOPED_TRACE(path.string());
    try {
      evaluator::resolve_program(path.string());
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      // Appended: g++ 12 warns falsely (-Wrestrict) on "'" + std::string(...).
      std::string expected(1, '\'');
      expected.append(path.string()).append("' ").append(what);
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace seedline::runner
