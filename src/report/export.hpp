// Results out as files: an experiment's per-generation summaries as one long table (one row
// per run and generation) and a run's individuals as a table, in CSV or JSON, shaped so that
// pandas (read_csv / read_json) and R (read.csv / jsonlite::fromJSON) read them directly
// (docs/export.md). `seedline export` writes these.
//
// CSV: a header line, RFC 4180 quoting (only where a field holds a comma, quote or line
// break), numbers as the shortest decimal that reads back to the same double, an undefined
// number (NaN, infinite, not measured) as an empty field. JSON: an array of row objects with
// the same keys, undefined numbers as null, seeds as decimal strings (they exceed 2^53).
//
// Reads through src/store only; as thread-safe as the Database (one per thread). Throws
// kNotFound for an unknown run, kInvalidArgument for an unknown format name, kIOError when
// the stream fails.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "store/database.hpp"

namespace seedline::report {

enum class TableFormat { kCsv, kJson };
// "csv" | "json".
TableFormat parse_table_format(std::string_view name);

// Whether the condition's stored config (JSON text) has a task whose fitness is minus a loss
// (tasks::fitness_label "loss": the language model); false for a config that does not parse.
bool condition_shows_loss(const std::string& config);
// The same for a run's condition; kNotFound for an unknown run.
bool run_shows_loss(store::Database& db, int64_t run_id);

// Columns: run, condition, trial, generation, best, mean, median, std, evaluations, steps,
// seconds (the generation's wall time) for every committed generation of every run of the
// experiment, by run id then generation. When a condition's fitness is minus a loss (the
// language model), three columns follow: best_loss, mean_loss, median_loss (the positive
// losses: minus best, mean, median; the lowest loss is the best), empty/null in the rows of
// a condition that has no loss. Returns the number of rows.
int64_t write_generations_table(store::Database& db, int64_t experiment_id, TableFormat format, std::ostream& out);

// The named metrics an external evaluator returned (docs/export.md): columns run, condition,
// trial, generation, metric, best (the generation's best member's value), mean, min, max,
// members (how many reported it), by run id, generation, then metric name. With `members`
// one row per member instead: run, condition, trial, generation, metric, member (its index in
// the generation's population), value (empty/null when it reported none). Returns the rows.
int64_t write_metrics_table(store::Database& db, int64_t experiment_id, bool members, TableFormat format,
                            std::ostream& out);

// Columns: id, run, generation (birth), parent (empty/null for a root), seed, fitness (birth
// generation; empty/null when not measured), for every individual of the run in id order;
// plus loss (minus the fitness) when the run's fitness is minus a loss. Returns the number of rows.
int64_t write_individuals_table(store::Database& db, int64_t run_id, TableFormat format, std::ostream& out);

}  // namespace seedline::report
