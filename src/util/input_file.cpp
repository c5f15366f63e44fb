#include "util/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "util/error.hpp"

namespace seedline {
namespace {

std::string with_article(std::string_view noun) {
  const bool vowel = !noun.empty() && std::string_view("aeiouAEIOU").find(noun.front()) != std::string_view::npos;
  return std::string(vowel ? "an " : "a ") + std::string(noun);
}

[[noreturn]] void refuse_type(const std::string& display, unsigned mode, std::string_view what) {
  invalid_argument(display + ": is " + file_type_description(mode) + ", not " + with_article(what) +
                   " (seedline reads only regular files)");
}

[[noreturn]] void open_failed(const std::string& display, int err, std::string_view what) {
  if (err == ENOENT || err == ENOTDIR) not_found(display + ": no such " + std::string(what));
  io_error(display + ": cannot read: " + std::strerror(err));
}

}  // namespace

std::string file_type_description(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO (named pipe)";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    case S_IFLNK: return "a symbolic link";
    default: return "not a regular file";
  }
}

InputFile InputFile::open(const std::filesystem::path& path, std::string_view what, std::string display) {
  if (path.empty()) invalid_argument("the " + std::string(what) + " path is empty");
  if (display.empty()) display = path.string();
  struct stat st {};
  // stat() first: opening a FIFO would block, and opening a device may have effects.
  if (::stat(path.c_str(), &st) != 0) open_failed(display, errno, what);
  if (!S_ISREG(st.st_mode)) refuse_type(display, st.st_mode, what);
  int fd = -1;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) open_failed(display, errno, what);
  InputFile file(fd, 0, std::move(display));
  // Again on the descriptor: the path may have been replaced since stat().
  if (::fstat(fd, &st) != 0) io_error(file.display_ + ": cannot read: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) refuse_type(file.display_, st.st_mode, what);
  file.size_ = static_cast<int64_t>(st.st_size);
  return file;
}

InputFile::InputFile(InputFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(other.size_), display_(std::move(other.display_)) {}

InputFile& InputFile::operator=(InputFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    display_ = std::move(other.display_);
  }
  return *this;
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

size_t InputFile::read_some(char* buffer, size_t n) {
  for (;;) {
    const ssize_t got = ::read(fd_, buffer, n);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) io_error(display_ + ": error reading: " + std::strerror(errno));
  }
}

std::string InputFile::read_all() {
  std::string bytes(static_cast<size_t>(size_), '\0');
  size_t at = 0;
  while (at < bytes.size()) {
    const size_t got = read_some(bytes.data() + at, bytes.size() - at);
    if (got == 0) {
      io_error(display_ + ": ended after " + std::to_string(at) + " of its " + std::to_string(size_) +
               " bytes (it changed while being read?)");
    }
    at += got;
  }
  return bytes;
}

}  // namespace seedline
