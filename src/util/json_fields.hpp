// Reading user-written JSON objects field by field, with the field path in every error.
//
// FieldReader wraps one JSON object found at `path` (e.g. "ga.stages[1]"). Each getter
// marks its field as known; finish() rejects any field no getter asked for, naming it, so a
// misspelt option is an error instead of being silently ignored. Errors are
// seedline::Error kInvalidArgument: "ga.population: must be an integer >= 2 (got 1)".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace seedline {

class FieldReader {
 public:
  // Throws when `value` is not an object.
  FieldReader(const nlohmann::json& value, std::string path);

  bool has(const std::string& key) const;
  // The raw value (marks it known); nullopt when absent.
  std::optional<nlohmann::json> raw(const std::string& key);
  std::string string(const std::string& key, const std::optional<std::string>& fallback = std::nullopt);
  int64_t integer(const std::string& key, std::optional<int64_t> fallback, int64_t min, int64_t max);
  uint64_t unsigned64(const std::string& key, std::optional<uint64_t> fallback);
  double number(const std::string& key, std::optional<double> fallback, double min, double max);
  bool boolean(const std::string& key, std::optional<bool> fallback);
  // Rejects fields no getter asked for.
  void finish() const;

  std::string field(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const std::string& path() const { return path_; }

 private:
  const nlohmann::json& value_;
  std::string path_;
  std::set<std::string> known_;
};

// Compact rendering of a JSON value for messages, cut at ~40 characters.
std::string describe(const nlohmann::json& value);

// A parser callback for nlohmann::json / ordered_json that refuses a key given twice in one
// object (nlohmann keeps the last without a word, so "population" given twice would silently
// run with the second, and a stats group given twice would replace the first), and nesting
// deeper than kMaxDepth. The Error (kInvalidArgument) names the key's path: "ga.population",
// "conditions[].ga.elites".
// Use: JsonInputCheck<json> check; json::parse(text, std::ref(check), true, comments).
template <typename Json>
class JsonInputCheck {
 public:
  using Event = typename Json::parse_event_t;

  // Deeper nesting than this is refused: nlohmann copies, prints and destroys values
  // recursively, and 400,000 nested '[' overflowed the stack.
  static constexpr int kMaxDepth = 256;

  bool operator()(int depth, Event event, Json& parsed) {
    switch (event) {
      case Event::object_start:
      case Event::array_start: {
        if (depth > kMaxDepth) {
          throw Error(ErrorCode::kInvalidArgument,
                      "values nested more than " + std::to_string(kMaxDepth) + " levels deep");
        }
        // Only the step from the parent is kept; the full path is built on error, so memory
        // stays linear in the nesting depth.
        std::string step;
        if (!frames_.empty()) step = frames_.back().is_object ? frames_.back().last_key : "[]";
        frames_.push_back({event == Event::object_start, std::move(step), {}, {}});
        break;
      }
      case Event::object_end:
      case Event::array_end:
        frames_.pop_back();
        break;
      case Event::key: {
        Frame& f = frames_.back();
        f.last_key = parsed.template get<std::string>();
        if (!f.keys.insert(f.last_key).second) {
          std::string path;
          for (size_t i = 1; i < frames_.size(); ++i) {
            const bool index = frames_[i].step == "[]";
            path += (path.empty() || index ? "" : ".") + frames_[i].step;
          }
          throw Error(ErrorCode::kInvalidArgument,
                      (path.empty() ? "" : path + ".") + f.last_key + ": given twice in the same object");
        }
        break;
      }
      case Event::value:
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool is_object = false;
    std::string step;  // the key (or "[]") under which the parent holds this value
    std::string last_key;
    std::set<std::string> keys;
  };
  std::vector<Frame> frames_;
};

}  // namespace seedline
