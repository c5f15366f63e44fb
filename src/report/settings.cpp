#include "report/settings.hpp"

#include <map>

namespace seedline::report {
namespace {

void flatten(const nlohmann::ordered_json& v, const std::string& path, std::vector<std::pair<std::string, std::string>>& out) {
  if (v.is_object() && !v.empty()) {
    for (const auto& [key, child] : v.items()) flatten(child, path.empty() ? key : path + "." + key, out);
  } else if (v.is_array() && !v.empty()) {
    for (size_t i = 0; i < v.size(); ++i) flatten(v[i], path + "[" + std::to_string(i) + "]", out);
  } else {
    out.emplace_back(path, v.dump());
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> flatten_settings(const nlohmann::ordered_json& config) {
  std::vector<std::pair<std::string, std::string>> out;
  flatten(config, "", out);
  return out;
}

std::vector<SettingDifference> differing_settings(const std::vector<nlohmann::ordered_json>& configs) {
  if (configs.size() < 2) return {};
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::optional<std::string>>> values;
  for (size_t c = 0; c < configs.size(); ++c) {
    for (auto& [path, value] : flatten_settings(configs[c])) {
      auto [it, inserted] = values.try_emplace(path, configs.size());
      if (inserted) order.push_back(path);
      it->second[c] = std::move(value);
    }
  }
  std::vector<SettingDifference> out;
  for (const auto& path : order) {
    if (path == "name") continue;  // the condition's own name: the columns already say it
    const auto& v = values[path];
    bool same = true;
    for (const auto& x : v) same = same && x == v.front();
    if (!same) out.push_back({path, v});
  }
  return out;
}

nlohmann::ordered_json to_json(const std::vector<SettingDifference>& differences) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& d : differences) {
    nlohmann::ordered_json values = nlohmann::ordered_json::array();
    for (const auto& v : d.values) values.push_back(v ? nlohmann::ordered_json::parse(*v) : nullptr);
    out.push_back({{"setting", d.setting}, {"values", values}});
  }
  return out;
}

}  // namespace seedline::report
