#include "util/json_fields.hpp"

#include <cmath>

#include "util/error.hpp"
#include "util/suggest.hpp"
#include "util/utf8.hpp"

namespace seedline {

std::string describe(const nlohmann::json& value) {
  std::string s = dump_json(value);
  if (s.size() > 40) {
    size_t cut = 37;  // not inside a multi-byte character
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut) + "...";
  }
  return s;
}

FieldReader::FieldReader(const nlohmann::json& value, std::string path) : value_(value), path_(std::move(path)) {
  if (!value_.is_object()) {
    invalid_argument((path_.empty() ? std::string("the document") : path_) + ": must be an object (got " +
                     describe(value_) + ")");
  }
}

bool FieldReader::has(const std::string& key) const { return value_.contains(key); }

std::optional<nlohmann::json> FieldReader::raw(const std::string& key) {
  known_.insert(key);
  if (!value_.contains(key)) return std::nullopt;
  return value_.at(key);
}

std::string FieldReader::string(const std::string& key, const std::optional<std::string>& fallback) {
  auto v = raw(key);
  if (!v) {
    if (fallback) return *fallback;
    invalid_argument(field(key) + ": is required");
  }
  if (!v->is_string()) invalid_argument(field(key) + ": must be a string (got " + describe(*v) + ")");
  return v->get<std::string>();
}

int64_t FieldReader::integer(const std::string& key, std::optional<int64_t> fallback, int64_t min, int64_t max) {
  auto v = raw(key);
  if (!v) {
    if (fallback) return *fallback;
    invalid_argument(field(key) + ": is required");
  }
  const auto bad = [&] {
    invalid_argument(field(key) + ": must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                     " (got " + describe(*v) + ")");
  };
  int64_t n = 0;
  if (v->is_number_integer()) {
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) bad();
    n = v->get<int64_t>();
  } else if (v->is_number_float()) {
    const double d = v->get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9e15) bad();
    n = static_cast<int64_t>(d);
  } else {
    bad();
  }
  if (n < min || n > max) bad();
  return n;
}

uint64_t FieldReader::unsigned64(const std::string& key, std::optional<uint64_t> fallback) {
  auto v = raw(key);
  if (!v) {
    if (fallback) return *fallback;
    invalid_argument(field(key) + ": is required");
  }
  if (v->is_number_unsigned()) return v->get<uint64_t>();
  if (v->is_string()) {
    const auto s = v->get<std::string>();
    if (!s.empty() && s.size() <= 20 && s.find_first_not_of("0123456789") == std::string::npos) {
      try {
        return std::stoull(s);
      } catch (...) {
      }
    }
  }
  invalid_argument(field(key) + ": must be an unsigned 64-bit integer (got " + describe(*v) + ")");
}

double FieldReader::number(const std::string& key, std::optional<double> fallback, double min, double max) {
  auto v = raw(key);
  if (!v) {
    if (fallback) return *fallback;
    invalid_argument(field(key) + ": is required");
  }
  if (!v->is_number()) invalid_argument(field(key) + ": must be a number (got " + describe(*v) + ")");
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    invalid_argument(field(key) + ": must be a number from " + describe(min) + " to " + describe(max) + " (got " +
                     describe(*v) + ")");
  }
  return d;
}

bool FieldReader::boolean(const std::string& key, std::optional<bool> fallback) {
  auto v = raw(key);
  if (!v) {
    if (fallback) return *fallback;
    invalid_argument(field(key) + ": is required");
  }
  if (!v->is_boolean()) invalid_argument(field(key) + ": must be true or false (got " + describe(*v) + ")");
  return v->get<bool>();
}

void FieldReader::finish() const {
  for (const auto& [key, unused] : value_.items()) {
    if (!known_.count(key)) {
      invalid_argument(field(key) + ": unknown field" +
                       did_you_mean(key, std::vector<std::string>(known_.begin(), known_.end())));
    }
  }
}

}  // namespace seedline
