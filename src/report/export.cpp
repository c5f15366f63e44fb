#include "report/export.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <set>
#include <cstdio>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "store/experiment_repo.hpp"
#include "store/lineage_repo.hpp"
#include "store/metric_repo.hpp"
#include "tasks/task.hpp"
#include "util/error.hpp"

namespace seedline::report {
namespace {

// Cells of one row, appended to a buffer that is flushed to the stream in large chunks.
class TableWriter {
 public:
  TableWriter(TableFormat format, std::ostream& out, std::vector<std::string> columns)
      : format_(format), out_(out), columns_(std::move(columns)) {
    if (format_ == TableFormat::kCsv) {
      for (size_t i = 0; i < columns_.size(); ++i) buffer_ += (i ? "," : "") + columns_[i];
      buffer_ += '\n';
    } else {
      buffer_ += '[';
    }
  }

  void begin_row() {
    cell_ = 0;
    if (format_ == TableFormat::kJson) buffer_ += rows_ == 0 ? "\n{" : ",\n{";
  }
  void integer(int64_t v) { raw(std::to_string(v)); }
  void number(std::optional<double> v) {
    if (!v || !std::isfinite(*v)) return raw(format_ == TableFormat::kCsv ? "" : "null");
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *v);
    raw(std::string(buf, ec == std::errc() ? end : buf));
  }
  void optional_integer(std::optional<int64_t> v) {
    if (!v) return raw(format_ == TableFormat::kCsv ? "" : "null");
    integer(*v);
  }
  // A number too large for a JavaScript double: a bare integer in CSV, a string in JSON.
  void big_unsigned(uint64_t v) { format_ == TableFormat::kCsv ? raw(std::to_string(v)) : text(std::to_string(v)); }
  void text(const std::string& s) {
    if (format_ == TableFormat::kJson) return raw(json_string(s));
    if (s.find_first_of(",\"\r\n") == std::string::npos) return raw(s);
    std::string quoted = "\"";
    for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    raw(quoted + "\"");
  }
  void end_row() {
    buffer_ += format_ == TableFormat::kCsv ? "\n" : "}";
    ++rows_;
    if (buffer_.size() >= (size_t{1} << 16)) flush();
  }
  int64_t finish() {
    if (format_ == TableFormat::kJson) buffer_ += rows_ == 0 ? "]\n" : "\n]\n";
    flush();
    return rows_;
  }

 private:
  static std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    return out + "\"";
  }
  void raw(const std::string& value) {
    if (format_ == TableFormat::kCsv) {
      if (cell_ > 0) buffer_ += ',';
    } else {
      buffer_ += (cell_ > 0 ? ", \"" : "\"") + columns_.at(cell_) + "\": ";
    }
    buffer_ += value;
    ++cell_;
  }
  void flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
    if (!out_) io_error("writing the table failed");
  }

  TableFormat format_;
  std::ostream& out_;
  std::vector<std::string> columns_;
  std::string buffer_;
  size_t cell_ = 0;
  int64_t rows_ = 0;
};

}  // namespace

TableFormat parse_table_format(std::string_view name) {
  if (name == "csv") return TableFormat::kCsv;
  if (name == "json") return TableFormat::kJson;
  invalid_argument("unknown table format '" + std::string(name) + "' (expected csv or json)");
}

bool condition_shows_loss(const std::string& config) {
  const auto json = nlohmann::json::parse(config, nullptr, /*allow_exceptions=*/false);
  return json.is_object() && json.contains("task") && tasks::fitness_label(json["task"]) == "loss";
}

bool run_shows_loss(store::Database& db, int64_t run_id) {
  const auto run = store::find_run(db, run_id);
  if (!run) not_found("run " + std::to_string(run_id) + " does not exist");
  const auto condition = store::find_condition(db, run->condition_id);
  return condition && condition_shows_loss(condition->config);
}

int64_t write_generations_table(store::Database& db, int64_t experiment_id, TableFormat format, std::ostream& out) {
  std::set<int64_t> loss_conditions;  // conditions whose fitness is minus a loss
  for (const auto& c : store::list_conditions(db, experiment_id)) {
    if (condition_shows_loss(c.config)) loss_conditions.insert(c.id);
  }
  std::vector<std::string> columns = {"run",    "condition", "trial",       "generation", "best", "mean",
                                      "median", "std",       "evaluations", "steps",      "seconds"};
  if (!loss_conditions.empty()) columns.insert(columns.end(), {"best_loss", "mean_loss", "median_loss"});
  TableWriter table(format, out, columns);
  for (const auto& run : store::list_runs(db, experiment_id)) {
    const bool loss = loss_conditions.count(run.condition_id) > 0;
    for (const auto& g : store::list_generations(db, run.id)) {
      table.begin_row();
      table.integer(run.id);
      table.text(run.condition);
      table.integer(run.trial);
      table.integer(g.generation);
      table.number(g.best);
      table.number(g.mean);
      table.number(g.median);
      table.number(g.std);
      table.integer(g.evaluations);
      table.integer(g.steps);
      table.number(g.total_seconds);
      if (!loss_conditions.empty()) {
        for (const double v : {g.best, g.mean, g.median}) table.number(loss ? std::optional<double>(-v) : std::nullopt);
      }
      table.end_row();
    }
  }
  return table.finish();
}

int64_t write_metrics_table(store::Database& db, int64_t experiment_id, bool members, TableFormat format,
                            std::ostream& out) {
  std::vector<std::string> columns = {"run", "condition", "trial", "generation", "metric"};
  for (const char* c : members ? std::vector<const char*>{"member", "value"}
                               : std::vector<const char*>{"best", "mean", "min", "max", "members"}) {
    columns.emplace_back(c);
  }
  TableWriter table(format, out, columns);
  const auto head = [&](const store::RunRow& run, const store::GenerationMetric& m) {
    table.begin_row();
    table.integer(run.id);
    table.text(run.condition);
    table.integer(run.trial);
    table.integer(m.generation);
    table.text(m.name);
  };
  for (const auto& run : store::list_runs(db, experiment_id)) {
    for (const auto& m : store::list_generation_metrics(db, run.id, members)) {
      if (!members) {
        head(run, m);
        table.number(m.best);
        table.number(m.mean);
        table.number(m.min);
        table.number(m.max);
        table.integer(m.members);
        table.end_row();
        continue;
      }
      for (size_t i = 0; i < m.member_values.size(); ++i) {
        head(run, m);
        table.integer(static_cast<int64_t>(i));
        table.number(m.member_values[i]);
        table.end_row();
      }
    }
  }
  return table.finish();
}

int64_t write_individuals_table(store::Database& db, int64_t run_id, TableFormat format, std::ostream& out) {
  const bool loss = run_shows_loss(db, run_id);
  std::vector<std::string> columns = {"id", "run", "generation", "parent", "seed", "fitness"};
  if (loss) columns.emplace_back("loss");
  TableWriter table(format, out, columns);
  store::for_each_individual_of_run(db, run_id, [&](const store::IndividualRow& r) {
    table.begin_row();
    table.integer(r.id);
    table.integer(r.run_id);
    table.integer(r.generation);
    table.optional_integer(r.parent);
    table.big_unsigned(r.seed);
    table.number(r.fitness);
    if (loss) table.number(r.fitness ? std::optional<double>(-*r.fitness) : std::nullopt);
    table.end_row();
  });
  return table.finish();
}

}  // namespace seedline::report
