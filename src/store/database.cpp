#include "store/database.hpp"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <thread>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>

#include "store/read_only.hpp"
#include "util/error.hpp"

namespace seedline::store {
namespace {

constexpr std::string_view kSqliteMagic("SQLite format 3\0", 16);

// Reads a big-endian unsigned integer from the database header.
uint32_t be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// What the raw header says, read without letting SQLite touch the file.
struct HeaderCheck {
  std::string problem;     // empty: looks like a whole SQLite file
  bool truncated = false;  // the problem is only that the file is shorter than its header says
};

HeaderCheck read_header(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) io_error(path.string() + ": cannot read file size: " + ec.message());
  if (size == 0) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) io_error(path.string() + ": cannot open for reading: " + std::strerror(errno));
  std::array<unsigned char, 100> header{};
  in.read(reinterpret_cast<char*>(header.data()), header.size());
  const auto got = static_cast<size_t>(in.gcount());
  if (got < kSqliteMagic.size() ||
      std::memcmp(header.data(), kSqliteMagic.data(), kSqliteMagic.size()) != 0) {
    return {path.string() + ": not a SQLite database (bad header)", false};
  }
  if (got < header.size()) {
    return {path.string() + ": truncated SQLite file (" + std::to_string(size) +
                " bytes, smaller than the 100-byte header)",
            false};
  }
  uint32_t page_size = (uint32_t{header[16]} << 8) | header[17];
  if (page_size == 1) page_size = 65536;
  if (page_size < 512 || (page_size & (page_size - 1)) != 0) {
    return {path.string() + ": corrupt SQLite header (page size " + std::to_string(page_size) + ")", false};
  }
  // The in-header page count is valid when the change counter equals version-valid-for.
  const uint32_t change_counter = be32(&header[24]);
  const uint32_t page_count = be32(&header[28]);
  const uint32_t valid_for = be32(&header[92]);
  if (page_count != 0 && change_counter == valid_for) {
    const uint64_t expected = uint64_t{page_count} * page_size;
    if (size < expected) {
      return {path.string() + ": truncated SQLite file (" + std::to_string(size) + " bytes, header says " +
                  std::to_string(expected) + ")",
              true};
    }
  }
  return {};
}

// Checks the file header without letting SQLite touch the file, so a file we refuse is left
// byte-identical. An empty file is a valid (new) database.
//
// Another process may be writing the file right now: a commit or WAL checkpoint writes page 1
// (with the new page count) before it appends the new pages, so for a moment a healthy file
// looks truncated (QA saw `db init` racing `db init` fail so). A file is only called truncated
// once it has looked so, with an unchanged size, for kSettle.
// The size of PATH-wal, 0 when there is none. A WAL holds at least its 32-byte header and
// one frame before it can hold a commit.
uint64_t wal_bytes(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path.string() + "-wal", ec);
  return ec ? 0 : size;
}

void check_header(const std::filesystem::path& path) {
  constexpr auto kSettle = std::chrono::milliseconds(300);
  constexpr auto kStep = std::chrono::milliseconds(10);
  auto check = read_header(path);
  auto stable_since = std::chrono::steady_clock::now();
  std::error_code ec;
  auto last_size = std::filesystem::file_size(path, ec);
  while (check.truncated && wal_bytes(path) <= 32 && std::chrono::steady_clock::now() - stable_since < kSettle) {
    std::this_thread::sleep_for(kStep);
    check = read_header(path);
    const auto size = std::filesystem::file_size(path, ec);
    if (size != last_size) {
      last_size = size;
      stable_since = std::chrono::steady_clock::now();
    }
  }
  // A checkpoint that ran out of disk space (or was killed) can leave page 1, with the new
  // page count, in the main file while the pages it counts are still only in the WAL. The
  // file is then healthy: SQLite reads those pages from the WAL, and the next checkpoint
  // writes them. Only a file without a WAL to complete it is refused as truncated.
  if (check.truncated && wal_bytes(path) > 32) return;
  if (!check.problem.empty()) corruption(check.problem);
}

