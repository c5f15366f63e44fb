#include "util/output_path.hpp"

#include <unistd.h>

#include <atomic>
#include <string>

#include "util/error.hpp"

namespace seedline {

void check_output_path(const std::filesystem::path& path) {
  if (path.empty()) invalid_argument("output path is empty");
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);  // follows symlinks
  if (ec || status.type() == std::filesystem::file_type::not_found) return;  // a new file: fine
  const auto type = status.type();
  if (type == std::filesystem::file_type::regular) return;
  const char* what = type == std::filesystem::file_type::directory   ? "a directory"
                     : type == std::filesystem::file_type::character ? "a character device"
                     : type == std::filesystem::file_type::block     ? "a block device"
                     : type == std::filesystem::file_type::fifo      ? "a FIFO"
                     : type == std::filesystem::file_type::socket    ? "a socket"
                                                                     : "not a regular file";
  invalid_argument(path.string() + ": is " + std::string(what) +
                   "; output is written to a new file renamed into place, so give a file path");
}

std::filesystem::path temporary_sibling(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  const std::string name = ".seedline-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".tmp";
  return target.parent_path() / name;
}

}  // namespace seedline
