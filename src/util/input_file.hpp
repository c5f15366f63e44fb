// InputFile: a file seedline reads because the user named it (an experiment file, a token
// file, a base-weights file, a tokenizer corpus or model), opened so that reading it can
// neither block nor grow without bound (docs/guarantees.md, "Input files").
//
// Only regular files are accepted. The path is checked with stat() before it is opened, so a
// FIFO is never opened (opening one for reading blocks until a writer appears) and a device
// (/dev/zero, /dev/full, a tape) is never touched; it is then opened with O_NONBLOCK and
// checked again with fstat(), so a file swapped for a FIFO in between is refused as well
// instead of hanging. The size is the one fstat() gives at open: callers compare it with
// their limits before reading anything, never by reading to EOF.
//
// Thread-safety: an InputFile is used by one thread at a time; different objects are
// independent. Failure (seedline::Error, the message starting with the display name):
// kNotFound (no such file), kInvalidArgument (not a regular file: names what it is),
// kIOError (permission denied, read errors, a file that shrank while being read).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace seedline {

class InputFile {
 public:
  // Opens `path`. `what` is the kind of file without an article ("token file",
  // "experiment file"), used in messages: "PATH: is a FIFO (named pipe), not a token file".
  // `display` replaces the path at the start of messages (default: the path as given).
  static InputFile open(const std::filesystem::path& path, std::string_view what, std::string display = {});

  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  // The size fstat() reported when the file was opened.
  int64_t size() const { return size_; }
  // What messages start with (the display name, or the path).
  const std::string& display() const { return display_; }

  // Reads up to `n` bytes; returns 0 at end of file.
  size_t read_some(char* buffer, size_t n);
  // The whole file: exactly size() bytes. A caller checks size() against its limit first.
  // kIOError when the file ends early (it shrank while being read).
  std::string read_all();

 private:
  InputFile(int fd, int64_t size, std::string display) : fd_(fd), size_(size), display_(std::move(display)) {}

  int fd_ = -1;
  int64_t size_ = 0;
  std::string display_;
};

// What a file type is called in messages ("a directory", "a FIFO (named pipe)", "a
// character device", ...), from a stat() st_mode.
std::string file_type_description(unsigned mode);

}  // namespace seedline
