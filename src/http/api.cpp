#include "http/api.hpp"

#include <cmath>
#include <map>

#include "es/lineage.hpp"
#include "genome/run_genome.hpp"
#include "individual/individual.hpp"
#include "lineage/run_tree.hpp"
#include "lineage/tree.hpp"
#include "report/export.hpp"
#include "report/settings.hpp"
#include "runner/status.hpp"
#include "stats/experiment_compare.hpp"
#include "stats/experiment_curves.hpp"
#include "store/generation_bests.hpp"
#include "store/lineage_repo.hpp"
#include "store/metric_repo.hpp"
#include "store/migrations.hpp"
#include "store/reevaluation_repo.hpp"
#include "store/snapshot_repo.hpp"
#include "store/stage_repo.hpp"
#include "tasks/task.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace seedline::http {
namespace {

template <typename T>
Json optional(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

// A fitness as JSON: null when absent or not finite (JSON has no NaN).
Json fitness(const std::optional<double>& v) { return v && std::isfinite(*v) ? Json(*v) : Json(nullptr); }

// Seeds are decimal strings: JavaScript numbers lose precision above 2^53.
std::string seed_text(uint64_t seed) { return std::to_string(seed); }

std::string checksum_text(uint64_t checksum) { return hex16(checksum); }

// The stored spec/config text as JSON; it was written as JSON, so failing to parse is damage.
Json stored_json(const std::string& text, const std::string& what) {
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::exception&) {
    corruption(what + " is not valid JSON");
  }
}

store::RunRow get_run(store::Database& db, int64_t run_id) {
  auto run = store::find_run(db, run_id);
  if (!run) not_found("run " + std::to_string(run_id) + " does not exist");
  return *run;
}

// What the settings table compares: each layer with its defaults, ES without the GA-only fields.
std::vector<Json> resolved_configs(const std::vector<Json>& configs) {
  std::vector<Json> out;
  for (const auto& c : configs) out.push_back(report::resolved_settings(c));
  return out;
}

}  // namespace

Json run_json(const store::RunSummary& summary) {
  const store::RunRow& run = summary.run;
  return {{"id", run.id},
          {"experiment", run.experiment_id},
          {"experiment_name", summary.experiment_name},
          {"condition", run.condition},
          {"trial", run.trial},
          {"state", store::run_state_name(run.state)},
          {"generation", summary.last_generation},
          {"generations", summary.generations},
          {"best_fitness", fitness(summary.best_fitness)},
          {"best_individual", optional(summary.best_individual)},
          {"final_best", fitness(summary.final_best)},
          {"seed", seed_text(run.seed)},
          {"noise_version", run.noise_version},
          {"kernel_version", run.kernel_version},
          {"message", optional(run.message)},
          {"heartbeat", optional(run.heartbeat)},
          {"evaluators", runner::evaluators_json(summary.evaluators)}};
}

Json health_json(store::Database& db) {
  return {{"status", "ok"}, {"version", SEEDLINE_VERSION}, {"schema_version", store::schema_version(db)}};
}

Json experiments_json(store::Database& db) {
  std::map<int64_t, Json> states;
  for (const auto& c : store::run_state_counts(db)) {
    auto& s = states[c.experiment_id];
    if (s.is_null()) s = {{"queued", 0}, {"running", 0}, {"paused", 0}, {"finished", 0}, {"failed", 0}};
    s[std::string(store::run_state_name(c.state))] = c.runs;
  }
  Json list = Json::array();
  for (const auto& e : store::list_experiments(db)) {
    Json conditions = Json::array();
    for (const auto& c : store::list_conditions(db, e.id)) conditions.push_back(c.name);
    Json s = states.count(e.id) ? states[e.id]
                                : Json{{"queued", 0}, {"running", 0}, {"paused", 0}, {"finished", 0}, {"failed", 0}};
    int64_t runs = 0;
    for (const auto& [state, n] : s.items()) runs += n.get<int64_t>();
    list.push_back({{"id", e.id},
                    {"name", e.name},
                    {"created_at", e.created_at},
                    {"conditions", conditions},
                    {"runs", runs},
                    {"states", s}});
  }
  return {{"experiments", list}};
}

