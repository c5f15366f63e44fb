// Pretrained starting points through the real runner and CLI, in fresh processes, as the
// workflow docs/genome.md describes: evolve, export the best phenotype, start a new
// experiment from it (direct and lora), rebuild verified, and refuse a changed or missing
// base file. The golden values are the base file's own bytes.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <nlohmann/json.hpp>

#include "genome/safetensors.hpp"
#include "runner_testing.hpp"
#include "store/run_repo.hpp"
#include "http/server.hpp"
#include "store/experiment_repo.hpp"
#include "store/lineage_repo.hpp"
#include "store/migrations.hpp"
#include "store/run_summary.hpp"
#include "store/summary_repo.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline::runner {
namespace {

using nlohmann::json;
using seedline::testing::read_file;
using seedline::testing::run_seedline;
using seedline::testing::write_file;

constexpr const char* kFirst = R"({"name": "first", "seed": 5, "task": {"type": "sphere", "shift": 0.5},
  "network": [{"type": "dense", "in": 6, "out": 4}],
  "ga": {"population": 12, "truncation": 4, "generations": 4, "mutation_rate": 0.1}})";

// Relative to the directory the test runs `seedline run` in, like any path in an experiment.
constexpr const char* kSecond = R"({"name": "second", "seed": 9, "task": {"type": "sphere", "shift": 0.5},
  "network": [{"type": "dense", "in": 6, "out": 4}],
  "init": {"from": "base.safetensors"},
  "ga": {"population": 12, "truncation": 4, "generations": 5, "mutation_rate": 0.1, "snapshot_every": 2},
  "conditions": [{"name": "direct", "representation": {"type": "direct"}},
                 {"name": "lora", "representation": {"type": "lora", "rank": 2}}]})";

class PretrainedRun : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_ / "first.json", kFirst);
    auto r = seedline({"run", "first.json", "--threads", "1"}, "first.db");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const int64_t best = best_of("first.db", 1);
    r = seedline({"genome", std::to_string(best), "--phenotype", "--out", "base.safetensors"}, "first.db");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    base_ = read_file(dir_ / "base.safetensors");
    write_file(dir_ / "second.json", kSecond);
    r = seedline({"run", "second.json", "--threads", "2"}, "second.db");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  seedline::testing::ProcessResult seedline(std::vector<std::string> args, const std::string& db) {
    args.insert(args.begin(), {"--db", (dir_ / db).string()});
    return run_seedline(args, "", dir_.path());
  }

  int64_t best_of(const std::string& db_name, int64_t run) {
    auto db = store::open_database(dir_ / db_name, store::OpenPurpose::kRead);
    return *store::run_summary(db, run)->best_individual;
  }

  // A root (generation 0, no parent) of `run` in second.db.
  int64_t root_of(int64_t run) {
    auto db = store::open_database(dir_ / "second.db", store::OpenPurpose::kRead);
    for (const auto& row : store::individuals_of_run(db, run)) {
      if (row.generation == 0 && !row.parent) return row.id;
    }
    ADD_FAILURE() << "run " << run << " has no root";
    return 0;
  }

  // The newest child (an individual with a parent) of `run` in second.db.
  int64_t child_of(int64_t run) {
    auto db = store::open_database(dir_ / "second.db", store::OpenPurpose::kRead);
    int64_t id = 0;
    for (const auto& row : store::individuals_of_run(db, run)) {
      if (row.parent) id = std::max(id, row.id);
    }
    EXPECT_NE(id, 0) << "run " << run << " has no child";
    return id;
  }

  genome::SafetensorsFile exported(int64_t id, bool phenotype) {
    std::string name = std::to_string(id);  // appended, not "x" + ...: g++ 12 warns falsely (-Wrestrict)
    name.append(phenotype ? "-phenotype.safetensors" : "-genotype.safetensors");
    const auto out = dir_ / name;
    std::vector<std::string> args = {"genome", std::to_string(id), "--out", out.string()};
    if (phenotype) args.push_back("--phenotype");
    const auto r = seedline(args, "second.db");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return genome::SafetensorsFile::read(out);
  }

  seedline::testing::TempDir dir_;
  std::string base_;
};

// The raw little-endian bytes of every tensor, by name.
std::map<std::string, std::string> tensor_bytes(const genome::SafetensorsFile& f) {
  std::map<std::string, std::string> out;
  for (const auto& e : f.tensors()) {
    const auto v = f.f32(e);
    out[e.name] = std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  }
  return out;
}

