#include "stats/experiment_curves.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "stats/effect_sizes.hpp"
#include "store/experiment_repo.hpp"
#include "store/summary_repo.hpp"
#include "util/error.hpp"

namespace seedline::stats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

nlohmann::ordered_json number(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

}  // namespace

std::vector<size_t> downsample_indices(size_t count, size_t max_points) {
  if (max_points < 2) invalid_argument("downsampling needs at least 2 points, got " + std::to_string(max_points));
  std::vector<size_t> keep;
  if (count <= max_points) {
    for (size_t i = 0; i < count; ++i) keep.push_back(i);
    return keep;
  }
  // Point i sits at i·(count-1)/(max_points-1), rounded to the nearest index. The step is
  // greater than 1 here, so the indices are distinct; i = 0 and i = max_points-1 give the ends.
  const size_t span = count - 1, steps = max_points - 1;
  for (size_t i = 0; i < max_points; ++i) keep.push_back((i * span + steps / 2) / steps);
  return keep;
}

ConditionCurve condition_curve(const std::string& name, const std::vector<RunPoints>& runs, int max_points) {
  if (max_points < kMinPoints || max_points > kMaxPoints) {
    invalid_argument("max_points must be between " + std::to_string(kMinPoints) + " and " +
                     std::to_string(kMaxPoints) + " (got " + std::to_string(max_points) + ")");
  }
  ConditionCurve curve;
  curve.name = name;
  std::vector<int> all;
  for (const auto& r : runs) {
    for (const auto& [g, v] : r.points) all.push_back(g);
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  for (size_t i : downsample_indices(all.size(), static_cast<size_t>(max_points))) curve.generations.push_back(all[i]);

  // Each run's values at the kept generations: both lists ascend, so one merge pass each.
  for (const auto& r : runs) {
    RunSeries series{r.run, r.trial, std::vector<std::optional<double>>(curve.generations.size())};
    size_t p = 0;
    for (size_t k = 0; k < curve.generations.size(); ++k) {
      while (p < r.points.size() && r.points[p].first < curve.generations[k]) ++p;
      if (p < r.points.size() && r.points[p].first == curve.generations[k] && std::isfinite(r.points[p].second)) {
        series.values[k] = r.points[p].second;
      }
    }
    curve.runs.push_back(std::move(series));
  }

  std::vector<double> at;
  for (size_t k = 0; k < curve.generations.size(); ++k) {
    at.clear();
    for (const auto& s : curve.runs) {
      if (s.values[k]) at.push_back(*s.values[k]);
    }
    curve.n.push_back(static_cast<int>(at.size()));
    if (at.empty()) {
      curve.mean.push_back(kNaN);
      curve.lo.push_back(kNaN);
      curve.hi.push_back(kNaN);
      continue;
    }
    const MeanCi ci = mean_ci95(at);
    curve.mean.push_back(ci.mean);
    curve.lo.push_back(at.size() < 2 ? ci.mean : ci.lo);
    curve.hi.push_back(at.size() < 2 ? ci.mean : ci.hi);
  }
  return curve;
}

ExperimentCurves experiment_curves(store::Database& db, int64_t experiment_id, Metric metric, int max_points) {
  return experiment_curves(db, experiment_id, MetricSpec{metric, std::nullopt, false, std::nullopt}, max_points);
}

ExperimentCurves experiment_curves(store::Database& db, int64_t experiment_id, const MetricSpec& spec,
                                   int max_points) {
  check_metric_spec(spec);
  const Metric metric = spec.metric;
  ExperimentCurves out;
  out.experiment = experiment_id;
  out.metric = metric;
  out.metric_name = spec.name;
  out.stage = spec.stage;
  out.cumulative = spec.cumulative;
  auto runs = store::list_runs(db, experiment_id);
  std::stable_sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) { return a.trial < b.trial; });
  std::map<int64_t, RunPoints> points;  // by run id
  for (const auto& r : runs) points[r.id] = RunPoints{r.id, r.trial, {}};
  // Rows come ordered by run and generation, so each run's points ascend.
  for (const auto& row : metric_rows(db, experiment_id, spec)) {
    points[row.run_id].points.emplace_back(row.generation, metric_value(row, metric));
  }
  for (const auto& c : store::list_conditions(db, experiment_id)) {
    std::vector<RunPoints> of_condition;
    for (const auto& r : runs) {
      if (r.condition_id == c.id) of_condition.push_back(std::move(points[r.id]));
    }
    out.conditions.push_back(condition_curve(c.name, of_condition, max_points));
  }
  return out;
}

nlohmann::ordered_json to_json(const ExperimentCurves& curves) {
  nlohmann::ordered_json j;
  j["experiment"] = curves.experiment;
  j["metric"] = curves.metric_name ? *curves.metric_name : std::string(metric_name(curves.metric));
  if (curves.metric_name) j["evaluator_metric"] = true;
  if (is_cost_metric(curves.metric)) {
    j["stage"] = curves.stage ? nlohmann::ordered_json(*curves.stage) : nlohmann::ordered_json(nullptr);
    j["cumulative"] = curves.cumulative;
  }
  j["conditions"] = nlohmann::ordered_json::array();
  for (const auto& c : curves.conditions) {
    nlohmann::ordered_json mean = nlohmann::ordered_json::array(), lo = mean, hi = mean;
    for (size_t k = 0; k < c.generations.size(); ++k) {
      mean.push_back(number(c.mean[k]));
      lo.push_back(number(c.lo[k]));
      hi.push_back(number(c.hi[k]));
    }
    nlohmann::ordered_json runs = nlohmann::ordered_json::array();
    for (const auto& s : c.runs) {
      nlohmann::ordered_json values = nlohmann::ordered_json::array();
      for (const auto& v : s.values) values.push_back(v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json());
      runs.push_back({{"run", s.run}, {"trial", s.trial}, {"values", std::move(values)}});
    }
    j["conditions"].push_back({{"name", c.name},
                               {"generations", c.generations},
                               {"mean", std::move(mean)},
                               {"lo", std::move(lo)},
                               {"hi", std::move(hi)},
                               {"n", c.n},
                               {"runs", std::move(runs)}});
  }
  return j;
}

}  // namespace seedline::stats
