#include "evaluator/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

#include "evaluator/protocol.hpp"
#include "util/error.hpp"
#include "util/input_file.hpp"
#include "util/utf8.hpp"

extern char** environ;

namespace seedline::evaluator {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void os_error(const std::string& call) {
  io_error("external evaluator: " + call + " failed: " + std::strerror(errno));
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// The child's environment: ours, with the protocol's variables replaced and the Python
// client's folder first on PYTHONPATH (so `import seedline_evaluator` works from anywhere).
std::vector<std::string> child_environment(int worker) {
  std::vector<std::string> env;
  bool unbuffered = false;
  std::optional<std::string> python_path;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string kv = *e;
    if (kv.rfind("SEEDLINE_EVALUATOR_FD=", 0) == 0 || kv.rfind("SEEDLINE_WEIGHTS_FD=", 0) == 0 ||
        kv.rfind("SEEDLINE_WORKER=", 0) == 0) {
      continue;
    }
    if (kv.rfind("PYTHONPATH=", 0) == 0) {
      python_path = kv.substr(11);
      continue;
    }
    if (kv.rfind("PYTHONUNBUFFERED=", 0) == 0) unbuffered = true;
    env.push_back(kv);
  }
  static const std::optional<std::string> client = python_client_dir();
  if (client) {
    env.push_back("PYTHONPATH=" + *client + (python_path && !python_path->empty() ? ":" + *python_path : ""));
  } else if (python_path) {
    env.push_back("PYTHONPATH=" + *python_path);
  }
  env.push_back("SEEDLINE_EVALUATOR_FD=3");
  env.push_back("SEEDLINE_WEIGHTS_FD=4");
  env.push_back("SEEDLINE_WORKER=" + std::to_string(worker));
  if (!unbuffered) env.push_back("PYTHONUNBUFFERED=1");
  return env;
}

}  // namespace

std::optional<std::string> python_client_dir() {
  namespace fs = std::filesystem;
  const auto holds_client = [](const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "seedline_evaluator.py", ec);
  };
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    // Installed: <prefix>/bin/seedline next to <prefix>/share/seedline/python.
    const fs::path installed = (exe.parent_path() / ".." / "share" / "seedline" / "python").lexically_normal();
    if (holds_client(installed)) return installed.string();
  }
#ifdef SEEDLINE_PYTHON_DIR
  // Built from a source tree: its python/ folder.
  if (holds_client(SEEDLINE_PYTHON_DIR)) return std::string(SEEDLINE_PYTHON_DIR);
#endif
  return std::nullopt;
}

namespace {

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// In the child between fork and execve: async-signal-safe calls only.
[[noreturn]] void exec_child(pid_t parent, int sock, int weights, int output, int devnull, char* const argv[],
                             char* const envp[]) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the parent died before the line above
  ::setpgid(0, 0);
  // Move the sources above the targets first, so no dup2 overwrites a source.
  const int s = ::fcntl(sock, F_DUPFD, 10), w = ::fcntl(weights, F_DUPFD, 10), o = ::fcntl(output, F_DUPFD, 10),
            n = ::fcntl(devnull, F_DUPFD, 10);
  if (s < 0 || w < 0 || o < 0 || n < 0) ::_exit(127);
  if (::dup2(n, 0) < 0 || ::dup2(o, 1) < 0 || ::dup2(o, 2) < 0 || ::dup2(s, 3) < 0 || ::dup2(w, 4) < 0) ::_exit(127);
  ::syscall(SYS_close_range, 5u, ~0u, 0u);  // nothing else leaks into the evaluator
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT}) ::signal(sig, SIG_DFL);
  ::execve(argv[0], argv, envp);
  static const char msg[] = "seedline: cannot execute the evaluator command: ";
  (void)!::write(2, msg, sizeof msg - 1);
  const char* why = ::strerror(errno);  // not async-signal-safe in theory; glibc's reads a table
  (void)!::write(2, why, ::strlen(why));
  (void)!::write(2, "\n", 1);
  ::_exit(127);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    return "was killed by signal " + std::to_string(sig) + (name != nullptr ? " (" + std::string(name) + ")" : "");
  }
  return "ended with wait status " + std::to_string(status);
}

}  // namespace

