// EvaluatorProcess: one evaluator child process and the pipes seedline keeps to it.
//
// The child is started with fork + execve in its own process group and with
// PR_SET_PDEATHSIG(SIGKILL), so it dies when the thread that started it dies (with seedline,
// even on SIGKILL) and a Ctrl-C in the terminal reaches only seedline, which then stops its
// evaluators itself. It inherits exactly:
//   fd 0  /dev/null
//   fd 1, fd 2  one pipe that seedline drains; the last lines are kept for error messages
//   fd 3  its end of a socketpair: the protocol (docs/evaluator-protocol.md)
//   fd 4  the shared-memory weights region, to map read-only
// and the environment plus SEEDLINE_EVALUATOR_FD=3, SEEDLINE_WEIGHTS_FD=4, SEEDLINE_WORKER=i
// and PYTHONUNBUFFERED=1 (unless set), so a Python traceback arrives before the exit, and
// python_client_dir() prepended to PYTHONPATH, so `import seedline_evaluator` works from
// any folder without the user setting anything.
//
// Thread-safety: none; one thread at a time. The fork happens on the Launcher's thread (the
// death signal is tied to the forking thread, which must outlive the process).
// Failure: start() throws seedline::Error(kIOError) when the OS refuses (fork, pipe) and
// kNotFound when the program is not found; an exec failure is seen as an exit with status 127
// and the message on stderr. kill() never throws.
#pragma once

#include <sys/types.h>

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "evaluator/launcher.hpp"

namespace seedline::evaluator {

// argv[0] as execve needs it: a path containing '/' is used as is, otherwise it is looked
// up in PATH. Throws kNotFound naming the program.
std::string resolve_program(const std::string& program);

// The folder holding the Python client (seedline_evaluator.py): <prefix>/share/seedline/python
// beside an installed <prefix>/bin/seedline, else the python/ folder of the source tree this
// binary was built from; nullopt when neither holds it.
std::optional<std::string> python_client_dir();

class EvaluatorProcess {
 public:
  EvaluatorProcess() = default;
  ~EvaluatorProcess() { kill(); }
  EvaluatorProcess(const EvaluatorProcess&) = delete;
  EvaluatorProcess& operator=(const EvaluatorProcess&) = delete;

  // Starts `argv` (argv[0] already resolved) as worker `worker` with the weights region
  // `weights_fd`, forking on `launcher`'s thread.
  void start(const std::vector<std::string>& argv, int worker, int weights_fd, Launcher& launcher);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int socket() const { return socket_; }
  int output() const { return output_; }

  // Sends all of `bytes`, waiting at most `seconds`; false when the child stopped reading or
  // closed its end.
  bool send(const std::string& bytes, double seconds);
  // Closes seedline's end of the socket: a well-behaved evaluator sees end of file and exits.
  void close_socket();
  // Reads what the socket has; returns false at end of file (the child closed fd 3 or died).
  bool receive(std::string& into);
  // Reads what the child wrote to stdout/stderr into the line tail.
  void drain_output();
  // The last lines the child wrote to stdout/stderr (at most kTailLines), each sanitized and
  // cut to kMaxOutputLineBytes (protocol.hpp): control bytes and invalid UTF-8 as \xNN.
  std::string output_tail() const;

  // Waits up to `seconds` for the child to exit by itself (draining its output meanwhile),
  // then kills its whole process group with SIGKILL and reaps it. Returns how it ended,
  // e.g. "exited with status 3", "was killed by signal 11 (Segmentation fault)".
  std::string stop(double seconds);
  // stop(0): kill the group at once. Safe to call when not running.
  void kill() { if (running()) stop(0); }

  static constexpr size_t kTailLines = 12;

 private:
  void add_output(const char* data, size_t n);

  pid_t pid_ = -1;
  int socket_ = -1;
  int output_ = -1;
  struct Line {
    std::string kept;    // the first kMaxOutputLineBytes bytes
    size_t dropped = 0;  // bytes of the line after them
  };
  Line partial_line_;
  std::deque<Line> tail_;
};

}  // namespace seedline::evaluator