TEST_F(PretrainedRun, RecordsTheBaseAndGenerationZeroIsTheBaseExactly) {
  const auto base = tensor_bytes(genome::SafetensorsFile::parse(base_, "base"));
  ASSERT_EQ(base.size(), 2u);  // layers.0.weight, layers.0.bias
  {
    auto db = store::open_database(dir_ / "second.db", store::OpenPurpose::kRead);
    const auto c = store::find_condition(db, store::find_run(db, 1)->condition_id);
    const json init = json::parse(c->config).at("init");
    EXPECT_EQ(init.at("from"), (dir_ / "base.safetensors").string());  // made absolute at submission
    EXPECT_EQ(init.at("bytes"), base_.size());
    EXPECT_EQ(init.at("xxh64").get<std::string>().size(), 16u);
  }
  // Direct (run 1) and lora (run 2): a root's phenotype is the file's tensors bit for bit.
  for (const int64_t run : {1, 2}) EXPECT_EQ(tensor_bytes(exported(root_of(run), true)), base) << "run " << run;
  // The lora genotype is A and B only, k * (in + out) values, B zero at generation 0.
  const auto g = exported(root_of(2), false);
  ASSERT_EQ(g.tensors().size(), 2u);
  ASSERT_NE(g.find("layers.0.weight.A"), nullptr);
  EXPECT_EQ(g.find("layers.0.weight.A")->shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(g.find("layers.0.weight.B")->shape, (std::vector<int64_t>{2, 6}));
  for (const float v : g.f32(*g.find("layers.0.weight.B"))) EXPECT_EQ(v, 0.0f);
  EXPECT_NE(g.metadata().at("init").find("\"xxh64\""), std::string::npos);
  // Children move on from the base: a lora child's weight differs from it, its frozen bias does not.
  const auto child = tensor_bytes(exported(child_of(2), true));
  EXPECT_NE(child.at("layers.0.weight"), base.at("layers.0.weight"));
  EXPECT_EQ(child.at("layers.0.bias"), base.at("layers.0.bias"));
}

TEST_F(PretrainedRun, RebuildsVerifiedAndRefusesAChangedOrMissingBase) {
  for (const int64_t run : {1, 2}) {
    const auto r = seedline({"genome", std::to_string(best_of("second.db", run)), "--out", "b.safetensors", "--json"},
                            "second.db");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(json::parse(r.out).at("verified").get<bool>()) << r.out;
  }
  const std::string best = std::to_string(best_of("second.db", 2));
  // One byte of the data flipped, same size.
  std::string changed = base_;
  changed[changed.size() - 5] = static_cast<char>(changed[changed.size() - 5] ^ 0x10);
  write_file(dir_ / "base.safetensors", changed);
  auto r = seedline({"genome", best, "--out", "c.safetensors"}, "second.db");
  EXPECT_EQ(r.exit_code, 1);
  const std::string file = "init.from: '" + (dir_ / "base.safetensors").string() + "'";
  EXPECT_NE(r.err.find(file + " changed since the experiment was submitted (now " + std::to_string(base_.size()) +
                       " bytes, xxh64 "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("; submitted " + std::to_string(base_.size()) + " bytes, xxh64 "), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "c.safetensors"));
  // `seedline evaluate` and the HTTP download rebuild through the same check.
  r = seedline({"evaluate", best}, "second.db");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(file + " changed since the experiment was submitted"), std::string::npos) << r.err;
  {
    http::ServerOptions options;
    options.db_path = dir_ / "second.db";
    options.port = 0;
    options.web_files = {};
    http::Server server(options);
    std::thread serving([&] { server.run(); });
    const auto reply = seedline::testing::HttpConnection(server.port()).request("/api/individuals/" + best + "/genome");
    server.stop();
    serving.join();
    EXPECT_EQ(reply.status, 409) << reply.body;
    EXPECT_NE(reply.body.find("changed since the experiment was submitted"), std::string::npos) << reply.body;
  }
  // A new experiment may start from the changed file: its submission records the new values.
  json third = json::parse(kSecond);
  third["name"] = "third";
  write_file(dir_ / "third.json", third.dump());
  r = seedline({"submit", "third.json"}, "second.db");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::filesystem::remove(dir_ / "base.safetensors");
  r = seedline({"genome", best, "--out", "c.safetensors"}, "second.db");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(file + ": no such file (the experiment was submitted with " + std::to_string(base_.size()) +
                       " bytes, xxh64 "),
            std::string::npos)
      << r.err;
  // The runner refuses the queued run of the third experiment: its base is gone.
  r = seedline({"daemon", "--once", "--threads", "1"}, "second.db");
  EXPECT_NE(r.err.find(file + ": no such file"), std::string::npos) << r.out << r.err;
}

