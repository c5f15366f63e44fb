#include "store/lineage_repo.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>

#include "util/error.hpp"
#include "util/hex.hpp"

namespace seedline::store {
namespace {

[[noreturn]] void no_such_individual(int64_t id) {
  not_found("individual " + std::to_string(id) + " does not exist");
}

constexpr const char* kIndividualColumns = "id, run_id, generation, parent_id, seed, fitness, checksum";

// Reads the seven kIndividualColumns starting at column `c`.
IndividualRow read_individual(const Statement& st, int c = 0) {
  IndividualRow r;
  r.id = st.column_int64(c);
  r.run_id = st.column_int64(c + 1);
  r.generation = static_cast<int>(st.column_int64(c + 2));
  r.parent = st.column_optional_int64(c + 3);
  r.seed = st.column_uint64(c + 4);
  r.fitness = st.column_optional_double(c + 5);
  if (!st.is_null(c + 6)) r.checksum = st.column_uint64(c + 6);
  return r;
}

// Follows parent links from ?1 upward. Ids strictly decrease along a valid chain, so the
// `p.parent_id < p.id` guard ends the recursion even on a corrupted file with a cycle; the
// caller notices the chain stopped early. With ?2 = 1 the walk does not go past an
// individual that has a snapshot.
constexpr const char* kAncestorPathSql = R"(
WITH RECURSIVE path(id, run_id, generation, parent_id, seed, fitness, checksum, snap) AS (
  SELECT i.id, i.run_id, i.generation, i.parent_id, i.seed, i.fitness, i.checksum,
         EXISTS (SELECT 1 FROM snapshots s WHERE s.individual_id = i.id)
    FROM individuals i WHERE i.id = ?1
  UNION ALL
  SELECT i.id, i.run_id, i.generation, i.parent_id, i.seed, i.fitness, i.checksum,
         EXISTS (SELECT 1 FROM snapshots s WHERE s.individual_id = i.id)
    FROM path p JOIN individuals i ON i.id = p.parent_id
   WHERE p.parent_id < p.id AND (?2 = 0 OR p.snap = 0)
)
SELECT id, run_id, generation, parent_id, seed, fitness, checksum, snap FROM path)";

std::vector<PathEntry> load_path(Database& db, int64_t id, bool stop_at_snapshot) {
  auto st = db.prepare(kAncestorPathSql);
  st.bind(1, id).bind(2, stop_at_snapshot ? 1 : 0);
  std::vector<PathEntry> upward;  // id first, then its parent, ...
  while (st.step()) upward.push_back({read_individual(st), st.column_int64(7) != 0});
  if (upward.empty()) no_such_individual(id);
  // A recursive CTE's output order is not promised; ids strictly decrease along the chain.
  std::sort(upward.begin(), upward.end(),
            [](const PathEntry& a, const PathEntry& b) { return a.individual.id > b.individual.id; });

  for (size_t k = 1; k < upward.size(); ++k) {
    const auto& child = upward[k - 1].individual;
    const auto& parent = upward[k].individual;
    if (child.parent != parent.id) {
      fail(ErrorCode::kInternal, "ancestor path of individual " + std::to_string(id) + " is not a chain at " +
                                     std::to_string(child.id));
    }
    if (parent.run_id != child.run_id) {
      corruption("individual " + std::to_string(child.id) + " (run " + std::to_string(child.run_id) +
                 ") has parent " + std::to_string(parent.id) + " in run " + std::to_string(parent.run_id));
    }
  }
  const auto& top = upward.back();
  if (top.individual.parent && !(stop_at_snapshot && top.has_snapshot)) {
    const int64_t parent = *top.individual.parent;
    if (parent >= top.individual.id) {
      corruption("individual " + std::to_string(top.individual.id) + " has parent " + std::to_string(parent) +
                 ", which is not an earlier individual");
    }
    corruption("individual " + std::to_string(top.individual.id) + " has parent " + std::to_string(parent) +
               ", which does not exist");
  }
  return {upward.rbegin(), upward.rend()};
}

// The smallest id the run can hold: its generation-0 range when summaries exist. There is no
// matching upper bound because a runner may insert a generation's newborns before writing
// that generation's summary, so scans run to the end of the table.
int64_t run_lower_bound(Database& db, int64_t run_id) {
  auto st = db.prepare("SELECT min(first_individual) FROM generations WHERE run_id = ?1");
  st.bind(1, run_id);
  if (st.step() && !st.is_null(0)) return st.column_int64(0);
  return std::numeric_limits<int64_t>::min();
}

}  // namespace

