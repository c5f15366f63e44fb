// SQLite connection, prepared statement and transaction: thin RAII wrappers.
//
// A Database owns one sqlite3 connection. It is movable, not copyable, and not thread-safe:
// use one Database per thread. As docs/runner.md says, a process holds at most one writer connection
// (the runner's) and any number of read-only ones (the HTTP server's, the CLI's queries).
// Every connection is opened with WAL, busy_timeout and foreign_keys=ON.
//
// Opening validates the file before SQLite may write to it: a file that is not a SQLite
// database, is truncated (shorter than its header says with no -wal beside it to hold the
// rest: a checkpoint cut short by a full disk leaves such a pair, which SQLite reads whole) or
// belongs to another application is refused with a one-line Error naming the file and the
// reason, and is left byte-identical. A file that looks truncated is re-read for up to 0.3 s
// first: a concurrent commit or checkpoint writes page 1 before it appends the pages it counts.
// The header is read only by a process's first connection to a file (see database.cpp).
// Read-only media: store/read_only.hpp. Schema versions: open_database() in migrations.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace seedline::store {

enum class Access {
  kReadOnly,        // SQLITE_OPEN_READONLY; the file must exist (immutable: store/read_only.hpp)
  kReadWrite,       // the file must exist
  kCreate,          // read-write, creating the file when missing
};

struct ConnectionOptions {
  Access access = Access::kReadOnly;
  // How long a statement waits on another process's lock before failing. Default: 10 s.
  int busy_timeout_ms = 10000;
};

class Statement;

class Database {
 public:
  // Opens `path`; throws Error (kNotFound, kCorruption, kIOError) with the path in the message.
  static Database open(const std::filesystem::path& path, const ConnectionOptions& options);
  // A private in-memory database (tests, schema checks).
  static Database open_memory();

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Switches a writable connection to WAL (synchronous=NORMAL). Separate from open() so the
  // caller can validate a file (application id, schema version) before anything is written.
  void enable_wal();

  // Runs one or more statements without results. Throws Error on failure.
  void exec(std::string_view sql);
  Statement prepare(std::string_view sql);
  int64_t last_insert_rowid() const;
  int changes() const;
  bool read_only() const { return read_only_; }
  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() const { return db_; }

  // Turns the connection's current error into an Error naming the file and `what`.
  [[noreturn]] void raise(int rc, std::string_view what) const;

 private:
  Database(sqlite3* db, std::filesystem::path path, bool read_only)
      : db_(db), path_(std::move(path)), read_only_(read_only) {}
  // Releases this connection's entry in the process-wide registry of open files.
  void forget_file() noexcept;

  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  bool read_only_ = false;
  int busy_timeout_ms_ = 0;
  std::optional<std::pair<uint64_t, uint64_t>> file_;  // (device, inode) when registered
};

// A prepared statement. Bind indexes are 1-based (SQLite's), column indexes 0-based.
class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, uint64_t value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind_blob(int index, std::span<const std::byte> value);
  Statement& bind_null(int index);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // Advances; true when a row is available, false when done. Throws Error on failure.
  bool step();
  // Steps to completion, expecting no rows.
  void run();
  // Rewinds for re-execution and clears bindings.
  void reset();

  int column_count() const;
  bool is_null(int col) const;
  int64_t column_int64(int col) const;
  uint64_t column_uint64(int col) const { return static_cast<uint64_t>(column_int64(col)); }
  double column_double(int col) const;
  std::string column_text(int col) const;
  std::vector<std::byte> column_blob(int col) const;
  std::optional<int64_t> column_optional_int64(int col) const;
  std::optional<double> column_optional_double(int col) const;

 private:
  friend class Database;
  Statement(const Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  const Database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE (takes the write lock up front, so busy_timeout applies to the whole
// transaction instead of failing at the first write) ... COMMIT; rolls back in the destructor
// unless commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace seedline::store