// Runs from pretrained weights (direct and lora) SIGKILLed inside an evaluation and inside a
// commit, on 2 threads, resume to exactly the lineage and fitness history of an uninterrupted
// run on 1 thread: the base is re-read and re-verified on every resume.
TEST_F(PretrainedRun, KilledRunsResumeToTheSameHistoryOnAnyThreadCount) {
  const std::string stale = "0.3";
  for (const char* db : {"reference.db", "crashed.db"}) {
    const auto r = seedline({"submit", "second.json"}, db);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto ref = seedline({"daemon", "--once", "--threads", "1"}, "reference.db");
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  for (const std::string point : {"evaluate:1", "commit:3"}) {
    const auto r = run_seedline({"--db", (dir_ / "crashed.db").string(), "daemon", "--once", "--threads", "2",
                                 "--stale-after", stale},
                                "", dir_.path(), {"SEEDLINE_CRASH_AT=" + point});
    EXPECT_EQ(r.signal, SIGKILL) << point << " did not fire; stderr: " << r.err;
    testing::sleep_seconds(0.5);
  }
  for (int round = 0; round < 3; ++round) {
    const auto r = seedline({"daemon", "--once", "--threads", "2", "--stale-after", stale}, "crashed.db");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto db = store::open_database(dir_ / "crashed.db", store::OpenPurpose::kRead);
    if (store::unfinished_runs(db, std::nullopt) == 0) break;
    testing::sleep_seconds(0.5);
  }
  const auto expected = testing::read_histories(dir_ / "reference.db");
  const auto actual = testing::read_histories(dir_ / "crashed.db");
  ASSERT_EQ(expected.size(), 2u);
  ASSERT_EQ(actual.size(), 2u);
  for (const auto& [run, h] : expected) {
    EXPECT_EQ(h.state, "finished") << "run " << run;
    EXPECT_EQ(h.generations.size(), 5u) << "run " << run;
    EXPECT_EQ(testing::first_difference(h, actual.at(run)), "") << "run " << run;
  }
}

// ES runs start their center from the base too (ES evolves the genotype vector: the whole
// network for direct, A and B for lora): generation 0's center is the base exactly, the
// last center differs from it and rebuilds verified in a fresh process.
TEST_F(PretrainedRun, EvolutionStrategiesStartTheirCenterFromTheBase) {
  json es = json::parse(kSecond);
  es["name"] = "es";
  es["algorithm"] = {{"type", "es"}, {"sigma", 0.05}, {"learning_rate", 0.03}, {"optimizer", "adam"}};
  es["ga"] = {{"population", 8}, {"generations", 4}, {"snapshot_every", 2}};
  write_file(dir_ / "es.json", es.dump());
  auto r = seedline({"run", "es.json", "--threads", "2"}, "es.db");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto base = tensor_bytes(genome::SafetensorsFile::parse(base_, "base"));
  auto db = store::open_database(dir_ / "es.db", store::OpenPurpose::kRead);
  for (const int64_t run : {1, 2}) {
    int64_t center0 = 0, last = 0;
    for (const auto& row : store::individuals_of_run(db, run)) {
      if (row.generation == 0 && !row.parent) center0 = row.id;
      last = std::max(last, row.id);
    }
    ASSERT_NE(center0, 0) << "run " << run;
    const auto out = dir_ / "center.safetensors";
    r = seedline({"genome", std::to_string(center0), "--phenotype", "--out", out.string()}, "es.db");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(tensor_bytes(genome::SafetensorsFile::read(out)), base) << "run " << run;
    // The last generation's parent is its center, 4 updates below center 0, with a checksum.
    const int64_t final_center = store::list_generations(db, run).back().parents.at(0);
    r = seedline({"genome", std::to_string(final_center), "--phenotype", "--out", out.string(), "--json"}, "es.db");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(json::parse(r.out).at("verified").get<bool>()) << r.out;
    EXPECT_NE(tensor_bytes(genome::SafetensorsFile::read(out)).at("layers.0.weight"), base.at("layers.0.weight"))
        << "run " << run;
    EXPECT_GT(last, center0);
  }
}

// Submission checks the base against the network before anything is stored, naming the
// condition and the tensor; lora without a base is refused.
TEST_F(PretrainedRun, SubmissionRefusesABaseThatDoesNotFitAndLoraWithoutOne) {
  json wrong = json::parse(kSecond);
  wrong["network"][0]["in"] = 5;
  write_file(dir_ / "wrong.json", wrong.dump());
  auto r = seedline({"submit", "wrong.json"}, "refused.db");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("init.from: '" + (dir_ / "base.safetensors").string() +
                       "': tensor 'layers.0.weight' has shape [4, 6]; the network's is [4, 5] (in condition 'direct'"),
            std::string::npos)
      << r.err;
  json bare = json::parse(kSecond);
  bare.erase("init");
  write_file(dir_ / "bare.json", bare.dump());
  r = seedline({"submit", "bare.json"}, "refused.db");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("representation: lora needs init.from, the base weights it keeps frozen"), std::string::npos)
      << r.err;
  // Nothing was stored (the database may not even have been created).
  if (std::filesystem::exists(dir_ / "refused.db")) {
    auto db = store::open_database(dir_ / "refused.db", store::OpenPurpose::kRead);
    EXPECT_TRUE(store::list_runs(db).empty());
  }
}

