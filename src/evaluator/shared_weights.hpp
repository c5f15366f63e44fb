// SharedWeights: an anonymous shared-memory region (memfd_create) that seedline fills with
// one individual's phenotype and an evaluator process maps read-only through an inherited
// file descriptor, so weights cost one memcpy per item and no copy through a pipe.
//
// Layout (docs/evaluator-protocol.md): the phenotype's tensors back to back in architecture
// order, little-endian float32, row-major; tensor i starts at 4 x (sum of the sizes before
// it) bytes. The region never changes size.
//
// The evaluator boundary (docs/guarantees.md): an evaluator is user code and may be buggy or
// hostile, so the region is sealed right after it is made: F_SEAL_SHRINK and F_SEAL_GROW (no
// one, seedline included, can change its size, so seedline's own mapping can never fault with
// SIGBUS however the evaluator treats its descriptor), F_SEAL_FUTURE_WRITE (only the mapping
// seedline made before sealing can write; the evaluator's write(), ftruncate() and writable
// shared mmap() fail with EPERM, even through a reopened /proc/self/fd path) and F_SEAL_SEAL
// (the seals cannot be removed). A kernel without F_SEAL_FUTURE_WRITE (before Linux 5.1) still
// gets the size seals, which are what keeps seedline safe; the evaluator could then scribble
// over its own input, which only spoils its own item. write() checks the region's size before
// every copy all the same and throws instead of faulting.
//
// Thread-safety: none; one owner thread writes between items, while the evaluator is idle.
// Failure: the constructor throws seedline::Error(kIOError) naming the failing call (memfd_create,
// ftruncate, mmap, fcntl F_ADD_SEALS); write() throws kInvalidArgument when the values do not
// fit and kIOError when the region is no longer the size it was made with.
#pragma once

#include <cstddef>
#include <span>

namespace seedline::evaluator {

class SharedWeights {
 public:
  explicit SharedWeights(size_t bytes);
  ~SharedWeights();
  SharedWeights(const SharedWeights&) = delete;
  SharedWeights& operator=(const SharedWeights&) = delete;

  int fd() const { return fd_; }      // close-on-exec; a child gets it by dup2
  size_t bytes() const { return bytes_; }
  // True when the kernel took F_SEAL_FUTURE_WRITE (others cannot write at all), false when
  // only the size seals hold.
  bool write_sealed() const { return write_sealed_; }
  void write(std::span<const float> values);

 private:
  int fd_ = -1;
  void* map_ = nullptr;
  size_t bytes_ = 0;
  size_t mapped_ = 0;
  bool write_sealed_ = false;
};

}  // namespace seedline::evaluator
