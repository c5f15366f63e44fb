#include "store/read_only.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace seedline::store {
namespace {

std::filesystem::path directory_of(const std::filesystem::path& path) {
  auto dir = path.parent_path();
  return dir.empty() ? std::filesystem::path(".") : dir;
}

bool has_content(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return !ec && size > 0;
}

}  // namespace

std::string immutable_uri(const std::filesystem::path& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = "file:";
  for (unsigned char c : std::filesystem::absolute(path).string()) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '/' || c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 0xf];
    }
  }
  return uri + "?immutable=1";
}

std::string read_only_refusal(const std::filesystem::path& path) {
  return path.string() + ": cannot be read here: SQLite needs to create " + path.string() + "-shm, but directory " +
         directory_of(path).string() + " is not writable by this user, and " +
         (has_content(path.string() + "-wal")
              ? "the file has commits still in its -wal"
              : "its owner may still write the file (reading it as unchanging would be unsafe)") +
         "; copy the file (with any -wal) to a writable directory, or, if nothing writes it any more, make it "
         "read-only for everyone (chmod a-w " + path.string() + ")";
}

std::optional<std::string> immutable_reason(const std::filesystem::path& path) {
  const auto dir = directory_of(path);
  // Commits still in the WAL: an immutable reader would not see them.
  if (has_content(path.string() + "-wal")) return std::nullopt;
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0) return "its file system is mounted read-only";
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && (st.st_mode & 0222) == 0) {
    return "directory " + dir.string() + " is not writable by anyone";
  }
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 0222) == 0) return "the file is not writable by anyone";
  return std::nullopt;
}

bool can_create_shm(const std::filesystem::path& path) { return ::access(directory_of(path).c_str(), W_OK) == 0; }

bool opens_immutable(const std::filesystem::path& path) {
  return !can_create_shm(path) && immutable_reason(path).has_value();
}

}  // namespace seedline::store
