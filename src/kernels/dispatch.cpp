#include "kernels/dispatch.hpp"

#include <atomic>
#include <cstdlib>
#include <mutex>

#include "util/error.hpp"

namespace seedline::kernels {
namespace {

// -1: not chosen yet; else a Path.
std::atomic<int> g_path{-1};
std::mutex g_choose;

std::string path_list(const std::vector<Path>& paths) {
  std::string out;
  for (const Path p : paths) out.append(out.empty() ? "" : ", ").append(path_name(p));
  return out;
}

}  // namespace

const char* path_name(Path path) {
  switch (path) {
    case Path::kPortable:
      return "portable";
    case Path::kAvx2:
      return "avx2";
    case Path::kAvx512:
      return "avx512";
  }
  return "?";
}

bool path_supported(Path path) {
  switch (path) {
    case Path::kPortable:
      return true;
    case Path::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Path::kAvx512:
      return __builtin_cpu_supports("avx512f");
  }
  return false;
}

std::vector<Path> supported_paths() {
  std::vector<Path> out;
  for (const Path p : {Path::kPortable, Path::kAvx2, Path::kAvx512}) {
    if (path_supported(p)) out.push_back(p);
  }
  return out;
}

Path best_path() { return supported_paths().back(); }

void check_environment() {
  const std::lock_guard lock(g_choose);
  const char* env = std::getenv("SEEDLINE_KERNELS");
  const std::string value = env == nullptr ? "" : env;
  Path chosen = best_path();
  if (!value.empty()) {
    bool known = false;
    for (const Path p : {Path::kPortable, Path::kAvx2, Path::kAvx512}) {
      if (value == path_name(p)) {
        known = true;
        chosen = p;
      }
    }
    if (!known) {
      invalid_argument("SEEDLINE_KERNELS: unknown kernel path '" + value +
                       "' (expected portable, avx2 or avx512; this CPU has " + path_list(supported_paths()) + ")");
    }
    if (!path_supported(chosen)) {
      invalid_argument("SEEDLINE_KERNELS: this CPU cannot run the '" + value + "' kernel path (it has " +
                       path_list(supported_paths()) + ")");
    }
  }
  g_path.store(static_cast<int>(chosen), std::memory_order_release);
}

Path active_path() {
  int p = g_path.load(std::memory_order_acquire);
  if (p < 0) {
    check_environment();
    p = g_path.load(std::memory_order_acquire);
  }
  return static_cast<Path>(p);
}

void set_path(Path path) {
  if (!path_supported(path)) {
    failed_precondition(std::string("kernel path '") + path_name(path) + "' is not supported by this CPU (it has " +
                        path_list(supported_paths()) + ")");
  }
  g_path.store(static_cast<int>(path), std::memory_order_release);
}

}  // namespace seedline::kernels
