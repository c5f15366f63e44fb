// The settings of an experiment's conditions side by side: each condition's stored,
// resolved config (network, representation, task, ga, with every default filled in) is
// flattened to dotted paths ("ga.mutation_rate", "network[0].out") and the paths whose
// values are not the same in every condition are listed. `seedline show` prints them, and
// the experiment page of the dashboard shows them as a table (GET /api/experiments/{id}).
//
// Pure functions of JSON values; thread-safe. Never throws on any JSON input.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace seedline::report {

// (path, value as compact JSON text) for every leaf of `config`, in document order. An empty
// object or array is a leaf ("{}", "[]").
std::vector<std::pair<std::string, std::string>> flatten_settings(const nlohmann::ordered_json& config);

struct SettingDifference {
  std::string setting;                              // dotted path
  std::vector<std::optional<std::string>> values;   // per condition; nullopt: not set there
};

// The settings a condition runs with, from its stored config: every network layer with its
// defaults filled in ("in" from the task or the layer before, the output layer's "out" from the
// task, "activation", "bias", a conv's "stride" and "padding"), and for an evolution-strategies
// condition the `ga` fields ES does not use (truncation, elites, mutation_rate, sigma,
// bias_std, elite_selection) left out (docs/es.md). A transformer layer is shown as stored.
// A config that no longer builds (or is not an object) comes back unchanged.
nlohmann::ordered_json resolved_settings(const nlohmann::ordered_json& config);

// The settings whose values differ between `configs` (one per condition), in the order
// they first appear, leaving out the top-level "name" (each condition's own name, which a
// table of conditions already shows). Empty for fewer than 2 configs. When the conditions'
// networks have different numbers of layers, each one's output layer is compared with the
// others' output layers as "network[output]..." (after the hidden layers' rows), not by index.
std::vector<SettingDifference> differing_settings(const std::vector<nlohmann::ordered_json>& configs);

// [{"setting", "values": [...]}] with each value the JSON value itself (null: not set).
nlohmann::ordered_json to_json(const std::vector<SettingDifference>& differences);

}  // namespace seedline::report
