#include "common.hpp"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <cstdlib>
#include <iostream>

#include "read_only_note.hpp"
#include "store/read_only.hpp"
#include "util/error.hpp"
#include "util/output_path.hpp"
#include "util/utf8.hpp"

namespace seedline::cli {

int report_error(const std::string& message, const std::string& kind, int code, bool json, const std::string& footer) {
  if (json) {
    std::cerr << dump_json(nlohmann::ordered_json{{"error", message}, {"code", code}}, -1) << '\n';
  } else {
    std::cerr << "seedline: " << kind << ": " << message << '\n';
    if (!footer.empty()) std::cerr << footer << '\n';
  }
  return code;
}

std::filesystem::path resolve_db_path(const GlobalOptions& global) {
  if (!global.db.empty()) return global.db;
  if (const char* env = std::getenv("SEEDLINE_DB"); env != nullptr && *env != '\0') return env;
  return "seedline.db";
}

std::string seedline_command(const GlobalOptions& global) {
  if (global.db.empty()) return "seedline";
  const bool plain = global.db.find_first_not_of(
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+-") == std::string::npos;
  if (plain) return "seedline --db " + global.db;
  std::string quoted = "'";
  for (char c : global.db) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return "seedline --db " + quoted + "'";
}

std::string with_db_hints(const std::string& text, const GlobalOptions& global) {
  if (global.db.empty()) return text;
  const std::string from = "`seedline ";
  const std::string to = "`" + seedline_command(global) + " ";
  std::string out;
  size_t at = 0;
  for (size_t hit; (hit = text.find(from, at)) != std::string::npos; at = hit + from.size()) {
    const bool named = text.compare(hit + from.size(), 5, "--db ") == 0;  // already written with it
    out.append(text, at, hit - at).append(named ? from : to);
  }
  return out.append(text, at, std::string::npos);
}

store::Database open_db(const GlobalOptions& global, store::OpenPurpose purpose) {
  const auto path = resolve_db_path(global);
  auto db = store::open_database(path, purpose);
  if (purpose == store::OpenPurpose::kRead) note_if_immutable(path);
  return db;
}

void note_if_immutable(const std::filesystem::path& path) {
  if (!store::opens_immutable(path)) return;
  std::cerr << "seedline: note: " << path.string() << " is read as unchanging ("
            << store::immutable_reason(path).value_or("read-only") << "); nothing can be written to it\n";
}

CLI::Option* add_id_option(CLI::App* cmd, const std::string& name, int64_t& id, const std::string& description) {
  // Validators see the text before it is converted, so the conversion only ever sees digits.
  const CLI::Validator positive_id(
      [](std::string& text) -> std::string {
        const bool digits =
            !text.empty() && text.size() <= 19 && text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || std::stoull(text) == 0 || std::stoull(text) > static_cast<uint64_t>(INT64_MAX)) {
          return "must be a positive decimal integer up to 9223372036854775807 (got '" + text + "')";
        }
        return {};
      },
      "ID");
  return cmd->add_option(name, id, description)->required()->check(positive_id);
}

CLI::Validator finite_range(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v < lo || v > hi) {
          char range[96];
          std::snprintf(range, sizeof range, "must be a number from %g to %g", lo, hi);
          return std::string(range) + " (got '" + text + "')";
        }
        return {};
      },
      "NUMBER");
}

void write_file_atomically(const std::filesystem::path& path, const std::string& bytes) {
  const std::filesystem::path temp = temporary_sibling(path);
  std::FILE* f = std::fopen(temp.c_str(), "wb");
  if (f == nullptr) io_error(path.string() + ": cannot create " + temp.string() + ": " + std::strerror(errno));
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0 &&
                       ::fsync(::fileno(f)) == 0;
  const int saved = errno;
  const bool closed = std::fclose(f) == 0;
  std::error_code ec;
  if (!written || !closed) {
    std::filesystem::remove(temp, ec);
    io_error(path.string() + ": write failed: " + std::strerror(written ? errno : saved));
  }
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    const std::string why = ec.message();
    std::filesystem::remove(temp, ec);
    io_error(path.string() + ": cannot rename " + temp.string() + " into place: " + why);
  }
}

// A stored name another program wrote may not be UTF-8: it is printed with U+FFFD rather than
// failing the whole command.
void print_json(const nlohmann::json& value) { std::cout << dump_json(value, 2) << '\n'; }

std::string format_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace seedline::cli
