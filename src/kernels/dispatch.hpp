// The instruction path the kernels (versions 2 and 3) run on, picked at run time (docs/kernels.md):
//   portable  scalar C++ for baseline x86-64 (std::fma, a correctly rounded fused multiply-add)
//   avx2      AVX2 + FMA, 8 lanes
//   avx512    AVX-512F, 16 lanes
// Every path performs the same IEEE-754 operations on every output in the same order
// (vectorized across outputs, never across a reduction), so all three give the same bits; the
// path only changes the speed. By default the widest path the CPU runs is used; the
// environment variable SEEDLINE_KERNELS=portable|avx2|avx512 forces one for every command.
//
// Thread-safety: active_path() may be called from any thread. check_environment() is called
// once at start-up; set_path() (tests and benches) must not run while kernels run on other
// threads. Failure: check_environment() throws kInvalidArgument naming SEEDLINE_KERNELS, its
// value and the paths this CPU has (an unknown name, or a path this CPU cannot run);
// set_path() throws kFailedPrecondition for a path this CPU cannot run.
#pragma once

#include <string>
#include <vector>

namespace seedline::kernels {

enum class Path { kPortable, kAvx2, kAvx512 };

// "portable" | "avx2" | "avx512".
const char* path_name(Path path);
bool path_supported(Path path);
// The paths this CPU runs, narrowest first (portable is always there).
std::vector<Path> supported_paths();
// The widest path this CPU runs.
Path best_path();

// Reads SEEDLINE_KERNELS (unset or empty: best_path()) and makes it the active path; throws
// for a bad value. Called by the seedline command at start; active_path() calls it on first use.
void check_environment();
// The path the kernels use now.
Path active_path();
// Forces a path for the whole process (tests compare the paths' bits with it).
void set_path(Path path);

}  // namespace seedline::kernels