Json experiment_json(store::Database& db, const std::string& id_or_name) {
  const auto e = store::resolve_experiment(db, id_or_name);
  Json conditions = Json::array();
  std::vector<Json> configs;
  std::string label = "fitness";
  for (const auto& c : store::list_conditions(db, e.id)) {
    configs.push_back(stored_json(c.config, "config of condition " + std::to_string(c.id)));
    if (conditions.empty() && configs.back().is_object() && configs.back().contains("task")) {
      label = tasks::fitness_label(configs.back()["task"]);
    }
    conditions.push_back({{"id", c.id}, {"name", c.name}, {"position", c.position}, {"config", configs.back()}});
  }
  Json runs = Json::array();
  for (const auto& r : store::run_summaries(db, e.id)) runs.push_back(run_json(r));
  return {{"id", e.id},
          {"name", e.name},
          {"created_at", e.created_at},
          {"spec", stored_json(e.spec, "spec of experiment " + std::to_string(e.id))},
          {"fitness_label", label},
          {"conditions", conditions},
          {"settings_differ", report::to_json(report::differing_settings(resolved_configs(configs)))},
          {"metric_names", store::metric_names(db, e.id)},
          {"runs", runs}};
}

Json curves_json(store::Database& db, const std::string& id_or_name, stats::Metric metric, int max_points) {
  return curves_json(db, id_or_name, stats::MetricSpec{metric, std::nullopt, false, std::nullopt}, max_points);
}

Json curves_json(store::Database& db, const std::string& id_or_name, const stats::MetricSpec& spec,
                 int max_points) {
  const auto e = store::resolve_experiment(db, id_or_name);
  return stats::to_json(stats::experiment_curves(db, e.id, spec, max_points));
}

Json compare_json(store::Database& db, const std::string& id_or_name, stats::Metric metric,
                  std::optional<int> generation, stats::MwuMethod method) {
  return compare_json(db, id_or_name, stats::MetricSpec{metric, std::nullopt, false, std::nullopt}, generation, method);
}

Json compare_json(store::Database& db, const std::string& id_or_name, const stats::MetricSpec& spec,
                  std::optional<int> generation, stats::MwuMethod method) {
  const auto e = store::resolve_experiment(db, id_or_name);
  return stats::to_json(stats::compare_experiment(db, e, spec, generation, method));
}

Json run_detail_json(store::Database& db, int64_t run_id) {
  auto summary = store::run_summary(db, run_id);
  if (!summary) not_found("run " + std::to_string(run_id) + " does not exist");
  Json out = run_json(*summary);
  // An ES run's result (docs/es.md); null for a GA run.
  out["final_center"] = Json(runner::final_center_json(runner::final_center(db, summary->run)));
  // "loss" when the fitness is minus a loss (the language model): the run page shows losses.
  out["fitness_label"] = report::run_shows_loss(db, run_id) ? "loss" : "fitness";
  return out;
}

Json run_metrics_json(store::Database& db, int64_t run_id, bool members) {
  get_run(db, run_id);
  // Rows come by generation then name: one columnar series per name.
  std::map<std::string, Json> series;
  for (const auto& m : store::list_generation_metrics(db, run_id, members)) {
    auto& s = series[m.name];
    if (s.is_null()) {
      s = {{"generations", Json::array()}, {"best", Json::array()}, {"mean", Json::array()}, {"min", Json::array()},
           {"max", Json::array()}, {"members", Json::array()}};
      if (members) s["values"] = Json::array();
    }
    s["generations"].push_back(m.generation);
    s["best"].push_back(fitness(m.best));
    s["mean"].push_back(fitness(m.mean));
    s["min"].push_back(fitness(m.min));
    s["max"].push_back(fitness(m.max));
    s["members"].push_back(m.members);
    if (members) {
      Json values = Json::array();
      for (const double v : m.member_values) values.push_back(fitness(v));
      s["values"].push_back(std::move(values));
    }
  }
  Json metrics = Json::object();
  for (auto& [name, s] : series) metrics[name] = std::move(s);
  return {{"run", run_id}, {"metrics", metrics}};
}

