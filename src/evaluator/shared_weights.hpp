// SharedWeights: an anonymous shared-memory region (memfd_create) that seedline fills with
// one individual's phenotype and an evaluator process maps read-only through an inherited
// file descriptor, so weights cost one memcpy per item and no copy through a pipe.
//
// Layout (docs/evaluator-protocol.md): the phenotype's tensors back to back in architecture
// order, little-endian float32, row-major; tensor i starts at 4 x (sum of the sizes before
// it) bytes. The region never changes size.
//
// Thread-safety: none; one owner thread writes between items, while the evaluator is idle.
// Failure: the constructor throws seedline::Error(kIOError) naming the failing call (memfd_create,
// ftruncate, mmap); write() throws kInvalidArgument when the values do not fit.
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
  void write(std::span<const float> values);

 private:
  int fd_ = -1;
  void* map_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace seedline::evaluator