std::pair<int64_t, int64_t> insert_individuals(Database& db, int64_t run_id,
                                               std::span<const NewIndividual> individuals) {
  if (individuals.empty()) return {0, -1};
  auto st = db.prepare(
      "INSERT INTO individuals(run_id, generation, parent_id, seed, fitness, checksum) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  int64_t first = 0;
  for (size_t i = 0; i < individuals.size(); ++i) {
    const auto& n = individuals[i];
    st.reset();
    st.bind(1, run_id).bind(2, n.generation).bind(3, n.parent).bind(4, n.seed).bind(5, n.fitness);
    st.bind(6, n.checksum);
    st.run();
    const int64_t id = db.last_insert_rowid();
    if (i == 0) {
      first = id;
    } else if (id != first + static_cast<int64_t>(i)) {
      // Callers rely on a generation being one contiguous id range; only another writer
      // slipping in between (no transaction held) can break that.
      fail(ErrorCode::kInternal, "individuals of run " + std::to_string(run_id) +
                                     " did not receive consecutive ids (got " + std::to_string(id) +
                                     " after " + std::to_string(first) + "); hold a transaction");
    }
  }
  return {first, first + static_cast<int64_t>(individuals.size()) - 1};
}

void set_checksum(Database& db, int64_t id, uint64_t checksum) {
  auto st = db.prepare(
      "UPDATE individuals SET checksum = ?2 WHERE id = ?1 AND (checksum IS NULL OR checksum = ?2)");
  st.bind(1, id).bind(2, checksum).run();
  if (db.changes() == 1) return;
  const auto row = get_individual(db, id);
  failed_precondition("individual " + std::to_string(id) + " already has checksum " +
                      hex64(row.checksum.value_or(0)) + ", refusing to replace it with " + hex64(checksum));
}

std::optional<IndividualRow> find_individual(Database& db, int64_t id) {
  auto st = db.prepare(std::string("SELECT ") + kIndividualColumns + " FROM individuals WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_individual(st);
}

IndividualRow get_individual(Database& db, int64_t id) {
  auto row = find_individual(db, id);
  if (!row) no_such_individual(id);
  return *row;
}

std::vector<PathEntry> ancestor_path(Database& db, int64_t id) { return load_path(db, id, false); }

std::vector<PathEntry> ancestor_path_to_snapshot(Database& db, int64_t id) { return load_path(db, id, true); }

std::vector<DescendantRow> descendants(Database& db, int64_t id, std::optional<int> max_depth) {
  if (max_depth && *max_depth < 0) {
    invalid_argument("descendant depth must be >= 0, got " + std::to_string(*max_depth));
  }
  const auto self = get_individual(db, id);
  std::vector<DescendantRow> out;
  if (max_depth && *max_depth == 0) return out;

  // One forward pass suffices: a child's id is larger than its parent's, so every member of
  // the subtree is known before any of its children are read.
  std::unordered_map<int64_t, int> depth_of{{id, 0}};
  auto st = db.prepare(std::string("SELECT ") + kIndividualColumns +
                       " FROM individuals WHERE id > ?1 AND run_id = ?2 ORDER BY id");
  st.bind(1, id).bind(2, self.run_id);
  while (st.step()) {
    if (st.is_null(3)) continue;
    const auto it = depth_of.find(st.column_int64(3));
    if (it == depth_of.end()) continue;
    const int depth = it->second + 1;
    if (max_depth && depth > *max_depth) continue;
    auto row = read_individual(st);
    depth_of.emplace(row.id, depth);
    out.push_back({std::move(row), depth});
  }
  return out;
}

std::vector<IndividualRow> children(Database& db, int64_t id) {
  std::vector<IndividualRow> out;
  for (auto& d : descendants(db, id, 1)) out.push_back(std::move(d.individual));
  return out;
}

void for_each_individual_of_run(Database& db, int64_t run_id,
                                const std::function<void(const IndividualRow&)>& visit) {
  {
    auto run = db.prepare("SELECT 1 FROM runs WHERE id = ?1");
    run.bind(1, run_id);
    if (!run.step()) not_found("run " + std::to_string(run_id) + " does not exist");
  }
  auto st = db.prepare(std::string("SELECT ") + kIndividualColumns +
                       " FROM individuals WHERE id >= ?1 AND run_id = ?2 ORDER BY id");
  st.bind(1, run_lower_bound(db, run_id)).bind(2, run_id);
  while (st.step()) visit(read_individual(st));
}

std::vector<IndividualRow> individuals_of_run(Database& db, int64_t run_id) {
  std::vector<IndividualRow> out;
  for_each_individual_of_run(db, run_id, [&out](const IndividualRow& r) { out.push_back(r); });
  return out;
}

}  // namespace seedline::store