Json run_generations_json(store::Database& db, int64_t run_id, int max_points) {
  get_run(db, run_id);
  const auto all = store::list_generations(db, run_id);
  // Stage rows by generation; they come ordered by generation then stage.
  std::map<int, Json> stages;
  for (const auto& st : store::list_stages(db, run_id)) {
    auto& list = stages[st.generation];
    if (list.is_null()) list = Json::array();
    list.push_back({{"stage", st.stage},
                    {"evaluations", st.record.evaluations},
                    {"steps", st.record.steps},
                    {"seconds", st.record.seconds}});
  }
  Json rows = Json::array();
  for (size_t k : stats::downsample_indices(all.size(), static_cast<size_t>(max_points))) {
    const auto& g = all[k];
    const auto found = stages.find(g.generation);
    rows.push_back({{"generation", g.generation},
                    {"best", fitness(g.best)},
                    {"mean", fitness(g.mean)},
                    {"median", fitness(g.median)},
                    {"std", fitness(g.std)},
                    {"best_individual", g.best_individual},
                    {"evaluations", g.evaluations},
                    {"steps", g.steps},
                    {"eval_seconds", g.eval_seconds},
                    {"total_seconds", g.total_seconds},
                    {"stages", found == stages.end() ? Json::array() : found->second}});
  }
  return {{"run", run_id}, {"total", all.size()}, {"generations", rows}};
}

// Re-measurements on fresh episodes (seedline evaluate), oldest first, with the named metrics
// an external evaluator reported (mean over the episodes that reported each).
Json reevaluations_json(store::Database& db, int64_t id) {
  Json out = Json::array();
  for (const auto& r : store::reevaluations_of(db, id)) {
    Json metrics = Json::object();
    for (const auto& m : r.metrics) metrics[m.name] = {{"mean", fitness(m.mean)}, {"episodes", m.episodes}};
    out.push_back({{"id", r.id},
                   {"seed", seed_text(r.seed)},
                   {"episodes", r.episodes},
                   {"mean", fitness(r.mean)},
                   {"std", fitness(r.std)},
                   {"ci95", Json::array({fitness(r.ci_low), fitness(r.ci_high)})},
                   {"steps", r.steps},
                   {"metrics", std::move(metrics)},
                   {"created_at", r.created_at}});
  }
  return out;
}

// "center" or "member" for an individual of an evolution-strategy run (docs/es.md), null
// for a GA run's.
Json es_role(store::Database& db, const store::IndividualRow& i, const store::RunRow& run) {
  const auto condition = store::find_condition(db, run.condition_id);
  if (!condition) return nullptr;
  const Json config = Json::parse(condition->config, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object() || !config.contains("algorithm") || !config["algorithm"].is_object() ||
      config["algorithm"].value("type", "") != "es") {
    return nullptr;
  }
  std::optional<store::IndividualRow> parent;
  if (i.parent) parent = store::find_individual(db, *i.parent);
  return es::is_center(i, parent ? &*parent : nullptr) ? "center" : "member";
}

static std::string experiment_name(store::Database& db, int64_t experiment_id) {
  const auto e = store::find_experiment(db, experiment_id);
  return e ? e->name : std::string();
}

