// Helpers for the external-evaluator tests: the Python that has numpy, the test evaluators'
// command lines, and a /proc scan that finds every process a test started (each test puts
// its unique temporary directory on its evaluators' command lines).
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"

namespace seedline::evaluator::testing {

// Debian's python3 has numpy (python3-numpy); a python3 earlier in PATH (pyenv) may not.
inline std::string python() {
  return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

inline std::string fault_script() {
  return (seedline::testing::source_dir() / "tests" / "evaluator" / "fault_evaluator.py").string();
}

inline std::vector<std::string> fault_command(const std::string& mode, const std::string& marker,
                                              const std::string& arg = "") {
  std::vector<std::string> c = {python(), fault_script(), mode, marker};
  if (!arg.empty()) c.push_back(arg);
  return c;
}

// Pids of live processes (not zombies) whose command line contains `marker`, except ours.
inline std::vector<int> processes_with(const std::string& marker) {
  std::vector<int> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int pid = std::stoi(name);
    if (pid == ::getpid()) continue;
    std::ifstream cmdline(entry.path() / "cmdline", std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    if (text.find(marker) == std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string stat_line;
    std::getline(stat, stat_line);
    const auto close = stat_line.rfind(')');
    if (close != std::string::npos && close + 2 < stat_line.size() && stat_line[close + 2] == 'Z') continue;
    out.push_back(pid);
  }
  return out;
}

// Waits up to `seconds` for every process carrying `marker` to be gone; returns the survivors.
inline std::vector<int> wait_until_gone(const std::string& marker, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    auto left = processes_with(marker);
    if (left.empty() || std::chrono::steady_clock::now() >= until) return left;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace seedline::evaluator::testing
