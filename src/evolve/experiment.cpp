#include "evolve/experiment.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <limits>

#include "evolve/seeds.hpp"
#include "util/error.hpp"
#include "util/json_fields.hpp"
#include "util/utf8.hpp"

namespace seedline::evolve {
namespace {

using nlohmann::json;

constexpr int kMaxPopulation = 1'000'000;

// The default network: one hidden tanh layer; the output layer's size comes from the task.
json default_network() {
  return json::array({{{"type", "dense"}, {"out", 32}, {"activation", "tanh"}}, {{"type", "dense"}}});
}

// Reads a `ga` object, checking field types and ranges, into `settings` (fields absent keep
// their current value). Records whether truncation was explicit.
void read_ga(const json& value, const std::string& path, GaSettings& settings, bool& truncation_given,
             bool& stages_given) {
  FieldReader r(value, path);
  settings.population = static_cast<int>(r.integer("population", settings.population, 2, kMaxPopulation));
  if (r.has("truncation")) truncation_given = true;
  settings.truncation = static_cast<int>(r.integer("truncation", settings.truncation, 1, kMaxPopulation));
  settings.elites = static_cast<int>(r.integer("elites", settings.elites, 0, kMaxPopulation));
  settings.generations = static_cast<int>(r.integer("generations", settings.generations, 1, 10'000'000));
  if (r.has("sigma") && r.has("mutation_rate")) {
    invalid_argument(r.field("sigma") + ": give either sigma (an absolute mutation std) or mutation_rate (relative to "
                     "each tensor's init std), not both");
  }
  settings.mutation_rate = r.number("mutation_rate", settings.mutation_rate, 1e-12, 100.0);
  // The later of the two wins across levels: a condition's mutation_rate drops a top-level sigma.
  if (r.has("mutation_rate")) settings.sigma.reset();
  if (r.has("sigma")) settings.sigma = r.number("sigma", std::nullopt, 1e-12, 100.0);
  if (auto elite = r.raw("elite_selection")) {
    FieldReader e(*elite, r.field("elite_selection"));
    EliteSelection sel;
    sel.candidates = static_cast<int>(e.integer("candidates", sel.candidates, 1, kMaxPopulation));
    sel.episodes = static_cast<int>(e.integer("episodes", sel.episodes, 1, 65'535));
    e.finish();
    settings.elite_selection = sel;
  }
  if (r.has("bias_std")) settings.bias_std = r.number("bias_std", std::nullopt, 0.0, 100.0);
  settings.snapshot_every = static_cast<int>(r.integer("snapshot_every", settings.snapshot_every, 0, 10'000'000));
  if (auto stages = r.raw("stages")) {
    stages_given = true;
    if (!stages->is_array() || stages->empty()) {
      invalid_argument(r.field("stages") + ": must be a non-empty list of {\"evaluations\", \"keep\"} (got " +
                       describe(*stages) + ")");
    }
    settings.stages.clear();
    for (size_t i = 0; i < stages->size(); ++i) {
      FieldReader s((*stages)[i], r.field("stages") + "[" + std::to_string(i) + "]");
      Stage stage;
      stage.evaluations = static_cast<int>(s.integer("evaluations", 1, 1, 100'000));
      stage.keep = static_cast<int>(s.integer("keep", std::nullopt, 1, kMaxPopulation));
      s.finish();
      settings.stages.push_back(stage);
    }
  }
  r.finish();
}

// Fills defaults that depend on other fields, then checks cross-field rules.
void complete_ga(GaSettings& ga, bool truncation_given, bool stages_given, int episodes, const std::string& path) {
  if (!stages_given) {
    ga.stages = {Stage{episodes, ga.truncation}};
  } else if (!truncation_given) {
    ga.truncation = ga.stages.back().keep;
  }
  validate_ga(ga, path);
}

ConditionConfig parse_condition(const json& value, size_t index, size_t count, const ExperimentSpec& spec, const json& task,
                                const json& network, const json& representation, const json& algorithm,
                                const std::optional<json>& init, const json& base_ga, int episodes) {
  const std::string path = "conditions[" + std::to_string(index) + "]";
  FieldReader r(value, path);
  ConditionConfig c;
  // A lone condition may stay unnamed; with several, names tell them apart.
  c.name = r.string("name", count == 1 ? std::optional<std::string>("default") : std::nullopt);
  if (c.name.empty() || c.name.size() > 64 || c.name.find_first_of("/\\\"\n\t ") != std::string::npos) {
    invalid_argument(r.field("name") + ": must be 1-64 characters without spaces, quotes or slashes (got " +
                     describe(c.name) + ")");
  }
  for (const auto& other : spec.conditions) {
    if (other.name == c.name) invalid_argument(r.field("name") + ": duplicate condition name '" + c.name + "'");
  }
  c.task = task;
  c.network = r.raw("network").value_or(network);
  if (!c.network.is_array() || c.network.empty()) {
    invalid_argument(r.field("network") + ": must be a non-empty list of layers (got " + describe(c.network) + ")");
  }
  c.representation = r.raw("representation").value_or(representation);
  if (!c.representation.is_object()) {
    invalid_argument(r.field("representation") + ": must be an object like {\"type\": \"direct\"} (got " +
                     describe(c.representation) + ")");
  }
  bool truncation_given = false, stages_given = false;
  read_ga(base_ga, "ga", c.ga, truncation_given, stages_given);
  std::string ga_path = "ga";
  if (auto overrides = r.raw("ga")) {
    read_ga(*overrides, r.field("ga"), c.ga, truncation_given, stages_given);
    ga_path = r.field("ga");
  }
  complete_ga(c.ga, truncation_given, stages_given, episodes, ga_path);
  if (auto own = r.raw("algorithm")) {
    c.algorithm = parse_algorithm(*own, r.field("algorithm"));
  } else {
    c.algorithm = parse_algorithm(algorithm, "algorithm");
  }
  validate_algorithm(c.algorithm, c.ga, path);
  if (auto own = r.raw("init")) {
    c.init = parse_init(*own, r.field("init"));
  } else if (init) {
    c.init = parse_init(*init, "init");
  }
  r.finish();
  return c;
}

bool is_hex16(const std::string& s) {
  return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char ch) {
           return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
         });
}

}  // namespace

InitSpec parse_init(const nlohmann::json& j, const std::string& path) {
  FieldReader r(j, path);
  InitSpec init;
  init.from = r.string("from");
  if (init.from.empty() || init.from.find('\0') != std::string::npos) {
    invalid_argument(r.field("from") + ": must be the path of a safetensors file (got " + describe(init.from) + ")");
  }
  if (r.has("bytes") != r.has("xxh64")) {
    invalid_argument(path + ": give both bytes and xxh64 (the recorded file) or neither");
  }
  if (r.has("bytes")) init.bytes = r.integer("bytes", std::nullopt, 0, std::numeric_limits<int64_t>::max());
  if (r.has("xxh64")) {
    init.xxh64 = r.string("xxh64");
    if (!is_hex16(*init.xxh64)) {
      invalid_argument(r.field("xxh64") + ": must be 16 lowercase hex digits (got " + describe(*init.xxh64) + ")");
    }
  }
  r.finish();
  return init;
}

nlohmann::json InitSpec::to_json() const {
  json j = {{"from", from}};
  if (bytes) j["bytes"] = *bytes;
  if (xxh64) j["xxh64"] = *xxh64;
  return j;
}

void validate_ga(const GaSettings& ga, const std::string& path) {
  const auto f = [&](const char* name) { return path + "." + name; };
  if (ga.stages.empty()) invalid_argument(f("stages") + ": must not be empty");
  for (size_t i = 0; i < ga.stages.size(); ++i) {
    const std::string s = path + ".stages[" + std::to_string(i) + "]";
    const int keep = ga.stages[i].keep;
    if (i == 0 && keep > ga.population) {
      invalid_argument(s + ".keep (" + std::to_string(keep) + ") exceeds " + f("population") + " (" +
                       std::to_string(ga.population) + ")");
    }
    if (i > 0 && keep > ga.stages[i - 1].keep) {
      invalid_argument(s + ".keep (" + std::to_string(keep) + ") exceeds the previous stage's keep (" +
                       std::to_string(ga.stages[i - 1].keep) + ")");
    }
    if (ga.stages[i].evaluations < 1) invalid_argument(s + ".evaluations: must be >= 1");
  }
  if (ga.truncation > ga.population) {
    invalid_argument(f("truncation") + " (" + std::to_string(ga.truncation) + ") exceeds " + f("population") + " (" +
                     std::to_string(ga.population) + ")");
  }
  if (ga.elites > ga.truncation) {
    invalid_argument(f("elites") + " (" + std::to_string(ga.elites) + ") exceeds " + f("truncation") + " (" +
                     std::to_string(ga.truncation) + ")");
  }
  if (ga.elites >= ga.population) {
    invalid_argument(f("elites") + " (" + std::to_string(ga.elites) + ") leaves no room for children in " +
                     f("population") + " (" + std::to_string(ga.population) + ")");
  }
  if (ga.elite_selection) {
    const auto& e = *ga.elite_selection;
    const std::string s = path + ".elite_selection";
    if (e.candidates > ga.truncation) {
      invalid_argument(s + ".candidates (" + std::to_string(e.candidates) + ") exceeds " + f("truncation") + " (" +
                       std::to_string(ga.truncation) + ")");
    }
    if (ga.elites < 1) invalid_argument(s + ": needs " + f("elites") + " >= 1 (the elite is what it selects)");
    if (e.candidates < ga.elites) {
      invalid_argument(s + ".candidates (" + std::to_string(e.candidates) + ") is less than " + f("elites") + " (" +
                       std::to_string(ga.elites) + ")");
    }
  }
  if (ga.stages.back().keep != ga.truncation) {
    invalid_argument(f("truncation") + " (" + std::to_string(ga.truncation) + ") differs from the last stage's keep (" +
                     std::to_string(ga.stages.back().keep) + "); give only one of them");
  }
}

nlohmann::json ConditionConfig::to_json() const {
  json stages = json::array();
  for (const auto& s : ga.stages) stages.push_back({{"evaluations", s.evaluations}, {"keep", s.keep}});
  json g = {{"population", ga.population},       {"truncation", ga.truncation},
            {"elites", ga.elites},               {"generations", ga.generations},
            {"mutation_rate", ga.mutation_rate}, {"stages", stages},
            {"snapshot_every", ga.snapshot_every}};
  // New fields only when set, so the stored config of an experiment without them is unchanged.
  if (ga.sigma) {
    g.erase("mutation_rate");
    g["sigma"] = *ga.sigma;
  }
  if (ga.bias_std) g["bias_std"] = *ga.bias_std;
  if (ga.elite_selection) {
    g["elite_selection"] = {{"candidates", ga.elite_selection->candidates}, {"episodes", ga.elite_selection->episodes}};
  }
  json j = {{"name", name}, {"task", task}, {"network", network}, {"representation", representation}, {"ga", g}};
  if (algorithm.is_es()) j["algorithm"] = algorithm.to_json();
  if (init) j["init"] = init->to_json();
  return j;
}

ConditionConfig ConditionConfig::from_json(const nlohmann::json& j) {
  try {
    ConditionConfig c;
    c.name = j.at("name").get<std::string>();
    c.task = j.at("task");
    c.network = j.at("network");
    c.representation = j.at("representation");
    bool truncation_given = true, stages_given = true;
    read_ga(j.at("ga"), "ga", c.ga, truncation_given, stages_given);
    validate_ga(c.ga, "ga");
    if (j.contains("algorithm")) c.algorithm = parse_algorithm(j.at("algorithm"), "algorithm");
    validate_algorithm(c.algorithm, c.ga, "");
    if (j.contains("init")) c.init = parse_init(j.at("init"), "init");
    return c;
  } catch (const nlohmann::json::exception& e) {
    corruption(std::string("stored condition config is malformed: ") + e.what());
  } catch (const Error& e) {
    corruption(std::string("stored condition config is invalid: ") + e.what());
  }
}

ExperimentSpec parse_experiment(const std::string& text, const std::string& origin) {
  json doc;
  try {
    JsonInputCheck<json> check;
    doc = json::parse(text, std::ref(check), /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::exception& e) {
    // A parse_error carries the line and column; a number too large for a double (1e999) is
    // an out_of_range error. Either way, drop nlohmann's "[json.exception.*] " prefix.
    std::string what = e.what();
    const auto pos = what.find("] ");
    invalid_argument(origin + ": not valid JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2)));
  }
  FieldReader r(doc, "");
  ExperimentSpec spec;
  const std::string stem = std::filesystem::path(origin).stem().string();
  spec.name = r.string("name", stem.empty() ? std::string("experiment") : stem);
  // Control characters (a newline, an escape sequence) would garble status tables and logs.
  const bool control = std::any_of(spec.name.begin(), spec.name.end(),
                                   [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; });
  // Characters, not bytes: "é" is one of the 128. A name taken from a file name may not be
  // UTF-8 at all, and could then not be shown in JSON as it is.
  if (spec.name.empty() || !valid_utf8(spec.name) || utf8_length(spec.name) > 128 || control) {
    invalid_argument("name: must be 1-128 characters without control characters, in UTF-8 (got " +
                     describe(spec.name) + ")");
  }
  spec.seed = r.unsigned64("seed", 0);
  spec.trials = static_cast<int>(r.integer("trials", 1, 1, 100'000));

  json task = r.raw("task").value_or(json{{"type", "cartpole"}});
  FieldReader task_fields(task, "task");  // only checks that it is an object; the task module validates fields
  int episodes = 1;
  if (task.contains("episodes") && task["episodes"].is_number_integer() && task["episodes"].get<int64_t>() >= 1 &&
      task["episodes"].get<int64_t>() <= 100'000) {
    episodes = static_cast<int>(task["episodes"].get<int64_t>());
  }
  const json network = r.raw("network").value_or(default_network());
  const json representation = r.raw("representation").value_or(json{{"type", "direct"}});
  const json algorithm = r.raw("algorithm").value_or(json{{"type", "ga"}});
  parse_algorithm(algorithm, "algorithm");  // its own errors name "algorithm.*" even when every condition overrides it
  const std::optional<json> init = r.raw("init");
  if (init) parse_init(*init, "init");  // its errors name "init.*" even when every condition overrides it
  const json base_ga = r.raw("ga").value_or(json::object());
  {
    // Validate the top-level ga alone so its errors name "ga.*" even when conditions override it.
    GaSettings probe;
    bool truncation_given = false, stages_given = false;
    read_ga(base_ga, "ga", probe, truncation_given, stages_given);
  }
  json conditions = r.raw("conditions").value_or(json::array({json::object()}));
  if (!conditions.is_array() || conditions.empty()) {
    invalid_argument("conditions: must be a non-empty list (got " + describe(conditions) + ")");
  }
  r.finish();
  for (size_t i = 0; i < conditions.size(); ++i) {
    spec.conditions.push_back(
        parse_condition(conditions[i], i, conditions.size(), spec, task, network, representation, algorithm,
                        init, base_ga, episodes));
  }
  spec.source = doc;
  return spec;
}

uint64_t run_seed(uint64_t master_seed, int condition_index, int trial) {
  return derive(master_seed, Stream::kRunSeed, static_cast<uint64_t>(condition_index), static_cast<uint32_t>(trial));
}

}  // namespace seedline::evolve
