#include "evaluator/shared_weights.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "util/error.hpp"

// Older C libraries lack the newest seal (Linux 5.1); its value is part of the kernel ABI.
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

namespace seedline::evaluator {
namespace {

[[noreturn]] void os_error(const std::string& call) {
  io_error("evaluator weights: " + call + " failed: " + std::strerror(errno));
}

}  // namespace

SharedWeights::SharedWeights(size_t bytes) : bytes_(bytes) {
  fd_ = ::memfd_create("seedline-weights", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd_ < 0) os_error("memfd_create");
  auto fail = [this](const std::string& call) {
    const int saved = errno;
    if (map_ != nullptr && map_ != MAP_FAILED) ::munmap(map_, mapped_);
    map_ = nullptr;
    ::close(fd_);
    fd_ = -1;
    errno = saved;
    os_error(call);
  };
  // A zero-byte mapping is invalid; a network always has parameters, but keep one page anyway.
  mapped_ = bytes_ == 0 ? 1 : bytes_;
  if (::ftruncate(fd_, static_cast<off_t>(mapped_)) != 0) fail("ftruncate to " + std::to_string(mapped_) + " bytes");
  // The writable mapping must exist before F_SEAL_FUTURE_WRITE: it is the only one that may write.
  map_ = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (map_ == MAP_FAILED) fail("mmap of " + std::to_string(mapped_) + " bytes");
  const int size_seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
  if (::fcntl(fd_, F_ADD_SEALS, size_seals | F_SEAL_FUTURE_WRITE) == 0) {
    write_sealed_ = true;
  } else if (errno != EINVAL || ::fcntl(fd_, F_ADD_SEALS, size_seals) != 0) {
    fail("fcntl F_ADD_SEALS");
  }
}

SharedWeights::~SharedWeights() {
  if (map_ != nullptr && map_ != MAP_FAILED) ::munmap(map_, mapped_);
  if (fd_ >= 0) ::close(fd_);
}

void SharedWeights::write(std::span<const float> values) {
  const size_t n = values.size() * sizeof(float);
  if (n != bytes_) {
    invalid_argument("evaluator weights: " + std::to_string(n) + " bytes of weights for a region of " +
                     std::to_string(bytes_));
  }
  // The seals make a size change impossible; this check keeps a kernel or seal mistake an
  // error rather than a SIGBUS in the database's owner.
  struct stat st {};
  if (::fstat(fd_, &st) != 0) os_error("fstat");
  if (static_cast<size_t>(st.st_size) != mapped_) {
    io_error("evaluator weights: the shared region is " + std::to_string(st.st_size) + " bytes, not the " +
             std::to_string(mapped_) + " it was made with (changed by the evaluator?)");
  }
  // float32 is little-endian on every platform seedline builds for (x86-64, aarch64).
  std::memcpy(map_, values.data(), n);
}

}  // namespace seedline::evaluator
