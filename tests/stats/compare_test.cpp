// compare_groups / to_json / groups_from_json: the comparison `seedline stats` prints.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "stats/compare.hpp"
#include "util/error.hpp"

namespace seedline::stats {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

TEST(CompareGroups, PairsInGroupOrderWithHolmOverTheirMwuP) {
  const std::vector<Group> groups = {{"factorized", {9, 8.5, 9.7, 10, 9.1}},
                                     {"direct", {5, 6.5, 7, 5.5, 6}},
                                     {"small", {6, 7.5, 4, 5.2}}};
  const auto c = compare_groups(groups, MwuMethod::kAuto);
  ASSERT_EQ(c.pairs.size(), 3u);
  const std::pair<std::string, std::string> expected[] = {
      {"factorized", "direct"}, {"factorized", "small"}, {"direct", "small"}};
  std::vector<double> p;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(c.pairs[i].a, expected[i].first);
    EXPECT_EQ(c.pairs[i].b, expected[i].second);
    const auto& a = groups[i < 2 ? 0 : 1].values;
    const auto& b = groups[i == 0 ? 1 : 2].values;
    const auto mwu = mann_whitney_u(a, b, MwuMethod::kAuto);
    EXPECT_EQ(c.pairs[i].mwu.U, mwu.U);
    EXPECT_EQ(c.pairs[i].mwu.p, mwu.p);
    EXPECT_EQ(c.pairs[i].glass_delta, glass_delta(a, b));
    EXPECT_EQ(c.pairs[i].a12, a12(a, b));
    p.push_back(mwu.p);
  }
  const auto adjusted = holm(p);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(c.pairs[i].p_holm, adjusted[i]);
  EXPECT_EQ(c.kruskal.H, kruskal({groups[0].values, groups[1].values, groups[2].values}).H);
  ASSERT_EQ(c.groups.size(), 3u);
  EXPECT_EQ(c.groups[2].name, "small");
  EXPECT_EQ(c.groups[2].mean_ci.n, 4);
}

TEST(CompareGroups, JsonShapeAndNullForUndefinedValues) {
  // "one" has a single value: as control its Glass's delta is undefined, and so is its CI.
  const auto j = to_json(compare_groups({{"many", {1, 2, 3}}, {"one", {2.5}}}, MwuMethod::kAuto));
  ASSERT_TRUE(j["kruskal"]["H"].is_number());
  ASSERT_TRUE(j["kruskal"]["p"].is_number());
  ASSERT_EQ(j["pairs"].size(), 1u);
  const auto& pair = j["pairs"][0];
  EXPECT_EQ(pair["a"], "many");
  EXPECT_EQ(pair["b"], "one");
  EXPECT_TRUE(pair["mwu"]["U"].is_number());
  EXPECT_TRUE(pair["mwu"]["p"].is_number());
  EXPECT_EQ(pair["mwu"]["method"], "exact");
  EXPECT_TRUE(pair["ranksums"]["z"].is_number());
  EXPECT_TRUE(pair["ranksums"]["p"].is_number());
  EXPECT_TRUE(pair["glass_delta"].is_null());
  EXPECT_TRUE(pair["a12"].is_number());
  EXPECT_TRUE(pair["p_holm"].is_number());
  EXPECT_EQ(j["groups"][1]["name"], "one");
  EXPECT_EQ(j["groups"][1]["mean"], 2.5);
  EXPECT_TRUE(j["groups"][1]["ci95"][0].is_null());

  const auto flat = to_json(compare_groups({{"x", {5, 5}}, {"y", {5, 5, 5}}}, MwuMethod::kAuto));
  EXPECT_TRUE(flat["kruskal"]["H"].is_null());
  EXPECT_TRUE(flat["kruskal"]["p"].is_null());
  EXPECT_EQ(flat["pairs"][0]["mwu"]["p"], 1.0);
}

TEST(CompareGroups, ErrorsNameTheGroup) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(error_of([&] { compare_groups({{"a", {1, 2}}, {"b", {3, nan}}}, MwuMethod::kAuto); })
                .find("group 'b': value at index 1 is NaN"),
            std::string::npos);
  EXPECT_NE(error_of([] { compare_groups({{"a", {1}}, {"empty", {}}}, MwuMethod::kAuto); })
                .find("group 'empty' is empty"),
            std::string::npos);
  EXPECT_NE(error_of([] { compare_groups({{"a", {1}}}, MwuMethod::kAuto); }).find("at least 2 groups"),
            std::string::npos);
}

TEST(GroupsFromJson, KeepsDocumentOrder) {
  const auto groups = groups_from_json(
      nlohmann::ordered_json::parse(R"({"groups": {"zeta": [1, 2.5], "alpha": [-3e2], "mid": [0]}})"));
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].name, "zeta");
  EXPECT_EQ(groups[1].name, "alpha");
  EXPECT_EQ(groups[2].name, "mid");
  EXPECT_EQ(groups[0].values, (std::vector<double>{1, 2.5}));
  EXPECT_EQ(groups[1].values, (std::vector<double>{-300}));
}

TEST(GroupsFromJson, RejectsMalformedInputNamingTheField) {
  struct Case {
    const char* name;
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {"not_object", "[1, 2]", "must be a JSON object"},
      {"missing_groups", "{}", "missing field 'groups'"},
      {"unknown_field", R"({"groups": {"a": [1], "b": [2]}, "method": "x"})", "unknown field 'method'"},
      {"groups_not_object", R"({"groups": [[1], [2]]})", "'groups' must be an object"},
      {"group_not_array", R"({"groups": {"a": [1], "b": 2}})", "group 'b' must be an array"},
      {"string_value", R"({"groups": {"a": [1], "b": [2, "3"]}})", "group 'b': element 1 is not a number"},
      {"bool_value", R"({"groups": {"a": [true], "b": [2]}})", "group 'a': element 0 is not a number"},
      {"null_value", R"({"groups": {"a": [1], "b": [null]}})", "element 0 is not a number"},
      {"empty_group", R"({"groups": {"a": [1], "b": []}})", "group 'b' is empty"},
      {"one_group", R"({"groups": {"a": [1, 2]}})", "need at least 2 groups, got 1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto doc = nlohmann::ordered_json::parse(c.json);
    const auto message = error_of([&] { groups_from_json(doc); });
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace seedline::stats
