// The paper's Table 2 (Garbus & Pollack: CarRacing and Atari conv nets) through
// `seedline inspect --json` on the shipped example files, which must also write nothing
// and start no evaluator (the external task is only described, never run, by inspect).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline::genome {
namespace {

using nlohmann::json;

struct Want {
  const char* name;
  int64_t genotype, phenotype;
};

void expect_counts(const char* example, std::initializer_list<Want> want) {
  seedline::testing::TempDir dir;
  const auto r = seedline::testing::run_seedline(
      {"inspect", (seedline::testing::source_dir() / example).string(), "--json"}, "", dir.path(),
      {"SEEDLINE_DB=" + (dir / "never.db").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "inspect wrote a file";
  const json j = json::parse(r.out);
  ASSERT_EQ(j["conditions"].size(), want.size());
  size_t i = 0;
  for (const Want& w : want) {
    SCOPED_TRACE(w.name);
    const json& c = j["conditions"][i++];
    EXPECT_EQ(c["name"], w.name);
    EXPECT_EQ(c["genotype_parameters"], w.genotype);
    EXPECT_EQ(c["phenotype_parameters"], w.phenotype);
    EXPECT_EQ(c["fixed_parameters"], 0);
  }
}

// Table 2: Atari direct 902,066; factorized rank 4 with a direct output layer 26,674 genotype
// (902,066 developed); small 17,350.
TEST(Table2Inspect, AtariCountsAreThePapers) {
  expect_counts("examples/external/table2-atari.json",
                {{"direct", 902'066, 902'066}, {"factorized", 26'674, 902'066}, {"small", 17'350, 17'350}});
}

// Table 2: CarRacing direct 957,923; small 5,795.
TEST(Table2Inspect, CarRacingCountsAreThePapers) {
  expect_counts("examples/external/table2-carracing.json", {{"direct", 957'923, 957'923}, {"small", 5'795, 5'795}});
}

}  // namespace
}  // namespace seedline::genome
