#include "store/experiment_repo.hpp"

#include <cstring>

#include "store/run_columns.hpp"
#include "util/error.hpp"

namespace seedline::store {
namespace {

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%SZ','now')";

std::vector<std::byte> encode_ids(const std::vector<int64_t>& ids) {
  std::vector<std::byte> out(ids.size() * 8);
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto v = static_cast<uint64_t>(ids[i]);
    for (int b = 0; b < 8; ++b) out[i * 8 + b] = static_cast<std::byte>((v >> (8 * b)) & 0xff);
  }
  return out;
}

std::vector<int64_t> decode_ids(const std::vector<std::byte>& blob, int64_t run_id) {
  if (blob.size() % 8 != 0) {
    corruption("generations of run " + std::to_string(run_id) + ": parents blob has " +
               std::to_string(blob.size()) + " bytes, not a multiple of 8");
  }
  std::vector<int64_t> ids(blob.size() / 8);
  for (size_t i = 0; i < ids.size(); ++i) {
    uint64_t v = 0;
    for (int b = 0; b < 8; ++b) v |= static_cast<uint64_t>(blob[i * 8 + b]) << (8 * b);
    ids[i] = static_cast<int64_t>(v);
  }
  return ids;
}

ExperimentRow read_experiment(const Statement& st) {
  return {st.column_int64(0), st.column_text(1), st.column_text(2), st.column_text(3)};
}

ConditionRow read_condition(const Statement& st) {
  return {st.column_int64(0), st.column_int64(1), static_cast<int>(st.column_int64(2)), st.column_text(3),
          st.column_text(4)};
}

constexpr const char* kRunFrom = " FROM runs r JOIN conditions c ON c.id = r.condition_id";

constexpr const char* kGenerationColumns =
    "run_id, generation, first_individual, last_individual, best, mean, median, std, best_individual, "
    "parents, evaluations, steps, eval_seconds, total_seconds FROM generations";

GenerationRow read_generation(const Statement& st) {
  GenerationRow g;
  g.run_id = st.column_int64(0);
  g.generation = static_cast<int>(st.column_int64(1));
  g.first_individual = st.column_int64(2);
  g.last_individual = st.column_int64(3);
  g.best = st.column_double(4);
  g.mean = st.column_double(5);
  g.median = st.column_double(6);
  g.std = st.column_double(7);
  g.best_individual = st.column_int64(8);
  g.parents = decode_ids(st.column_blob(9), g.run_id);
  g.evaluations = st.column_int64(10);
  g.steps = st.column_int64(11);
  g.eval_seconds = st.column_double(12);
  g.total_seconds = st.column_double(13);
  return g;
}

}  // namespace

std::string_view run_state_name(RunState state) {
  switch (state) {
    case RunState::kQueued: return "queued";
    case RunState::kRunning: return "running";
    case RunState::kPaused: return "paused";
    case RunState::kFinished: return "finished";
    case RunState::kFailed: return "failed";
  }
  return "queued";
}

RunState parse_run_state(std::string_view name) {
  for (auto s : {RunState::kQueued, RunState::kRunning, RunState::kPaused, RunState::kFinished, RunState::kFailed}) {
    if (run_state_name(s) == name) return s;
  }
  corruption("unknown run state '" + std::string(name) + "'");
}

int64_t insert_experiment(Database& db, const std::string& name, const std::string& spec) {
  db.prepare(std::string("INSERT INTO experiments(name, spec, created_at) VALUES (?, ?, ") + kNow + ")")
      .bind(1, name)
      .bind(2, spec)
      .run();
  return db.last_insert_rowid();
}

int64_t insert_condition(Database& db, int64_t experiment_id, int position, const std::string& name,
                         const std::string& config) {
  db.prepare("INSERT INTO conditions(experiment_id, position, name, config) VALUES (?, ?, ?, ?)")
      .bind(1, experiment_id)
      .bind(2, position)
      .bind(3, name)
      .bind(4, config)
      .run();
  return db.last_insert_rowid();
}

int64_t insert_run(Database& db, int64_t experiment_id, int64_t condition_id, int trial, uint64_t seed,
                   int noise_version, int kernel_version) {
  db.prepare(std::string("INSERT INTO runs(experiment_id, condition_id, trial, seed, noise_version, kernel_version, "
                         "state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', ") +
             kNow + ", " + kNow + ")")
      .bind(1, experiment_id)
      .bind(2, condition_id)
      .bind(3, trial)
      .bind(4, seed)
      .bind(5, noise_version)
      .bind(6, kernel_version)
      .run();
  return db.last_insert_rowid();
}

