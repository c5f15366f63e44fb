// InputFile: files seedline reads from user input are regular files or refused by name
// (docs/guarantees.md, "Input files"). The audit's cases: /dev/zero as a token file was read
// without end (memory grew until killed) and a FIFO as a base file hung submission. Every
// open here runs in a forked child under alarm(), so a regression fails the test instead of
// hanging it.
#include "util/input_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline {
namespace {

using testing::TempDir;
using testing::write_file;

struct Outcome {
  bool hung = false;
  bool opened = false;
  std::string text;  // the bytes read when opened, else the error message
};

// Opens `path` (and reads it whole, if at most 1 MiB) in a child process that SIGALRM kills
// after 10 s.
Outcome open_in_child(const std::filesystem::path& path) {
  int fds[2];
  if (::pipe(fds) != 0) return {false, false, "pipe failed"};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    ::alarm(10);
    std::string out;
    int code = 0;
    try {
      auto f = InputFile::open(path, "test file");
      out = f.size() <= (1 << 20) ? f.read_all() : "size " + std::to_string(f.size());
      code = 0;
    } catch (const Error& e) {
      out = e.what();
      code = 3;
    }
    const ssize_t ignored = ::write(fds[1], out.data(), out.size());
    (void)ignored;
    ::_exit(code);
  }
  ::close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  Outcome o;
  o.hung = WIFSIGNALED(status);
  o.opened = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  o.text = text;
  return o;
}

TEST(InputFile, RegularFilesAreReadAndEverythingElseIsRefusedByNameWithoutBlocking) {
  TempDir dir;
  write_file(dir / "data.txt", "hello");
  std::filesystem::create_directory(dir / "a-dir");
  ASSERT_EQ(::mkfifo((dir / "a-fifo").c_str(), 0600), 0);
  std::filesystem::create_symlink(dir / "data.txt", dir / "link-to-file");
  std::filesystem::create_symlink(dir / "a-fifo", dir / "link-to-fifo");
  struct Case {
    std::filesystem::path path;
    const char* expected;  // the bytes read, or a substring of the refusal
    bool opens;
  };
  const std::vector<Case> cases = {
      {dir / "data.txt", "hello", true},
      {dir / "link-to-file", "hello", true},
      {dir / "a-fifo", ": is a FIFO (named pipe), not a test file", false},
      {dir / "link-to-fifo", ": is a FIFO (named pipe), not a test file", false},
      {dir / "a-dir", ": is a directory, not a test file", false},
      {"/dev/zero", "/dev/zero: is a character device, not a test file", false},
      {"/dev/full", "/dev/full: is a character device, not a test file", false},
      {"/dev/null", "/dev/null: is a character device, not a test file", false},
      {dir / "missing", ": no such test file", false},
      {dir / "data.txt" / "below-a-file", ": no such test file", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path.string());
    const Outcome o = open_in_child(c.path);
    ASSERT_FALSE(o.hung) << "opening it did not return within 10 s";
    EXPECT_EQ(o.opened, c.opens) << o.text;
    if (c.opens) {
      EXPECT_EQ(o.text, c.expected);
    } else {
      EXPECT_EQ(o.text.rfind(c.path.string() + ": ", 0), 0u) << "names the file first: " << o.text;
      EXPECT_NE(o.text.find(c.expected), std::string::npos) << o.text;
    }
  }
}

TEST(InputFile, TheSizeComesFromFstatNotFromReading) {
  TempDir dir;
  // A sparse 64 GiB file: reading it to learn its size would take minutes and the memory.
  const auto huge = dir / "huge.bin";
  { std::ofstream(huge.string()).put('x'); }
  std::filesystem::resize_file(huge, int64_t{64} << 30);
  const Outcome o = open_in_child(huge);
  ASSERT_FALSE(o.hung);
  EXPECT_TRUE(o.opened) << o.text;
  EXPECT_EQ(o.text, "size " + std::to_string(int64_t{64} << 30));
}

TEST(InputFile, AFileThatShrinksWhileBeingReadIsAnError) {
  TempDir dir;
  write_file(dir / "data.txt", std::string(1000, 'a'));
  auto f = InputFile::open(dir / "data.txt", "test file");
  EXPECT_EQ(f.size(), 1000);
  std::filesystem::resize_file(dir / "data.txt", 10);
  try {
    f.read_all();
    ADD_FAILURE() << "read a shrunk file without error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIOError);
    EXPECT_NE(std::string(e.what()).find("ended after 10 of its 1000 bytes"), std::string::npos) << e.what();
  }
}

TEST(InputFile, TheDisplayNameStartsEveryMessage) {
  TempDir dir;
  try {
    InputFile::open(dir.path(), "token file", "task.data: 'x'");
    ADD_FAILURE() << "opened a directory";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(std::string(e.what()).rfind("task.data: 'x': is a directory, not a token file", 0), 0u) << e.what();
  }
  try {
    InputFile::open(dir / "absent", "experiment file");
    ADD_FAILURE() << "opened a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_EQ(std::string(e.what()), (dir / "absent").string() + ": no such experiment file");
  }
}

}  // namespace
}  // namespace seedline