Json individual_json(store::Database& db, int64_t id) {
  const auto i = store::get_individual(db, id);
  const auto run = get_run(db, i.run_id);
  Json children = Json::array();
  for (const auto& c : lineage::children(db, id)) {
    children.push_back({{"id", c.id}, {"generation", c.generation}, {"fitness", fitness(c.fitness)}});
  }
  // An elite carried on is re-evaluated each generation: the later generations whose best it
  // scored, beside its birth fitness (a run's best can be one of these).
  Json elite_bests = Json::array();
  for (const auto& g : store::generation_bests(db, i.run_id)) {
    if (g.individual == id && g.generation > i.generation) {
      elite_bests.push_back({{"generation", g.generation}, {"fitness", fitness(g.fitness)}});
    }
  }
  return {{"id", i.id},
          {"run", i.run_id},
          {"experiment", run.experiment_id},
          {"experiment_name", experiment_name(db, run.experiment_id)},
          {"condition", run.condition},
          {"generation", i.generation},
          {"parent", optional(i.parent)},
          {"seed", seed_text(i.seed)},
          {"fitness", fitness(i.fitness)},
          {"checksum", i.checksum ? Json(checksum_text(*i.checksum)) : Json(nullptr)},
          {"snapshot", store::has_snapshot(db, id)},
          {"es_role", es_role(db, i, run)},
          {"children", children},
          {"elite_bests", elite_bests},
          {"reevaluations", reevaluations_json(db, id)}};
}

Json run_tree_json(store::Database& db, int64_t run_id, bool extant_only) {
  const auto tree = lineage::load_run_tree(db, run_id, extant_only);
  Json ids = Json::array(), parents = Json::array(), generations = Json::array(), fitnesses = Json::array(),
       extant = Json::array();
  for (const auto& n : tree.nodes) {
    ids.push_back(n.id);
    parents.push_back(n.parent);
    generations.push_back(n.generation);
    fitnesses.push_back(fitness(n.fitness));
    extant.push_back(n.extant ? 1 : 0);
  }
  return {{"run", run_id},
          {"extant_only", extant_only},
          {"last_generation", tree.last_generation},
          {"nodes", tree.nodes.size()},
          {"ids", ids},
          {"parents", parents},
          {"generations", generations},
          {"fitness", fitnesses},
          {"extant", extant}};
}

Json lineage_json(store::Database& db, int64_t id) {
  const auto ancestors = lineage::ancestors(db, id);
  // Beside each birth fitness, the later generations whose best it scored as an elite
  // (re-evaluated there), as `seedline lineage --json` gives them.
  std::map<int64_t, Json> elite;
  for (const auto& g : store::generation_bests(db, ancestors.back().run_id)) {
    auto& list = elite[g.individual];
    if (list.is_null()) list = Json::array();
    list.push_back({{"generation", g.generation}, {"fitness", fitness(g.fitness)}});
  }
  Json path = Json::array();
  for (const auto& r : ancestors) {
    Json bests = Json::array();
    if (const auto it = elite.find(r.id); it != elite.end()) {
      for (const auto& b : it->second) {
        if (b["generation"].get<int>() > r.generation) bests.push_back(b);
      }
    }
    path.push_back({{"id", r.id},
                    {"generation", r.generation},
                    {"parent", optional(r.parent)},
                    {"seed", seed_text(r.seed)},
                    {"fitness", fitness(r.fitness)},
                    {"elite_bests", bests}});
  }
  return {{"individual", id}, {"path", path}};
}

GenomeFile genome_file(store::Database& db, int64_t id, const std::string& format, bool phenotype,
                       lineage::GenotypeCache* cache, runner::ThreadPool* pool) {
  genome::ParallelPieces parallel;
  if (pool != nullptr) {
    parallel = [pool](size_t n, const std::function<void(size_t)>& piece) {
      pool->parallel_for(n, [&](size_t i, int) { piece(i); });
    };
  }
  auto exported =
      individual::export_individual(db, id, genome::parse_export_format(format), phenotype, cache, parallel);
  return {std::move(exported.bytes), std::move(exported.filename), exported.checksum};
}

}  // namespace seedline::http
