#include "tasks/external_task.hpp"

#include <filesystem>

#include "util/error.hpp"
#include "util/json_fields.hpp"

namespace seedline::tasks {
namespace {

constexpr int kMaxWorkers = 256;
constexpr int kMaxArguments = 256;
constexpr size_t kMaxArgumentBytes = 4096;
constexpr int64_t kMaxObservationValues = int64_t{1} << 28;
constexpr double kMaxSeconds = 7 * 24 * 3600.0;  // a week: a typo guard, not a policy

std::vector<std::string> read_command(FieldReader& r) {
  const auto value = r.raw("command");
  const std::string field = r.field("command");
  if (!value) invalid_argument(field + ": is required: the evaluator program and its arguments, e.g. [\"python3\", \"env.py\"]");
  if (!value->is_array() || value->empty() || value->size() > static_cast<size_t>(kMaxArguments)) {
    invalid_argument(field + ": must be a non-empty list of at most " + std::to_string(kMaxArguments) +
                     " strings (got " + describe(*value) + ")");
  }
  std::vector<std::string> command;
  for (size_t i = 0; i < value->size(); ++i) {
    const auto& a = (*value)[i];
    const std::string at = field + "[" + std::to_string(i) + "]";
    if (!a.is_string()) invalid_argument(at + ": must be a string (got " + describe(a) + ")");
    const std::string s = a.get<std::string>();
    if (s.size() > kMaxArgumentBytes) invalid_argument(at + ": longer than " + std::to_string(kMaxArgumentBytes) + " bytes");
    if (s.find('\0') != std::string::npos) invalid_argument(at + ": contains a NUL character");
    if (i == 0 && s.empty()) invalid_argument(at + ": the program name is empty");
    command.push_back(s);
  }
  return command;
}

std::vector<int64_t> read_shape(FieldReader& r, const nlohmann::json& value) {
  const std::string field = r.field("observation_shape");
  if (!value.is_array() || (value.size() != 1 && value.size() != 3)) {
    invalid_argument(field + ": must be [n] or [channels, height, width] (got " + describe(value) + ")");
  }
  std::vector<int64_t> shape;
  int64_t total = 1;
  for (const auto& d : value) {
    if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > (int64_t{1} << 24)) {
      invalid_argument(field + ": every dimension must be a positive integer (got " + describe(value) + ")");
    }
    shape.push_back(d.get<int64_t>());
    total *= shape.back();
    if (total > kMaxObservationValues) {
      invalid_argument(field + ": more than " + std::to_string(kMaxObservationValues) + " values");
    }
  }
  return shape;
}

}  // namespace

ExternalTask::ExternalTask(ExternalSpec spec) : Task(spec.episodes), spec_(std::move(spec)) {}

int ExternalTask::observation_size() const {
  if (!spec_.observation_shape) return 0;
  int64_t n = 1;
  for (int64_t d : *spec_.observation_shape) n *= d;
  return static_cast<int>(n);
}

nlohmann::json ExternalTask::resolved_spec() const {
  nlohmann::json j = {{"type", "external"},         {"command", spec_.command},
                      {"workers", spec_.workers},   {"episodes", episodes()},
                      {"timeout", spec_.timeout},   {"startup_timeout", spec_.startup_timeout},
                      {"retries", spec_.retries}};
  if (spec_.observation_shape) j["observation_shape"] = *spec_.observation_shape;
  if (spec_.actions) j["actions"] = *spec_.actions;
  return j;
}

EpisodeResult ExternalTask::run_episode(Policy& /*policy*/, uint64_t /*episode_seed*/) const {
  failed_precondition("task 'external' runs its episodes in the evaluator processes, not in seedline");
}

double ExternalTask::score(std::span<const float> /*parameters*/) const {
  failed_precondition("task 'external' is scored by the evaluator processes, not in seedline");
}

std::vector<std::string> absolute_command(const std::vector<std::string>& command) {
  namespace fs = std::filesystem;
  std::vector<std::string> out = command;
  for (size_t i = 0; i < out.size(); ++i) {
    const fs::path p(out[i]);
    if (out[i].empty() || p.is_absolute() || out[i].front() == '-') continue;
    std::error_code ec;
    const bool path = i == 0 ? out[i].find('/') != std::string::npos : fs::is_regular_file(p, ec);
    if (path) out[i] = fs::absolute(p, ec).lexically_normal().string();
    if (ec) out[i] = command[i];  // no current directory: keep it as written
  }
  return out;
}

std::unique_ptr<Task> make_external_task(const nlohmann::json& json) {
  FieldReader r(json, "task");
  r.string("type");
  ExternalSpec spec;
  spec.command = read_command(r);
  spec.workers = static_cast<int>(r.integer("workers", 1, 1, kMaxWorkers));
  spec.episodes = static_cast<int>(r.integer("episodes", 1, 1, 100000));
  spec.timeout = r.number("timeout", 60.0, 0.001, kMaxSeconds);
  spec.startup_timeout = r.number("startup_timeout", 60.0, 0.001, kMaxSeconds);
  spec.retries = static_cast<int>(r.integer("retries", 2, 0, 100));
  if (const auto shape = r.raw("observation_shape"); shape && !shape->is_null()) {
    spec.observation_shape = read_shape(r, *shape);
  }
  if (const auto actions = r.raw("actions"); actions && !actions->is_null()) {
    spec.actions = static_cast<int>(r.integer("actions", std::nullopt, 1, 1 << 24));
  }
  if (spec.observation_shape && !spec.actions) {
    invalid_argument(r.field("actions") + ": is required with observation_shape (the network's output width)");
  }
  if (spec.actions && !spec.observation_shape) {
    invalid_argument(r.field("actions") + ": needs observation_shape (without it the evaluator scores the "
                     "weights alone and the network's layers give their own sizes)");
  }
  r.finish();
  return std::make_unique<ExternalTask>(std::move(spec));
}

}  // namespace seedline::tasks
