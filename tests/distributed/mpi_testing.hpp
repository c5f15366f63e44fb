// Helpers for tests that start a real `mpirun --oversubscribe` (as root Open MPI needs the
// two OMPI_ALLOW_RUN_AS_ROOT variables): where mpirun is, the skip when it or seedline's MPI
// support is missing, and the argv of `mpirun -n RANKS seedline ARGS...`.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace seedline::distributed::testing {

inline const std::vector<std::string> kMpiEnv = {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"};

// The mpirun on PATH, or "" when there is none.
inline std::string find_mpirun() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  for (std::string d; std::getline(dirs, d, ':');) {
    if (!d.empty() && ::access((d + "/mpirun").c_str(), X_OK) == 0) return d + "/mpirun";
  }
  return "";
}

// `mpirun --oversubscribe -n RANKS seedline ARGS...`
inline std::vector<std::string> mpirun(int ranks, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {find_mpirun(), "--oversubscribe", "-n", std::to_string(ranks),
                                   seedline::testing::seedline_bin().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace seedline::distributed::testing

// Skips the test when mpirun or MPI support is missing.
#define REQUIRE_MPI()                                                                                              \
  do {                                                                                                             \
    if (seedline::distributed::testing::find_mpirun().empty()) {                                                   \
      GTEST_SKIP() << "mpirun is not installed (bash scripts/setup.sh installs openmpi-bin)";                      \
    }                                                                                                              \
    if (!SEEDLINE_TESTS_HAVE_MPI) GTEST_SKIP() << "seedline was built without MPI (-DSEEDLINE_MPI=OFF)";           \
  } while (0)
