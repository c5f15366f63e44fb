#include "stats/compare.hpp"

#include <cmath>

#include "stats/sample_checks.hpp"
#include "util/error.hpp"

namespace seedline::stats {
namespace {

// JSON has no NaN or infinity; an undefined statistic is written as null.
nlohmann::ordered_json number(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

std::string quoted(const std::string& name) { return "'" + name + "'"; }

}  // namespace

Comparison compare_groups(const std::vector<Group>& groups, MwuMethod method) {
  if (groups.size() < 2) {
    invalid_argument("comparing groups needs at least 2 groups, got " +
                     std::to_string(groups.size()));
  }
  // Validate up front so a message names the group rather than "first sample".
  for (const auto& g : groups) check_sample(g.values, "group " + quoted(g.name));

  Comparison out;
  std::vector<std::vector<double>> values;
  for (const auto& g : groups) {
    out.groups.push_back({g.name, mean_ci95(g.values)});
    values.push_back(g.values);
  }
  out.kruskal = kruskal(values);

  std::vector<double> p;
  for (size_t i = 0; i < groups.size(); ++i) {
    for (size_t j = i + 1; j < groups.size(); ++j) {
      const auto& a = groups[i].values;
      const auto& b = groups[j].values;
      PairComparison pc;
      pc.a = groups[i].name;
      pc.b = groups[j].name;
      pc.mwu = mann_whitney_u(a, b, method);
      pc.ranksums = ranksums(a, b);
      pc.glass_delta = glass_delta(a, b);
      pc.a12 = a12(a, b);
      p.push_back(pc.mwu.p);
      out.pairs.push_back(std::move(pc));
    }
  }
  const auto adjusted = holm(p);
  for (size_t i = 0; i < out.pairs.size(); ++i) out.pairs[i].p_holm = adjusted[i];
  return out;
}

nlohmann::ordered_json to_json(const Comparison& c) {
  nlohmann::ordered_json j;
  j["kruskal"] = {{"H", number(c.kruskal.H)}, {"p", number(c.kruskal.p)}};
  j["groups"] = nlohmann::ordered_json::array();
  for (const auto& g : c.groups) {
    j["groups"].push_back({{"name", g.name},
                           {"n", g.mean_ci.n},
                           {"mean", number(g.mean_ci.mean)},
                           {"ci95", {number(g.mean_ci.lo), number(g.mean_ci.hi)}}});
  }
  j["pairs"] = nlohmann::ordered_json::array();
  for (const auto& pc : c.pairs) {
    j["pairs"].push_back(
        {{"a", pc.a},
         {"b", pc.b},
         {"mwu",
          {{"U", pc.mwu.U}, {"p", pc.mwu.p}, {"method", mwu_method_name(pc.mwu.method_used)}}},
         {"ranksums", {{"z", number(pc.ranksums.z)}, {"p", number(pc.ranksums.p)}}},
         {"glass_delta", number(pc.glass_delta)},
         {"a12", pc.a12},
         {"p_holm", pc.p_holm}});
  }
  return j;
}

std::vector<Group> groups_from_json(const nlohmann::ordered_json& doc) {
  if (!doc.is_object()) {
    invalid_argument(std::string("stats input must be a JSON object {\"groups\": {...}}, got ") +
                     doc.type_name());
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "groups") invalid_argument("stats input: unknown field '" + key + "'");
  }
  if (!doc.contains("groups")) invalid_argument("stats input: missing field 'groups'");
  const auto& g = doc["groups"];
  if (!g.is_object()) {
    invalid_argument(std::string("stats input: 'groups' must be an object of name: [numbers], got ") +
                     g.type_name());
  }
  std::vector<Group> groups;
  for (const auto& [name, values] : g.items()) {
    if (!values.is_array()) {
      invalid_argument("stats input: group " + quoted(name) + " must be an array of numbers, got " +
                       values.type_name());
    }
    Group group{name, {}};
    for (size_t i = 0; i < values.size(); ++i) {
      if (!values[i].is_number()) {
        invalid_argument("stats input: group " + quoted(name) + ": element " + std::to_string(i) +
                         " is not a number (got " + values[i].type_name() + ")");
      }
      group.values.push_back(values[i].get<double>());
    }
    check_sample(group.values, "stats input: group " + quoted(name));
    groups.push_back(std::move(group));
  }
  if (groups.size() < 2) {
    invalid_argument("stats input: need at least 2 groups, got " + std::to_string(groups.size()));
  }
  return groups;
}

}  // namespace seedline::stats
