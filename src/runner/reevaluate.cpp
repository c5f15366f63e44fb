#include "runner/reevaluate.hpp"

#include <cmath>
#include <limits>
#include <map>

#include "evolve/seeds.hpp"
#include "genome/run_genome.hpp"
#include "individual/individual.hpp"
#include "runner/external_executor.hpp"
#include "runner/local_executor.hpp"
#include "stats/effect_sizes.hpp"
#include "store/evaluator_repo.hpp"
#include "store/lineage_repo.hpp"
#include "store/reevaluation_repo.hpp"
#include "tasks/external_task.hpp"
#include "tasks/task.hpp"
#include "util/error.hpp"

namespace seedline::runner {
namespace {

using Json = nlohmann::ordered_json;

Json number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

void summarize(Reevaluation& r) {
  const double n = static_cast<double>(r.rewards.size());
  double sum = 0;
  for (const double v : r.rewards) sum += v;
  r.mean = sum / n;
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (r.rewards.size() < 2) {
    r.std = r.ci_low = r.ci_high = kNaN;
    return;
  }
  double ss = 0;
  for (const double v : r.rewards) ss += (v - r.mean) * (v - r.mean);
  r.std = std::sqrt(ss / (n - 1));
  const auto ci = stats::mean_ci95(r.rewards);
  r.ci_low = ci.lo;
  r.ci_high = ci.hi;
}

store::ReevaluationRow row_of(const Reevaluation& r) {
  store::ReevaluationRow row;
  row.individual_id = r.individual;
  row.seed = r.seed;
  row.episodes = r.episodes;
  row.mean = r.mean;
  const auto opt = [](double v) { return std::isfinite(v) ? std::optional<double>(v) : std::nullopt; };
  row.std = opt(r.std);
  row.ci_low = opt(r.ci_low);
  row.ci_high = opt(r.ci_high);
  row.steps = r.steps;
  row.metrics = r.metrics;
  return row;
}

}  // namespace

uint64_t reevaluation_episode_seed(uint64_t seed, int episode) {
  return evolve::derive(seed, evolve::Stream::kReevaluationEpisode, 0, static_cast<uint32_t>(episode));
}

Reevaluation reevaluate(store::Database& db, int64_t individual, const ReevaluationOptions& options, ThreadPool& pool,
                        lineage::GenotypeCache* cache) {
  if (options.episodes < 1 || options.episodes > 100'000) {
    invalid_argument("--episodes: must be 1..100000 (got " + std::to_string(options.episodes) + ")");
  }
  const auto row = store::get_individual(db, individual);
  const auto run = store::find_run(db, row.run_id);
  if (!run) corruption("individual " + std::to_string(individual) + ": its run " + std::to_string(row.run_id) + " is missing");
  const auto condition = store::find_condition(db, run->condition_id);
  if (!condition) corruption("run " + std::to_string(run->id) + ": its condition is missing");
  const auto model = genome::run_model(db, run->id);
  const auto& config = model.config;
  const genome::Genome& genome = model.genome;
  const auto task = tasks::make_task(config.task);
  const auto genotype = std::make_shared<const std::vector<float>>(seedline::individual::rebuild(db, individual, model, cache));

  Reevaluation r;
  r.individual = individual;
  r.run = row.run_id;
  r.generation = row.generation;
  r.stored_fitness = row.fitness;
  // Function and network tasks (sphere, rastrigin, language_model) score without drawing on
  // an episode seed: one evaluation is the exact value, and averaging copies of it would only
  // add rounding. An external task may draw on the seed, so it is never taken as
  // deterministic (Task::scores_once says false for it).
  r.deterministic = task->scores_once();
  r.task = task->name();
  r.seed = options.seed;
  r.episodes = r.deterministic ? 1 : options.episodes;

  // The individual is parent 0; each episode is one work item of an elite of it.
  std::vector<WorkItem> items(static_cast<size_t>(r.episodes));
  for (int e = 0; e < r.episodes; ++e) {
    auto& item = items[static_cast<size_t>(e)];
    item.source = {evolve::Slot::Kind::kElite, 0, 0};
    item.episode = e;
    item.episode_seed = reevaluation_episode_seed(options.seed, e);
  }
  std::vector<ItemResult> results(items.size());
  // An external task's episodes run in the run's own evaluator command, started here for
  // this measurement and stopped at end_run (docs/evaluator-protocol.md).
  LocalExecutor local(pool, {});
  ExternalExecutor external(pool, {});
  Executor& executor = dynamic_cast<const tasks::ExternalTask*>(task.get()) != nullptr
                           ? static_cast<Executor&>(external)
                           : static_cast<Executor&>(local);
  RunSetup setup;
  setup.run_id = run->id;
  setup.condition = config.to_json();
  setup.noise_version = run->noise_version;
  setup.kernel_version = run->kernel_version;
  setup.genome = &genome;
  setup.task = task.get();
  const std::vector<GenotypePtr> parents = {genotype};
  executor.begin_run(setup, parents);
  r.evaluator = executor.evaluator();
  if (r.evaluator) {
    const auto recorded = store::find_run_evaluator(db, run->id, r.generation);
    if (recorded && (recorded->name != r.evaluator->name || recorded->version != r.evaluator->version)) {
      r.evaluator_warning = "run " + std::to_string(run->id) + " evaluated this individual's generation with evaluator '" + recorded->name +
                            "' version '" + recorded->version + "'; this measurement used '" + r.evaluator->name +
                            "' version '" + r.evaluator->version + "'";
    }
  }
  executor.evaluate(items, results);
  executor.end_run();
  std::map<std::string, std::pair<double, int>> metric_sums;  // name -> (sum, episodes), sorted by name
  for (const auto& res : results) {
    r.rewards.push_back(res.reward);
    r.steps += res.steps;
    for (const auto& [name, value] : res.metrics) {
      auto& [sum, count] = metric_sums[name];
      sum += value;
      ++count;
    }
  }
  for (const auto& [name, s] : metric_sums) {
    const double mean = s.first / s.second;
    r.metrics.push_back({name, std::isnan(mean) ? std::nullopt : std::optional<double>(mean), s.second});
  }
  summarize(r);
  if (options.store) {
    if (!std::isfinite(r.mean)) {
      failed_precondition("individual " + std::to_string(individual) + ": the re-measured mean is not finite; not stored");
    }
    r.stored_id = store::insert_reevaluation(db, row_of(r));
  }
  return r;
}

ExperimentReevaluation reevaluate_experiment(store::Database& db, const store::ExperimentRow& experiment,
                                             const ReevaluationOptions& options, ThreadPool& pool) {
  ExperimentReevaluation out;
  out.experiment = experiment.id;
  out.experiment_name = experiment.name;
  for (const auto& c : store::list_conditions(db, experiment.id)) out.conditions.push_back(c.name);
  lineage::GenotypeCache cache;
  for (const auto& run : store::list_runs(db, experiment.id)) {
    const auto last = store::last_generation(db, run.id);
    if (!last) {
      failed_precondition("experiment '" + experiment.name + "': run " + std::to_string(run.id) +
                          " has no committed generation yet");
    }
    out.runs.push_back({run, reevaluate(db, last->best_individual, options, pool, &cache)});
  }
  std::vector<stats::Group> groups;
  for (const auto& name : out.conditions) {
    stats::Group g{name, {}};
    for (const auto& r : out.runs) {
      if (r.run.condition == name) g.values.push_back(r.result.mean);
    }
    groups.push_back(std::move(g));
  }
  // One condition (the Deep GA example has none declared) has nothing to compare with.
  if (groups.size() >= 2) out.comparison = stats::compare_groups(groups, stats::MwuMethod::kAuto);
  return out;
}

Json to_json(const Reevaluation& r) {
  Json rewards = Json::array();
  for (const double v : r.rewards) rewards.push_back(number(v));
  Json j = {{"individual", r.individual},
          {"run", r.run},
          {"generation", r.generation},
          {"stored_fitness", r.stored_fitness ? number(*r.stored_fitness) : Json(nullptr)},
          {"deterministic", r.deterministic},
          {"task", r.task},
          {"seed", std::to_string(r.seed)},
          {"episodes", r.episodes},
          {"mean", number(r.mean)},
          {"std", number(r.std)},
          {"ci95", Json::array({number(r.ci_low), number(r.ci_high)})},
          {"steps", r.steps},
          {"rewards", rewards},
          {"id", r.stored_id ? Json(*r.stored_id) : Json(nullptr)}};
  if (r.evaluator) j["evaluator"] = {{"name", r.evaluator->name}, {"version", r.evaluator->version}};
  Json metrics = Json::object();
  for (const auto& m : r.metrics) {
    metrics[m.name] = {{"mean", m.mean ? number(*m.mean) : Json(nullptr)}, {"episodes", m.episodes}};
  }
  j["metrics"] = std::move(metrics);
  return j;
}

Json to_json(const ExperimentReevaluation& e, const ReevaluationOptions& options) {
  Json runs = Json::array();
  for (const auto& r : e.runs) {
    Json j = {{"run", r.run.id}, {"condition", r.run.condition}, {"trial", r.run.trial}};
    const Json one = to_json(r.result);
    for (auto it = one.begin(); it != one.end(); ++it) {
      if (it.key() != "rewards" && it.key() != "run") j[it.key()] = it.value();
    }
    runs.push_back(std::move(j));
  }
  return {{"experiment", e.experiment},
          {"name", e.experiment_name},
          {"episodes", options.episodes},
          {"seed", std::to_string(options.seed)},
          {"runs", runs},
          {"comparison", e.comparison.groups.empty() ? Json() : stats::to_json(e.comparison)}};
}

}  // namespace seedline::runner
