// The JSON bodies of the /api endpoints (docs/http-api.md), one function per endpoint,
// independent of HTTP: the router parses the request and calls these.
//
// As thread-safe as the Database passed in (one per thread). Failure: Error with the code the
// router maps to a status: kNotFound (unknown experiment, run or individual), kInvalidArgument
// (bad parameter), kFailedPrecondition (e.g. nothing to compare yet), kUnimplemented (a noise
// version this binary lacks), kCorruption (a damaged database or a checksum mismatch), kIOError.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "lineage/genotype_cache.hpp"
#include "runner/thread_pool.hpp"
#include "stats/experiment_metric.hpp"
#include "stats/rank_tests.hpp"
#include "store/database.hpp"
#include "store/experiment_repo.hpp"
#include "store/run_summary.hpp"

namespace seedline::http {

using Json = nlohmann::ordered_json;

// RUN of docs/http-api.md: `seedline status --json` fields plus seed, noise_version,
// message, heartbeat.
Json run_json(const store::RunSummary& summary);

Json health_json(store::Database& db);
Json experiments_json(store::Database& db);
// `id_or_name`: an experiment id, or else the name of the newest experiment so named.
Json experiment_json(store::Database& db, const std::string& id_or_name);
Json curves_json(store::Database& db, const std::string& id_or_name, stats::Metric metric, int max_points);
Json curves_json(store::Database& db, const std::string& id_or_name, const stats::MetricSpec& spec,
                 int max_points);
Json compare_json(store::Database& db, const std::string& id_or_name, stats::Metric metric,
                  std::optional<int> generation, stats::MwuMethod method);
Json compare_json(store::Database& db, const std::string& id_or_name, const stats::MetricSpec& spec,
                  std::optional<int> generation, stats::MwuMethod method);
Json run_detail_json(store::Database& db, int64_t run_id);
// At most `max_points` summary rows, evenly spaced, keeping the first and the last, each with
// its per-stage records ("stages"); "total" says how many generations the run has committed.
Json run_generations_json(store::Database& db, int64_t run_id, int max_points);
// The named metrics the run's evaluator returned (store/metric_repo.hpp), one columnar series
// per name: {"run", "metrics": {NAME: {"generations", "best", "mean", "min", "max",
// "members"[, "values": per generation, every member's value (null: none)]}}}.
Json run_metrics_json(store::Database& db, int64_t run_id, bool members);
// Also lists the individual's children (id, generation, fitness), in id order.
Json individual_json(store::Database& db, int64_t id);
// The run's family tree as parallel arrays (lineage/run_tree.hpp): ids, parent indexes (-1
// for a root), birth generations, fitness (null when not measured) and extant flags; with
// `extant_only` pruned to the ancestors of the final population.
Json run_tree_json(store::Database& db, int64_t run_id, bool extant_only);
Json lineage_json(store::Database& db, int64_t id);

// A genome file to download: the individual rebuilt (stored checksums verified) by
// genome::export_individual, as `seedline genome` writes it.
struct GenomeFile {
  std::string bytes;
  std::string filename;
  uint64_t checksum = 0;
};
// `format`: "safetensors" | "npy".
// `pool` (may be null) splits the replay over its threads; concurrent downloads take turns on it.
GenomeFile genome_file(store::Database& db, int64_t id, const std::string& format, bool phenotype,
                       lineage::GenotypeCache* cache, runner::ThreadPool* pool = nullptr);

}  // namespace seedline::http