// A language model fine-tuned with lora from a trained transformer: the runner's generation 0
// scores exactly the base individual's loss (the same weights, bit for bit, on the same data),
// and the run's individuals rebuild verified.
TEST(PretrainedLanguageModel, LoraGenerationZeroScoresTheBaseLossExactly) {
  seedline::testing::TempDir dir;
  std::string text;
  for (int s = 0; s < 12; ++s) {
    for (int t = 0; t < 3 + s % 5; ++t) {
      if (t > 0) text += ' ';
      text += std::to_string((s * 7 + t * 3) % 29);
    }
    text += "\n";
  }
  write_file(dir / "data.tokens", text);
  json spec = {{"name", "lm-base"}, {"seed", 4},
               {"task", {{"type", "language_model"}, {"data", (dir / "data.tokens").string()}}},
               {"network", json::array({{{"type", "transformer"}, {"vocab", 32}, {"d_model", 8}, {"blocks", 1},
                                         {"heads", 2}, {"head_dim", 4}, {"ff", 16}}})},
               {"ga", {{"population", 8}, {"truncation", 3}, {"generations", 3}, {"mutation_rate", 0.05}}}};
  const auto db = (dir / "lm.db").string();
  write_file(dir / "base.json", spec.dump());
  auto r = run_seedline({"--db", db, "run", (dir / "base.json").string(), "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int64_t best = 0;
  double best_fitness = 0;
  {
    auto handle = store::open_database(dir / "lm.db", store::OpenPurpose::kRead);
    best = *store::run_summary(handle, 1)->best_individual;
    best_fitness = *store::get_individual(handle, best).fitness;
  }
  r = run_seedline({"--db", db, "genome", std::to_string(best), "--phenotype", "--out", (dir / "lm.safetensors").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  spec["name"] = "lm-lora";
  spec["init"] = {{"from", (dir / "lm.safetensors").string()}};
  spec["representation"] = {{"type", "lora"}, {"rank", 2}};
  write_file(dir / "lora.json", spec.dump());
  r = run_seedline({"--db", db, "run", (dir / "lora.json").string(), "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto handle = store::open_database(dir / "lm.db", store::OpenPurpose::kRead);
  int roots = 0;
  for (const auto& row : store::individuals_of_run(handle, 2)) {
    if (row.generation != 0 || row.parent) continue;
    ++roots;
    ASSERT_TRUE(row.fitness.has_value());
    EXPECT_EQ(*row.fitness, best_fitness) << "individual " << row.id;
  }
  EXPECT_GT(roots, 0);
  const std::string last = std::to_string(store::list_generations(handle, 2).back().parents.at(0));
  r = run_seedline({"--db", db, "genome", last, "--out", (dir / "last.safetensors").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(json::parse(r.out).at("verified").get<bool>()) << r.out;
}

}  // namespace
}  // namespace seedline::runner
