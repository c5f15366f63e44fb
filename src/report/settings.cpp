#include "report/settings.hpp"

#include <algorithm>
#include <map>

#include "evolve/experiment.hpp"
#include "genome/architecture.hpp"
#include "nn/activation.hpp"
#include "tasks/task.hpp"

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

// {n} as n, a {C, H, W} image as [C, H, W].
nlohmann::ordered_json shape_json(const std::vector<int64_t>& shape) {
  if (shape.size() == 1) return shape.front();
  return shape;
}

// A (h, w) pair as one number when both are equal, as a file usually writes it.
nlohmann::ordered_json pair_json(int64_t h, int64_t w) {
  if (h == w) return h;
  return nlohmann::ordered_json::array({h, w});
}

// The stored layer with what parse_architecture filled in, in a fixed order: type, in, out,
// the conv fields, activation, bias, then anything else the file gave.
nlohmann::ordered_json resolved_layer(const nlohmann::ordered_json& stored, const genome::LayerSpec& layer,
                                      const genome::Architecture& arch) {
  if (layer.type == "transformer" || !stored.is_object()) return stored;
  nlohmann::ordered_json out = {{"type", layer.type}};
  const bool has_in = layer.type == "dense" || layer.type == "conv" || layer.type == "layer_norm" ||
                      layer.type == "bias";
  if (has_in && !layer.input_shape.empty()) out["in"] = shape_json(layer.input_shape);
  if ((layer.type == "dense" || layer.type == "conv") && !layer.tensors.empty()) {
    out["out"] = arch.tensors[static_cast<size_t>(layer.tensors.front())].shape.front();
  }
  if (layer.type == "conv" && !layer.tensors.empty()) {
    const auto& kernel = arch.tensors[static_cast<size_t>(layer.tensors.front())].shape;
    out["kernel"] = pair_json(kernel[2], kernel[3]);
    out["stride"] = pair_json(layer.stride_h, layer.stride_w);
    out["padding"] = pair_json(layer.padding_h, layer.padding_w);
  }
  if (layer.type != "flatten" && layer.type != "embedding") {
    out["activation"] = std::string(nn::activation_name(layer.activation));
  }
  if (layer.type == "dense" || layer.type == "conv") out["bias"] = layer.tensors.size() == 2;
  for (const auto& [key, value] : stored.items()) {
    if (!out.contains(key)) out[key] = value;
  }
  return out;
}

// The architecture the condition's runs develop: its network on the task's observation shape,
// the output layer's width from the task when the file left it out (as
// genome::genome_for_condition builds it; the task's spec only, never its data).
genome::Architecture condition_architecture(const evolve::ConditionConfig& config) {
  const auto task = tasks::make_task(config.task, tasks::TaskData::kSpecOnly);
  std::vector<int64_t> input_shape;
  nlohmann::json network = config.network;
  if (!task->scores_phenotype() && !task->scores_network()) {
    input_shape = task->observation_shape();
    if (network.is_array() && !network.empty() && network.back().is_object() && !network.back().contains("out") &&
        network.back().value("type", "") == "dense") {
      network.back()["out"] = task->action_size();
    }
  }
  return genome::parse_architecture(network, input_shape, "network");
}

}  // namespace

nlohmann::ordered_json resolved_settings(const nlohmann::ordered_json& config) {
  if (!config.is_object()) return config;
  nlohmann::ordered_json out = config;
  try {
    const auto parsed = evolve::ConditionConfig::from_json(nlohmann::json::parse(config.dump()));
    const auto arch = condition_architecture(parsed);
    const auto& network = config.at("network");
    if (network.is_array() && network.size() == arch.layers.size()) {
      nlohmann::ordered_json layers = nlohmann::ordered_json::array();
      for (size_t i = 0; i < network.size(); ++i) layers.push_back(resolved_layer(network[i], arch.layers[i], arch));
      out["network"] = std::move(layers);
    }
    if (parsed.algorithm.is_es() && out.contains("ga") && out["ga"].is_object()) {
      for (const char* unused : {"truncation", "elites", "mutation_rate", "sigma", "bias_std", "elite_selection"}) {
        out["ga"].erase(unused);
      }
    }
  } catch (const std::exception&) {
    return config;  // shown as stored: what cannot be resolved is still worth seeing
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> flatten_settings(const nlohmann::ordered_json& config) {
  std::vector<std::pair<std::string, std::string>> out;
  flatten(config, "", out);
  return out;
}

std::vector<SettingDifference> differing_settings(const std::vector<nlohmann::ordered_json>& configs) {
  if (configs.size() < 2) return {};
  // Networks of different depths: compared by index, a hidden layer of one condition would
  // meet the output layer of another. Their output layers are then compared as
  // network[output], after every hidden layer; hidden layers keep their index.
  std::optional<size_t> depth;
  bool depths_differ = false;
  for (const auto& c : configs) {
    const size_t d = c.is_object() && c.contains("network") && c["network"].is_array() ? c["network"].size() : 0;
    if (depth && *depth != d) depths_differ = true;
    depth = d;
  }
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::optional<std::string>>> values;
  for (size_t c = 0; c < configs.size(); ++c) {
    const size_t layers = configs[c].is_object() && configs[c].contains("network") && configs[c]["network"].is_array()
                              ? configs[c]["network"].size()
                              : 0;
    const std::string last = layers > 0 ? "network[" + std::to_string(layers - 1) + "]" : std::string();
    for (auto [path, value] : flatten_settings(configs[c])) {
      const bool is_output = depths_differ && !last.empty() && path.rfind(last, 0) == 0 &&
                             (path.size() == last.size() || path[last.size()] == '.' || path[last.size()] == '[');
      if (is_output) path = "network[output]" + path.substr(last.size());
      auto [it, inserted] = values.try_emplace(path, configs.size());
      if (inserted) {
        // A hidden layer first seen after the output layer's rows goes before them.
        const auto first_output = std::find_if(order.begin(), order.end(), [](const std::string& p) {
          return p.rfind("network[output]", 0) == 0;
        });
        if (!is_output && path.rfind("network[", 0) == 0 && first_output != order.end()) {
          order.insert(first_output, path);
        } else {
          order.push_back(path);
        }
      }
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