std::string resolve_program(const std::string& program) {
  if (program.empty()) not_found("external evaluator: the command's program name is empty");
  if (program.find('/') != std::string::npos) {
    if (::access(program.c_str(), X_OK) != 0) {
      not_found("external evaluator: '" + program + "' is not an executable file (" + std::strerror(errno) + ")");
    }
    // A directory passes access(X_OK); a FIFO or device cannot be executed.
    struct stat st {};
    if (::stat(program.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      invalid_argument("external evaluator: '" + program + "' is " + file_type_description(st.st_mode) +
                       ", not an executable file");
    }
    return program;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
    const std::string candidate = dir + "/" + program;
    std::error_code ec;
    if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate, ec)) return candidate;
    start = end + 1;
  }
  not_found("external evaluator: program '" + program + "' not found in PATH");
}

void EvaluatorProcess::start(const std::vector<std::string>& argv_in, int worker, int weights_fd,
                             Launcher& launcher) {
  kill();
  partial_line_ = Line{};
  tail_.clear();
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) os_error("socketpair");
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(pair[0]);
    ::close(pair[1]);
    os_error("pipe2");
  }
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::vector<std::string> argv = argv_in, env = child_environment(worker);
  auto c_argv = c_strings(argv), c_env = c_strings(env);
  const pid_t parent = ::getpid();
  pid_t pid = -1;
  int saved = 0;
  if (devnull >= 0) {
    launcher.run([&] {
      pid = ::fork();
      if (pid == 0) exec_child(parent, pair[1], weights_fd, out[1], devnull, c_argv.data(), c_env.data());
      saved = errno;
    });
  }
  ::close(pair[1]);
  ::close(out[1]);
  if (devnull >= 0) ::close(devnull);
  if (pid < 0) {
    ::close(pair[0]);
    ::close(out[0]);
    errno = saved;
    os_error(devnull < 0 ? "open /dev/null" : "fork");
  }
  ::setpgid(pid, pid);  // also here, so kill(-pid) works even before the child ran setpgid
  pid_ = pid;
  socket_ = pair[0];
  output_ = out[0];
  ::fcntl(socket_, F_SETFL, ::fcntl(socket_, F_GETFL) | O_NONBLOCK);
  ::fcntl(output_, F_SETFL, ::fcntl(output_, F_GETFL) | O_NONBLOCK);
}

bool EvaluatorProcess::send(const std::string& bytes, double seconds) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  size_t at = 0;
  while (at < bytes.size()) {
    const ssize_t n = ::send(socket_, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n > 0) {
      at += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{socket_, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 100)));
    drain_output();  // a child blocked on writing stderr must not deadlock us
  }
  return true;
}

void EvaluatorProcess::close_socket() { close_fd(socket_); }

bool EvaluatorProcess::receive(std::string& into) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(socket_, buffer, sizeof buffer, 0);
    if (n > 0) {
      into.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

void EvaluatorProcess::drain_output() {
  if (output_ < 0) return;
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(output_, buffer, sizeof buffer);
    if (n > 0) {
      add_output(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) close_fd(output_);
    return;
  }
}

void EvaluatorProcess::add_output(const char* data, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (data[i] == '\n') {
      tail_.push_back(std::move(partial_line_));
      partial_line_ = Line{};
      if (tail_.size() > kTailLines) tail_.pop_front();
    } else if (partial_line_.kept.size() < kMaxOutputLineBytes) {
      partial_line_.kept.push_back(data[i]);
    } else {
      ++partial_line_.dropped;
    }
  }
}

std::string EvaluatorProcess::output_tail() const {
  // The evaluator's bytes reach error messages and terminals: escaped and bounded.
  const auto render = [](const Line& line) {
    return sanitize_text(line.kept, kMaxOutputLineBytes, false, line.dropped) + "\n";
  };
  std::string out;
  for (const auto& line : tail_) out += render(line);
  if (!partial_line_.kept.empty()) out += render(partial_line_);
  return out;
}

std::string EvaluatorProcess::stop(double seconds) {
  if (pid_ <= 0) return "is not running";
  close_fd(socket_);  // end of file on fd 3: a well-behaved evaluator exits
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  bool exited = false;
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_) {
      exited = true;
      break;
    }
    if (Clock::now() >= deadline) break;
    pollfd p{output_, POLLIN, 0};
    ::poll(&p, output_ >= 0 ? 1 : 0, 10);
    drain_output();
  }
  // The group may hold the evaluator's own children (a shell wrapper, a simulator): they go too.
  ::kill(-pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  std::string how = describe_status(status);
  if (!exited && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) how = "was killed by seedline";
  // What it wrote just before dying; the pipe may stay open in a surviving grandchild, so
  // read only what is there.
  drain_output();
  close_fd(output_);
  pid_ = -1;
  return how;
}

}  // namespace seedline::evaluator
