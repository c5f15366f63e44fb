// Runs the `seedline` executable (or any program) as a child process, for CLI and
// multi-process tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace seedline::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the signal that ended it, 0 if it exited
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] searched in PATH) with `cwd` as working directory (empty: inherit),
// `extra_env` entries ("NAME=value") added, feeding `input` on stdin, and waits for it.
// `uid` >= 0 runs the child as that user and group id (needs root).
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = "",
                          const std::filesystem::path& cwd = {},
                          const std::vector<std::string>& extra_env = {}, int uid = -1);

// Runs SEEDLINE_BIN with `args`.
ProcessResult run_seedline(const std::vector<std::string>& args, const std::string& input = "",
                           const std::filesystem::path& cwd = {},
                           const std::vector<std::string>& extra_env = {});

// The path of the built seedline executable and of the source tree.
std::filesystem::path seedline_bin();
std::filesystem::path source_dir();

// Reads a whole file into a string (binary).
std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& contents);

}  // namespace seedline::testing
