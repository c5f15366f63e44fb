#include "kernels/version.hpp"

#include <string>

#include "util/error.hpp"

namespace seedline::kernels {

bool supports(int version) { return version >= 1 && version <= kNewestVersion; }

void require_supported(int version) {
  if (!supports(version)) {
    fail(ErrorCode::kUnimplemented, "kernel version " + std::to_string(version) +
                                        " is not known to this seedline (it knows 1.." +
                                        std::to_string(kNewestVersion) + ")");
  }
}

}  // namespace seedline::kernels
