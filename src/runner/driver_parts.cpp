#include "runner/driver_parts.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "runner/crash_point.hpp"
#include "store/experiment_repo.hpp"
#include "util/error.hpp"

namespace seedline::runner::detail {

evolve::ConditionConfig load_config(store::Database& db, const store::RunRow& run) {
  const auto row = store::find_condition(db, run.condition_id);
  if (!row) corruption("run " + std::to_string(run.id) + ": its condition " + std::to_string(run.condition_id) + " is missing");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(row->config);
  } catch (const nlohmann::json::exception& e) {
    corruption("run " + std::to_string(run.id) + ": stored condition config is not JSON: " + e.what());
  }
  return evolve::ConditionConfig::from_json(j);
}

store::StageRecord stage_work(std::span<const int> members, std::span<const evolve::Evaluation> evaluations) {
  store::StageRecord r;
  for (const int m : members) {
    r.evaluations += evaluations[static_cast<size_t>(m)].episodes;
    r.steps += evaluations[static_cast<size_t>(m)].steps;
  }
  return r;
}

// NaN std (only possible with infinite fitness values) is stored as +inf.
evolve::Summary summary_of(const evolve::SelectionResult& sel) {
  auto s = evolve::summarize(sel.evaluations, sel.parents.front());
  if (std::isnan(s.best)) {
    failed_precondition("every individual's fitness is NaN");
  }
  for (double* v : {&s.mean, &s.median, &s.std}) {
    if (std::isnan(*v)) *v = std::numeric_limits<double>::infinity();
  }
  return s;
}

void accumulate_metrics(std::span<const WorkItem> items, std::span<const ItemResult> results, int population,
                        MetricSums& sums) {
  for (size_t i = 0; i < items.size(); ++i) {
    for (const auto& [name, value] : results[i].metrics) {
      auto& per_member = sums[name];
      if (per_member.empty()) per_member.assign(static_cast<size_t>(population), {0.0, 0});
      auto& [sum, count] = per_member.at(static_cast<size_t>(items[i].member));
      sum += value;
      ++count;
    }
  }
}

std::vector<store::GenerationMetric> summarize_metrics(const MetricSums& sums, int64_t run_id, int generation,
                                                       int best_member) {
  std::vector<store::GenerationMetric> out;
  for (const auto& [name, per_member] : sums) {
    store::GenerationMetric m;
    m.run_id = run_id;
    m.generation = generation;
    m.name = name;
    double total = 0;
    for (size_t i = 0; i < per_member.size(); ++i) {
      const auto [sum, count] = per_member[i];
      const double v = count > 0 ? sum / count : std::numeric_limits<double>::quiet_NaN();
      m.member_values.push_back(v);
      if (count == 0) continue;
      if (static_cast<int>(i) == best_member && !std::isnan(v)) m.best = v;
      if (std::isnan(v)) continue;  // +inf and -inf summed: no value
      total += v;
      ++m.members;
      m.min = m.min ? std::min(*m.min, v) : v;
      m.max = m.max ? std::max(*m.max, v) : v;
    }
    if (m.members == 0) continue;
    if (const double mean = total / static_cast<double>(m.members); !std::isnan(mean)) m.mean = mean;
    out.push_back(std::move(m));
  }
  return out;
}

evolve::SelectionResult evaluate_generation(RunContext& ctx, Coordinator& co, int g,
                                            std::span<const evolve::Slot> slots,
                                            std::vector<store::StageRecord>& stages,
                                            std::vector<store::GenerationMetric>& metrics) {
  const auto& ga = ctx.config.ga;
  bool first_stage = true;
  MetricSums sums;
  auto sel = evolve::evaluate_and_select(
      ga.population, ga, [&](std::span<const int> members, int stage, std::span<evolve::Evaluation> out) {
        if (!first_stage) maybe_crash(CrashPoint::kEvaluate, g);
        first_stage = false;
        const auto stage_start = Clock::now();
        const auto before = stage_work(members, out);
        const auto items = stage_items(members, slots, stage, evolve::stage_episodes(ga, stage),
                                       ctx.task->scores_once(), ctx.run.seed, g);
        std::vector<ItemResult> results(items.size());
        co.background([&] { ctx.executor->evaluate(items, results); });
        accumulate(items, results, out);
        accumulate_metrics(items, results, ga.population, sums);
        const auto after = stage_work(members, out);
        stages.push_back({after.evaluations - before.evaluations, after.steps - before.steps,
                          seconds_since(stage_start)});
      });
  metrics = summarize_metrics(sums, ctx.run.id, g, sel.parents.empty() ? -1 : sel.parents.front());
  return sel;
}

store::GenerationRow generation_row(const RunContext& ctx, int g, const evolve::Summary& summary, double eval_seconds,
                                    Clock::time_point start) {
  store::GenerationRow row;
  row.run_id = ctx.run.id;
  row.generation = g;
  row.best = summary.best;
  row.mean = summary.mean;
  row.median = summary.median;
  row.std = summary.std;
  row.evaluations = summary.evaluations;
  row.steps = summary.steps;
  row.eval_seconds = eval_seconds;
  row.total_seconds = seconds_since(start);
  return row;
}

void report_generation(const RunContext& ctx, Coordinator& co, const DriverOptions& options, int g,
                       const evolve::Summary& summary, const GenerationTimes& times, double& spent,
                       RunResult& result) {
  ++result.generations_run;
  result.last_generation = g;
  co.beat_if_due();
  const double total = seconds_since(times.start);
  spent += total;
  if (options.on_generation) {
    options.on_generation({ctx.run.id, g, times.build_seconds, times.eval_seconds, times.commit_seconds, total,
                           summary.evaluations, summary.steps});
  }
  if (options.progress != nullptr) {
    GenerationReport report;
    report.generation = g;
    report.best = summary.best;
    report.evaluations_per_second =
        times.eval_seconds > 0 ? static_cast<double>(summary.evaluations) / times.eval_seconds : 0;
    report.steps = summary.steps;
    report.eta_seconds = spent / result.generations_run * (ctx.config.ga.generations - g - 1);
    options.progress->generation(ctx.label, report);
  }
}

}  // namespace seedline::runner::detail
