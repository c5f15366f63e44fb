// run_job in a binary built without MPI (CMake: SEEDLINE_MPI=OFF): --mpi is refused.
#include "distributed/job.hpp"
#include "util/error.hpp"

namespace seedline::distributed {

bool mpi_built() { return false; }

bool run_job(const JobOptions&, const std::function<void(runner::Executor&)>&) {
  fail(ErrorCode::kUnimplemented,
       "--mpi: this seedline binary was built without MPI; install libopenmpi-dev and build with "
       "-DSEEDLINE_MPI=ON (bash scripts/setup.sh && bash scripts/build.sh; see docs/distributed.md)");
}

}  // namespace seedline::distributed
