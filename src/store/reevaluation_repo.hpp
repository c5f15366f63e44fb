// Re-evaluations: an individual measured again on fresh episodes (`seedline evaluate`),
// stored beside its birth fitness (docs/runner.md, "Re-measuring individuals").
//
// Functions take the caller's Database and are as thread-safe as it is (one per thread).
// Failure: SQLite errors as the store throws them; insert_reevaluation throws kNotFound for
// an unknown individual (the foreign key).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace seedline::store {

// One named metric an external evaluator reported during a re-evaluation: the mean over the
// episodes that reported it (nullopt when undefined: +inf and -inf both seen) and their count.
struct ReevaluationMetric {
  std::string name;
  std::optional<double> mean;
  int episodes = 0;
};

struct ReevaluationRow {
  int64_t id = 0;
  int64_t individual_id = 0;
  uint64_t seed = 0;
  int episodes = 0;
  double mean = 0;
  std::optional<double> std;      // nullopt for one episode
  std::optional<double> ci_low;   // 95% Student-t CI of the mean; nullopt for one episode
  std::optional<double> ci_high;
  int64_t steps = 0;
  std::string created_at;  // UTC, ISO 8601
  std::vector<ReevaluationMetric> metrics;  // an external evaluator's named metrics, by name
};

// Stores `row` with its metrics in one transaction (its id and created_at are ignored);
// returns the new id.
int64_t insert_reevaluation(Database& db, const ReevaluationRow& row);

// An individual's re-evaluations, oldest first, each with its metrics.
std::vector<ReevaluationRow> reevaluations_of(Database& db, int64_t individual_id);

}  // namespace seedline::store