// The files this process has SQLite connections to, by (device, inode), with how many.
// POSIX record locks belong to the process and are all released when it closes *any*
// descriptor of the file, so check_header (which opens and closes the file) must not run
// while another connection of the process holds its locks: a writer in another process
// would then see itself as the last connection, checkpoint and delete the WAL under our
// readers (stale reads, "database disk image is malformed").
std::mutex& open_files_mutex() {
  static std::mutex mu;
  return mu;
}

std::map<std::pair<uint64_t, uint64_t>, int>& open_files() {
  static std::map<std::pair<uint64_t, uint64_t>, int> files;
  return files;
}

std::optional<std::pair<uint64_t, uint64_t>> file_identity(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return std::pair<uint64_t, uint64_t>{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

// The first 40 characters of a statement on one line, for an error message.
std::string sql_excerpt(std::string_view sql) {
  std::string out(sql.substr(0, 40));
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out;
}

std::filesystem::path directory_of(const std::filesystem::path& path) {
  auto dir = path.parent_path();
  return dir.empty() ? std::filesystem::path(".") : dir;
}


}  // namespace

Database Database::open(const std::filesystem::path& path, const ConnectionOptions& options) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (exists && std::filesystem::is_directory(path, ec)) {
    invalid_argument(path.string() + ": is a directory, not a database file");
  }
  if (!exists && options.access != Access::kCreate) {
    not_found(path.string() + ": no such database (create it with `seedline db init`)");
  }
  // Held until this connection is registered, so no other thread's check_header can close
  // a descriptor of the file between SQLite opening it and the registry knowing.
  std::unique_lock registry(open_files_mutex());
  const auto identity = exists ? file_identity(path) : std::nullopt;
  if (exists && (!identity || open_files().count(*identity) == 0)) check_header(path);

  const bool read_only = options.access == Access::kReadOnly;
  if (!read_only) {
    // WAL needs the -wal and -shm files beside the database, so the directory must be writable.
    const auto dir = directory_of(path);
    if (!std::filesystem::is_directory(dir, ec)) {
      not_found(path.string() + ": directory " + dir.string() + " does not exist");
    }
    if (::access(dir.c_str(), W_OK) != 0) {
      io_error(path.string() + ": directory " + dir.string() + " is not writable (" +
               std::strerror(errno) + ")");
    }
    if (exists && ::access(path.c_str(), W_OK) != 0) {
      io_error(path.string() + ": file is not writable (" + std::strerror(errno) + ")");
    }
  }

  // A reader of a WAL database must be able to create PATH-shm beside it. Where it cannot and
  // no writer can exist either (read-only media, a directory nobody may write), the file
  // cannot change under us and is opened immutable: no locks, no -shm. Where a writer could
  // exist, reading without locks could see a half-written commit, so that is refused.
  const bool immutable = read_only && opens_immutable(path);
  // Where this user cannot create PATH-shm and the file is not immutable, only a -shm that a
  // writer left can make reading work.
  const bool needs_existing_shm = read_only && !immutable && !can_create_shm(path);
  if (needs_existing_shm && !std::filesystem::exists(path.string() + "-shm", ec)) {
    io_error(read_only_refusal(path));
  }

  int flags = SQLITE_OPEN_NOMUTEX;
  if (read_only) flags |= SQLITE_OPEN_READONLY;
  else flags |= SQLITE_OPEN_READWRITE | (options.access == Access::kCreate ? SQLITE_OPEN_CREATE : 0);
  if (immutable) flags |= SQLITE_OPEN_URI;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(immutable ? immutable_uri(path).c_str() : path.c_str(), &raw, flags, nullptr);
  Database db(raw, path, read_only);
  if (rc == SQLITE_OK) {
    db.file_ = file_identity(path);  // a new file exists once SQLite opened it
    if (db.file_) ++open_files()[*db.file_];
  }
  registry.unlock();
  if (rc != SQLITE_OK) {
    if (raw == nullptr) io_error(path.string() + ": cannot open database (out of memory)");
    db.raise(rc, "cannot open database");
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  db.busy_timeout_ms_ = options.busy_timeout_ms;
  db.exec("PRAGMA foreign_keys=ON");
  // Reading the schema first surfaces "file is not a database" before any write happens.
  try {
    db.exec("SELECT count(*) FROM sqlite_master");
  } catch (const Error& e) {
    if (!needs_existing_shm || e.code() != ErrorCode::kIOError) throw;
    io_error(read_only_refusal(path) + " (SQLite: " + e.what() + ")");
  }
  return db;
}

void Database::enable_wal() {
  // Switching a new file to WAL needs an exclusive lock, and SQLite reports SQLITE_BUSY for it
  // without consulting the busy handler, so wait here as busy_timeout would.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms_);
  for (;;) {
    try {
      auto st = prepare("PRAGMA journal_mode=WAL");
      st.step();
      if (st.column_text(0) != "wal") {
        io_error(path_.string() + ": cannot switch to WAL journal mode (got " + st.column_text(0) + ")");
      }
      break;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kIOError || std::chrono::steady_clock::now() > deadline ||
          (sqlite3_extended_errcode(db_) & 0xff) != SQLITE_BUSY) {
        throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  exec("PRAGMA synchronous=NORMAL");
}

Database Database::open_memory() {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Database db(raw, ":memory:", false);
  if (rc != SQLITE_OK) db.raise(rc, "cannot open in-memory database");
  sqlite3_extended_result_codes(raw, 1);
  db.exec("PRAGMA foreign_keys=ON");
  return db;
}

Database::Database(Database&& other) noexcept
    : db_(other.db_),
      path_(std::move(other.path_)),
      read_only_(other.read_only_),
      busy_timeout_ms_(other.busy_timeout_ms_),
      file_(other.file_) {
  other.db_ = nullptr;
  other.file_.reset();
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    forget_file();
    db_ = other.db_;
    path_ = std::move(other.path_);
    read_only_ = other.read_only_;
    busy_timeout_ms_ = other.busy_timeout_ms_;
    file_ = other.file_;
    other.db_ = nullptr;
    other.file_.reset();
  }
  return *this;
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
  forget_file();
}

void Database::forget_file() noexcept {
  if (!file_) return;
  std::lock_guard lock(open_files_mutex());
  auto it = open_files().find(*file_);
  if (it != open_files().end() && --it->second == 0) open_files().erase(it);
  file_.reset();
}

void Database::raise(int rc, std::string_view what) const {
  const int primary = rc & 0xff;
  std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  std::string msg = path_.string() + ": " + std::string(what) + ": " + detail;
  switch (primary) {
    case SQLITE_NOTADB: corruption(path_.string() + ": not a SQLite database (" + detail + ")");
    case SQLITE_CORRUPT: corruption(path_.string() + ": database is corrupt (" + detail + ")");
    case SQLITE_CONSTRAINT: fail(ErrorCode::kFailedPrecondition, msg);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL: io_error(msg);
    default: fail(ErrorCode::kInternal, msg);
  }
}

void Database::exec(std::string_view sql) {
  std::string copy(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, copy.c_str(), nullptr, nullptr, &err);
  if (err != nullptr) sqlite3_free(err);
  if (rc != SQLITE_OK) raise(rc, "statement failed [" + sql_excerpt(copy) + "]");
}

Statement Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) raise(rc, "cannot prepare statement");
  return Statement(this, stmt);
}

int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = other.stmt_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) db_->raise(rc, "bind failed");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) db_->raise(rc, "bind failed");
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  const int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                                     SQLITE_UTF8);
  if (rc != SQLITE_OK) db_->raise(rc, "bind failed");
  return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::byte> value) {
  const int rc = sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_->raise(rc, "bind failed");
  return *this;
}

Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) db_->raise(rc, "bind failed");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const int reset_rc = sqlite3_reset(stmt_);
  (void)reset_rc;
  db_->raise(rc, "statement failed [" + sql_excerpt(sqlite3_sql(stmt_)) + "]");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }
bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
int64_t Statement::column_int64(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::column_double(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Statement::column_text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}

std::vector<std::byte> Statement::column_blob(int col) const {
  const auto* p = static_cast<const std::byte*>(sqlite3_column_blob(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::vector<std::byte>() : std::vector<std::byte>(p, p + n);
}

std::optional<int64_t> Statement::column_optional_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return column_int64(col);
}

std::optional<double> Statement::column_optional_double(int col) const {
  if (is_null(col)) return std::nullopt;
  return column_double(col);
}

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
      // A failed rollback leaves SQLite to roll back when the connection closes.
    }
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace seedline::store
