// make_task: the "task" object of an experiment file, validated field by field.
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <string>

#include "tasks/cartpole.hpp"
#include "tasks/external_task.hpp"
#include "tasks/function_tasks.hpp"
#include "tasks/language_model.hpp"
#include "tasks/mujoco_task.hpp"
#include "tasks/pendulum.hpp"
#include "tasks/task.hpp"
#include "util/error.hpp"
#include "util/suggest.hpp"

namespace seedline::tasks {
namespace {

constexpr int64_t kMaxEpisodes = 100000;
constexpr int64_t kMaxStepsLimit = 1000000000;  // a typo guard, far beyond any real episode

// Reads fields of one JSON object and remembers which were read, so that whatever is left
// at the end is an unknown field.
class FieldReader {
 public:
  explicit FieldReader(const nlohmann::json& object) : object_(object) {}

  const nlohmann::json* find(const std::string& field) {
    read_.insert(field);
    const auto it = object_.find(field);
    return it == object_.end() ? nullptr : &*it;
  }

  int64_t integer(const std::string& field, int64_t fallback, int64_t min, int64_t max) {
    const nlohmann::json* value = find(field);
    if (value == nullptr) return fallback;
    if (!value->is_number_integer()) {
      invalid_argument("task." + field + ": expected an integer, got " + value->dump());
    }
    if (value->is_number_unsigned() && value->get<uint64_t>() > static_cast<uint64_t>(max)) {
      invalid_argument("task." + field + ": " + value->dump() + " is out of range [" +
                       std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    const int64_t v = value->get<int64_t>();
    if (v < min || v > max) {
      invalid_argument("task." + field + ": " + std::to_string(v) + " is out of range [" +
                       std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    return v;
  }

  double number(const std::string& field, double fallback) {
    const nlohmann::json* value = find(field);
    if (value == nullptr) return fallback;
    if (!value->is_number() || !std::isfinite(value->get<double>())) {
      invalid_argument("task." + field + ": expected a finite number, got " + value->dump());
    }
    return value->get<double>();
  }

  // Rejects any field not read so far.
  void reject_unknown(const std::string& type) const {
    std::string known;
    for (const std::string& f : read_) known += (known.empty() ? "" : ", ") + f;
    for (const auto& [key, value] : object_.items()) {
      if (read_.count(key) == 0) {
        invalid_argument("task." + key + ": unknown field for task '" + type + "' (known: " + known + ")" +
                         did_you_mean(key, std::vector<std::string>(read_.begin(), read_.end())));
      }
    }
  }

 private:
  const nlohmann::json& object_;
  std::set<std::string> read_;
};

}  // namespace

std::unique_ptr<Task> make_task(const nlohmann::json& spec, TaskData data) {
  if (!spec.is_object()) invalid_argument("task: expected an object, got " + spec.dump());
  FieldReader fields(spec);
  const nlohmann::json* type_value = fields.find("type");
  if (type_value == nullptr) {
    invalid_argument("task.type: missing (one of cartpole, pendulum, sphere, rastrigin, external, language_model, mujoco)");
  }
  if (!type_value->is_string()) invalid_argument("task.type: expected a string, got " + type_value->dump());
  const std::string type = type_value->get<std::string>();

  std::unique_ptr<Task> task;
  if (type == "cartpole" || type == "pendulum") {
    const int episodes = static_cast<int>(fields.integer("episodes", 1, 1, kMaxEpisodes));
    const bool cartpole = type == "cartpole";
    const int64_t max_steps = fields.integer(
        "max_steps", cartpole ? cartpole::kDefaultMaxSteps : pendulum::kDefaultMaxSteps, 1, kMaxStepsLimit);
    if (cartpole) {
      task = std::make_unique<CartPoleTask>(episodes, max_steps);
    } else {
      task = std::make_unique<PendulumTask>(episodes, max_steps);
    }
  } else if (type == "sphere" || type == "rastrigin") {
    // Function tasks are deterministic: a second episode would only repeat the first.
    if (fields.integer("episodes", 1, 1, kMaxEpisodes) != 1) {
      invalid_argument("task.episodes: task '" + type + "' is deterministic; episodes must be 1");
    }
    const double shift = fields.number("shift", 0.0);
    if (type == "sphere") {
      task = std::make_unique<SphereTask>(shift);
    } else {
      task = std::make_unique<RastriginTask>(shift);
    }
  } else if (type == "external") {
    return make_external_task(spec);  // validates its own fields
  } else if (type == "mujoco") {
    return make_mujoco_task(spec, data);  // validates its own fields, then loads the model
  } else if (type == "language_model") {
    if (fields.integer("episodes", 1, 1, kMaxEpisodes) != 1) {
      invalid_argument("task.episodes: task '" + type + "' is deterministic; episodes must be 1");
    }
    const nlohmann::json* path = fields.find("data");
    if (path == nullptr) invalid_argument("task.data: missing (the token file, one sequence per line)");
    if (!path->is_string() || path->get<std::string>().empty()) {
      invalid_argument("task.data: expected a file path, got " + path->dump());
    }
    const int64_t sequences = fields.integer("sequences", 0, 1, int64_t{1} << 40);
    std::optional<int64_t> bytes;
    if (fields.find("bytes") != nullptr) bytes = fields.integer("bytes", 0, 0, std::numeric_limits<int64_t>::max());
    std::optional<std::string> hash;
    if (const nlohmann::json* h = fields.find("xxh64")) {
      if (!h->is_string() || h->get<std::string>().size() != 16 ||
          h->get<std::string>().find_first_not_of("0123456789abcdef") != std::string::npos) {
        invalid_argument("task.xxh64: expected 16 lowercase hex digits, got " + h->dump());
      }
      hash = h->get<std::string>();
    }
    fields.reject_unknown(type);  // before reading a possibly large file
    task = std::make_unique<LanguageModelTask>(path->get<std::string>(), sequences, bytes, hash,
                                               data == TaskData::kLoad);
  } else {
    invalid_argument("task.type: unknown task '" + type +
                     "' (one of cartpole, pendulum, sphere, rastrigin, external, language_model, mujoco)" +
                     did_you_mean(type, {"cartpole", "pendulum", "sphere", "rastrigin", "external", "language_model", "mujoco"}));
  }
  fields.reject_unknown(type);
  return task;
}

std::string fitness_label(const nlohmann::json& spec) {
  try {
    return make_task(spec, TaskData::kSpecOnly)->fitness_label();
  } catch (const Error&) {
    return "fitness";
  }
}

}  // namespace seedline::tasks