void insert_generation(Database& db, const GenerationRow& g) {
  auto st = db.prepare(
      "INSERT INTO generations(run_id, generation, first_individual, last_individual, best, mean, median, std, "
      "best_individual, parents, evaluations, steps, eval_seconds, total_seconds) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const auto blob = encode_ids(g.parents);
  // An empty span has a null data pointer, which SQLite would store as NULL: bind x'' instead.
  static const std::byte kEmpty{};
  st.bind(1, g.run_id).bind(2, g.generation).bind(3, g.first_individual).bind(4, g.last_individual);
  st.bind(5, g.best).bind(6, g.mean).bind(7, g.median).bind(8, g.std).bind(9, g.best_individual);
  st.bind_blob(10, blob.empty() ? std::span<const std::byte>(&kEmpty, 0) : std::span<const std::byte>(blob)).bind(11, g.evaluations).bind(12, g.steps).bind(13, g.eval_seconds);
  st.bind(14, g.total_seconds).run();
}

std::optional<ExperimentRow> find_experiment(Database& db, int64_t id) {
  auto st = db.prepare("SELECT id, name, spec, created_at FROM experiments WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_experiment(st);
}

std::optional<ExperimentRow> find_experiment_by_name(Database& db, const std::string& name) {
  auto st = db.prepare("SELECT id, name, spec, created_at FROM experiments WHERE name = ? ORDER BY id DESC LIMIT 1");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return read_experiment(st);
}

std::vector<ExperimentRow> list_experiments(Database& db) {
  auto st = db.prepare("SELECT id, name, spec, created_at FROM experiments ORDER BY id");
  std::vector<ExperimentRow> out;
  while (st.step()) out.push_back(read_experiment(st));
  return out;
}

ExperimentRow resolve_experiment(Database& db, const std::string& id_or_name) {
  const bool numeric = !id_or_name.empty() && id_or_name.size() < 19 &&
                       id_or_name.find_first_not_of("0123456789") == std::string::npos;
  if (numeric) {
    if (auto e = find_experiment(db, std::stoll(id_or_name))) return *e;
    if (auto e = find_experiment_by_name(db, id_or_name)) return *e;
    not_found("no experiment with id " + id_or_name);
  }
  if (auto e = find_experiment_by_name(db, id_or_name)) return *e;
  not_found("no experiment named '" + id_or_name + "'");
}

std::vector<ConditionRow> list_conditions(Database& db, int64_t experiment_id) {
  auto st = db.prepare(
      "SELECT id, experiment_id, position, name, config FROM conditions WHERE experiment_id = ? ORDER BY position");
  st.bind(1, experiment_id);
  std::vector<ConditionRow> out;
  while (st.step()) out.push_back(read_condition(st));
  return out;
}

std::optional<ConditionRow> find_condition(Database& db, int64_t condition_id) {
  auto st = db.prepare("SELECT id, experiment_id, position, name, config FROM conditions WHERE id = ?");
  st.bind(1, condition_id);
  if (!st.step()) return std::nullopt;
  return read_condition(st);
}

std::optional<RunRow> find_run(Database& db, int64_t id) {
  auto st = db.prepare(std::string("SELECT ") + detail::kRunSelectList + kRunFrom + " WHERE r.id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return detail::read_run(st);
}

std::vector<RunRow> list_runs(Database& db, std::optional<int64_t> experiment_id) {
  auto st = db.prepare(std::string("SELECT ") + detail::kRunSelectList + kRunFrom +
                       " WHERE ?1 IS NULL OR r.experiment_id = ?1 ORDER BY r.id");
  st.bind(1, experiment_id);
  std::vector<RunRow> out;
  while (st.step()) out.push_back(detail::read_run(st));
  return out;
}

std::vector<GenerationRow> list_generations(Database& db, int64_t run_id) {
  auto st = db.prepare(std::string("SELECT ") + kGenerationColumns + " WHERE run_id = ? ORDER BY generation");
  st.bind(1, run_id);
  std::vector<GenerationRow> out;
  while (st.step()) out.push_back(read_generation(st));
  return out;
}

std::optional<GenerationRow> last_generation(Database& db, int64_t run_id) {
  auto st = db.prepare(std::string("SELECT ") + kGenerationColumns +
                       " WHERE run_id = ? ORDER BY generation DESC LIMIT 1");
  st.bind(1, run_id);
  if (!st.step()) return std::nullopt;
  return read_generation(st);
}

namespace detail {

RunRow read_run(const Statement& st) {
  RunRow r;
  r.id = st.column_int64(0);
  r.experiment_id = st.column_int64(1);
  r.condition_id = st.column_int64(2);
  r.condition = st.column_text(3);
  r.trial = static_cast<int>(st.column_int64(4));
  r.seed = st.column_uint64(5);
  r.noise_version = static_cast<int>(st.column_int64(6));
  r.state = parse_run_state(st.column_text(7));
  if (!st.is_null(8)) r.owner = st.column_text(8);
  r.heartbeat = st.column_optional_double(9);
  if (!st.is_null(10)) r.message = st.column_text(10);
  r.created_at = st.column_text(11);
  r.updated_at = st.column_text(12);
  r.kernel_version = static_cast<int>(st.column_int64(13));
  return r;
}

}  // namespace detail

}  // namespace seedline::store
