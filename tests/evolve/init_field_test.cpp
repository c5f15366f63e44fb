// The `init` field of experiment files (docs/experiments.md, docs/genome.md "Pretrained
// starting points"): top level and per condition, its errors, and the stored form a config
// keeps (absent when not given, so configs of experiments without it are unchanged).
#include <gtest/gtest.h>

#include "evolve/experiment.hpp"
#include "util/error.hpp"

namespace seedline::evolve {
namespace {

using nlohmann::json;

std::string error_of(const std::string& text) {
  try {
    parse_experiment(text, "exp.json");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    return e.what();
  }
  return "parsed";
}

TEST(InitField, TopLevelAppliesToEveryConditionAndAConditionMayReplaceIt) {
  const auto spec = parse_experiment(R"({"task": {"type": "sphere"}, "network": [{"type": "dense", "in": 2, "out": 2}],
    "init": {"from": "a.safetensors"},
    "conditions": [{"name": "a"}, {"name": "b", "init": {"from": "b.safetensors"}}]})", "exp.json");
  ASSERT_EQ(spec.conditions.size(), 2u);
  EXPECT_EQ(spec.conditions[0].init->from, "a.safetensors");
  EXPECT_EQ(spec.conditions[1].init->from, "b.safetensors");
  EXPECT_FALSE(spec.conditions[0].init->bytes);
  EXPECT_EQ(spec.conditions[0].to_json().at("init"), json({{"from", "a.safetensors"}}));
}

TEST(InitField, AbsentLeavesTheStoredConfigWithoutIt) {
  const auto spec = parse_experiment(R"({"task": {"type": "sphere"}, "network": [{"type": "dense", "in": 2, "out": 2}]})",
                                     "exp.json");
  EXPECT_FALSE(spec.conditions[0].init);
  EXPECT_FALSE(spec.conditions[0].to_json().contains("init"));
}

TEST(InitField, StoredConfigRoundTrips) {
  auto spec = parse_experiment(R"({"task": {"type": "sphere"}, "network": [{"type": "dense", "in": 2, "out": 2}],
    "init": {"from": "/x/a.safetensors", "bytes": 120, "xxh64": "0123456789abcdef"}})", "exp.json");
  const json stored = spec.conditions[0].to_json();
  const auto back = ConditionConfig::from_json(stored);
  ASSERT_TRUE(back.init);
  EXPECT_EQ(back.init->from, "/x/a.safetensors");
  EXPECT_EQ(*back.init->bytes, 120);
  EXPECT_EQ(*back.init->xxh64, "0123456789abcdef");
  EXPECT_EQ(back.to_json(), stored);
  json damaged = stored;
  damaged["init"]["xxh64"] = 7;
  EXPECT_THROW(ConditionConfig::from_json(damaged), Error);
}

TEST(InitField, ErrorsNameTheField) {
  const std::string head = R"({"task": {"type": "sphere"}, "network": [{"type": "dense", "in": 2, "out": 2}], )";
  struct Case {
    std::string text;
    const char* message;
  };
  const std::vector<Case> cases = {
      {head + R"("init": "a.safetensors"})", "init: must be an object"},
      {head + R"("init": {}})", "init.from: "},
      {head + R"("init": {"from": ""}})", "init.from: must be the path of a safetensors file"},
      {head + R"("init": {"from": "a", "form": 1}})", "init.form: unknown field"},
      {head + R"("init": {"from": "a", "bytes": 3}})", "init: give both bytes and xxh64"},
      {head + R"("init": {"from": "a", "bytes": 3, "xxh64": "ABCDEF0123456789"}})", "init.xxh64: must be 16 lowercase hex digits"},
      {head + R"("init": {"from": "a", "bytes": -3, "xxh64": "0123456789abcdef"}})", "init.bytes"},
      {head + R"("conditions": [{"init": {"from": 3}}]})", "conditions[0].init.from"},
  };
  for (const auto& c : cases) {
    const std::string what = error_of(c.text);
    EXPECT_NE(what.find(c.message), std::string::npos) << c.text << "\n" << what;
  }
}

}  // namespace
}  // namespace seedline::evolve
