#include "store/metric_repo.hpp"

#include <bit>
#include <cstring>

#include "util/error.hpp"

namespace seedline::store {
namespace {

std::vector<std::byte> encode_values(std::span<const double> values) {
  std::vector<std::byte> out(values.size() * 8);
  for (size_t i = 0; i < values.size(); ++i) {
    const auto bits = std::bit_cast<uint64_t>(values[i]);
    for (int b = 0; b < 8; ++b) out[i * 8 + static_cast<size_t>(b)] = static_cast<std::byte>(bits >> (8 * b));
  }
  return out;
}

std::vector<double> decode_values(const std::vector<std::byte>& blob, int64_t run_id, int generation,
                                  const std::string& name) {
  if (blob.size() % 8 != 0) {
    corruption("run " + std::to_string(run_id) + ", generation " + std::to_string(generation) + ", metric '" + name +
               "': member_values holds " + std::to_string(blob.size()) + " bytes, not a multiple of 8");
  }
  std::vector<double> out(blob.size() / 8);
  for (size_t i = 0; i < out.size(); ++i) {
    uint64_t bits = 0;
    for (int b = 0; b < 8; ++b) bits |= static_cast<uint64_t>(blob[i * 8 + static_cast<size_t>(b)]) << (8 * b);
    out[i] = std::bit_cast<double>(bits);
  }
  return out;
}

constexpr const char* kColumns = "run_id, generation, name, best, mean, min, max, members";

GenerationMetric read_row(Statement& st) {
  GenerationMetric m;
  m.run_id = st.column_int64(0);
  m.generation = static_cast<int>(st.column_int64(1));
  m.name = st.column_text(2);
  m.best = st.column_optional_double(3);
  m.mean = st.column_optional_double(4);
  m.min = st.column_optional_double(5);
  m.max = st.column_optional_double(6);
  m.members = st.column_int64(7);
  return m;
}

}  // namespace

void insert_generation_metrics(Database& db, std::span<const GenerationMetric> metrics) {
  if (metrics.empty()) return;
  auto st = db.prepare(
      "INSERT INTO generation_metrics(run_id, generation, name, best, mean, min, max, members, member_values) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& m : metrics) {
    const auto blob = encode_values(m.member_values);
    st.bind(1, m.run_id).bind(2, m.generation).bind(3, std::string_view(m.name));
    st.bind(4, m.best).bind(5, m.mean).bind(6, m.min).bind(7, m.max).bind(8, m.members);
    st.bind_blob(9, blob);
    st.run();
    st.reset();
  }
}

std::vector<GenerationMetric> list_generation_metrics(Database& db, int64_t run_id, bool with_members) {
  auto st = db.prepare(std::string("SELECT ") + kColumns + (with_members ? ", member_values" : "") +
                       " FROM generation_metrics WHERE run_id = ? ORDER BY generation, name");
  st.bind(1, run_id);
  std::vector<GenerationMetric> out;
  while (st.step()) {
    auto m = read_row(st);
    if (with_members) m.member_values = decode_values(st.column_blob(8), m.run_id, m.generation, m.name);
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::string> metric_names(Database& db, std::optional<int64_t> experiment_id) {
  auto st = db.prepare(
      "SELECT DISTINCT m.name FROM runs r JOIN generation_metrics m ON m.run_id = r.id "
      "WHERE ?1 IS NULL OR r.experiment_id = ?1 ORDER BY m.name");
  st.bind(1, experiment_id);
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.column_text(0));
  return out;
}

std::vector<GenerationMetric> experiment_named_metric(Database& db, int64_t experiment_id, const std::string& name,
                                                      std::optional<int> generation) {
  auto st = db.prepare(
      "SELECT m.run_id, m.generation, m.name, m.best, m.mean, m.min, m.max, m.members "
      "FROM runs r JOIN generation_metrics m ON m.run_id = r.id "
      "WHERE r.experiment_id = ?1 AND m.name = ?2 AND (?3 IS NULL OR m.generation = ?3) "
      "ORDER BY m.run_id, m.generation");
  st.bind(1, experiment_id).bind(2, std::string_view(name));
  st.bind(3, generation ? std::optional<int64_t>(*generation) : std::nullopt);
  std::vector<GenerationMetric> out;
  while (st.step()) out.push_back(read_row(st));
  return out;
}

}  // namespace seedline::store
