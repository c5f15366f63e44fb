#include "evaluator/shared_weights.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "util/error.hpp"

namespace seedline::evaluator {
namespace {

[[noreturn]] void os_error(const std::string& call) {
  io_error("evaluator weights: " + call + " failed: " + std::strerror(errno));
}

}  // namespace

SharedWeights::SharedWeights(size_t bytes) : bytes_(bytes) {
  fd_ = ::memfd_create("seedline-weights", MFD_CLOEXEC);
  if (fd_ < 0) os_error("memfd_create");
  // A zero-byte mapping is invalid; a network always has parameters, but keep one page anyway.
  const size_t mapped = bytes_ == 0 ? 1 : bytes_;
  if (::ftruncate(fd_, static_cast<off_t>(mapped)) != 0) {
    const int saved = errno;
    ::close(fd_);
    errno = saved;
    os_error("ftruncate to " + std::to_string(mapped) + " bytes");
  }
  map_ = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (map_ == MAP_FAILED) {
    const int saved = errno;
    ::close(fd_);
    errno = saved;
    os_error("mmap of " + std::to_string(mapped) + " bytes");
  }
}

SharedWeights::~SharedWeights() {
  if (map_ != nullptr && map_ != MAP_FAILED) ::munmap(map_, bytes_ == 0 ? 1 : bytes_);
  if (fd_ >= 0) ::close(fd_);
}

void SharedWeights::write(std::span<const float> values) {
  const size_t n = values.size() * sizeof(float);
  if (n != bytes_) {
    invalid_argument("evaluator weights: " + std::to_string(n) + " bytes of weights for a region of " +
                     std::to_string(bytes_));
  }
  // float32 is little-endian on every platform seedline builds for (x86-64, aarch64).
  std::memcpy(map_, values.data(), n);
}

}  // namespace seedline::evaluator
