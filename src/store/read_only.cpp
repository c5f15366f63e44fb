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

bool opens_immutable(const std::filesystem::path& path) {
  return ::access(directory_of(path).c_str(), W_OK) != 0 && immutable_reason(path).has_value();
}

}  // namespace seedline::store
