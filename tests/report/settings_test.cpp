// Which settings differ between conditions: flattened paths, values per condition, a path
// missing in one condition, nested arrays (networks), and nothing for identical configs.
#include "report/settings.hpp"

#include <gtest/gtest.h>

namespace seedline::report {
namespace {

using J = nlohmann::ordered_json;

TEST(Settings, FlattenNamesEveryLeafByItsPath) {
  const auto flat = flatten_settings(J::parse(R"({"ga": {"population": 8, "stages": []},
      "network": [{"type": "dense", "out": 4}], "representation": {"type": "direct"}})"));
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"ga.population", "8"}, {"ga.stages", "[]"}, {"network[0].type", "\"dense\""}, {"network[0].out", "4"},
      {"representation.type", "\"direct\""}};
  EXPECT_EQ(flat, expected);
}

TEST(Settings, DifferencesKeepPathOrderAndMarkMissingValues) {
  const std::vector<J> configs = {
      J::parse(R"({"name": "f", "ga": {"population": 8, "mutation_rate": 0.01},
                   "network": [{"out": 64}, {"out": 2}], "representation": {"type": "factorized", "rank": 2}})"),
      J::parse(R"({"name": "d", "ga": {"population": 8, "mutation_rate": 0.02},
                   "network": [{"out": 64}, {"out": 2}], "representation": {"type": "direct"}})"),
      J::parse(R"({"name": "s", "ga": {"population": 8, "mutation_rate": 0.01},
                   "network": [{"out": 4}, {"out": 2}], "representation": {"type": "direct"}})")};
  const auto d = differing_settings(configs);
  std::vector<std::string> names;
  for (const auto& x : d) names.push_back(x.setting);
  // "name" differs too, but it is each condition's own name: left out.
  EXPECT_EQ(names, (std::vector<std::string>{"ga.mutation_rate", "network[0].out", "representation.type",
                                             "representation.rank"}));
  EXPECT_EQ(d[3].values[0], "2");
  EXPECT_FALSE(d[3].values[1].has_value());
  const auto j = to_json(d);
  EXPECT_EQ(j[0]["values"], J::parse("[0.01, 0.02, 0.01]"));
  EXPECT_EQ(j[3]["values"], J::parse("[2, null, null]"));
  EXPECT_TRUE(differing_settings({configs[0], configs[0]}).empty());
  EXPECT_TRUE(differing_settings({configs[0]}).empty());
}

TEST(Settings, NetworksOfDifferentDepthsCompareOutputLayerWithOutputLayer) {
  // Issue 20: by index, "deep"'s second hidden layer met "shallow"'s output layer.
  const std::vector<J> configs = {
      J::parse(R"({"name": "shallow", "network": [{"out": 64, "activation": "tanh"}, {"out": 2, "activation": "linear"}]})"),
      J::parse(R"({"name": "deep", "network": [{"out": 64, "activation": "tanh"}, {"out": 32, "activation": "tanh"},
                                                 {"out": 2, "activation": "linear"}]})")};
  const auto d = differing_settings(configs);
  std::vector<std::string> names;
  for (const auto& x : d) names.push_back(x.setting);
  // The hidden layer 0 is the same; deep's layer 1 is missing in shallow; the output layers agree.
  EXPECT_EQ(names, (std::vector<std::string>{"network[1].out", "network[1].activation"}));
  EXPECT_FALSE(d[0].values[0].has_value());
  EXPECT_EQ(d[0].values[1], "32");
  // An output layer that differs shows under network[output], after every hidden layer.
  auto wider = configs;
  wider[0]["network"][1]["out"] = 3;
  names.clear();
  for (const auto& x : differing_settings(wider)) names.push_back(x.setting);
  EXPECT_EQ(names, (std::vector<std::string>{"network[1].out", "network[1].activation", "network[output].out"}));
  // Equal depths keep plain indexes (the output layer is network[1] in both).
  EXPECT_EQ(differing_settings({wider[0], configs[0]})[0].setting, "network[1].out");
}

}  // namespace
}  // namespace seedline::report
