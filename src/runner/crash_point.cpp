#include "runner/crash_point.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace seedline::runner {
namespace {

struct Target {
  bool armed = false;
  CrashPoint point = CrashPoint::kCommit;
  int generation = -1;
};

Target parse_target() {
  Target t;
  const char* env = std::getenv("SEEDLINE_CRASH_AT");
  if (env == nullptr || *env == '\0') return t;
  const std::string value = env;
  const auto colon = value.find(':');
  const std::string name = value.substr(0, colon);
  try {
    if (colon == std::string::npos) throw std::invalid_argument("no generation");
    size_t used = 0;
    t.generation = std::stoi(value.substr(colon + 1), &used);
    if (used != value.size() - colon - 1 || t.generation < 0) throw std::invalid_argument("bad generation");
    if (name == "evaluate") t.point = CrashPoint::kEvaluate;
    else if (name == "commit") t.point = CrashPoint::kCommit;
    else if (name == "committed") t.point = CrashPoint::kCommitted;
    else throw std::invalid_argument("bad point");
    t.armed = true;
  } catch (const std::exception&) {
    std::cerr << "seedline: warning: ignoring SEEDLINE_CRASH_AT='" << value
              << "' (expected evaluate:G, commit:G or committed:G)\n";
  }
  return t;
}

}  // namespace

void maybe_crash(CrashPoint point, int generation) {
  static const Target target = parse_target();
  if (!target.armed || target.point != point || target.generation != generation) return;
  ::kill(::getpid(), SIGKILL);
  ::pause();  // SIGKILL is delivered before kill() returns for the calling process; belt and braces.
}

}  // namespace seedline::runner
