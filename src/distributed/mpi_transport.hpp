// The Transport over MPI (Open MPI), and the MPI library's lifetime in a process.
//
// Only compiled when seedline is built with MPI (CMake option SEEDLINE_MPI); the rest of
// seedline reaches it through distributed/mpi_job.hpp, which also exists without MPI.
// MpiSession initialises MPI with MPI_THREAD_SERIALIZED (one thread at a time calls MPI:
// rank 0's run driver calls the executor from a helper thread while its own thread
// heartbeats, never both into MPI) and finalizes it; MpiTransport sends each message as one MPI_Send of
// bytes on a private duplicate of MPI_COMM_WORLD, tag = MessageKind, and receives with
// MPI_Iprobe + MPI_Recv.
//
// Thread-safety: calls never overlap (one thread at a time per process).
// Failure: MpiSession throws kFailedPrecondition when MPI cannot give SERIALIZED support or is
// already initialised; MPI errors end the job (MPI_ERRORS_ARE_FATAL, Open MPI's default), so
// a dead rank never leaves the others waiting. A payload over 2^31-1 bytes is refused
// (kInvalidArgument) before anything is sent. MpiSession::abort ends every rank of the job.
#pragma once

#include <mpi.h>

#include "distributed/transport.hpp"

namespace seedline::distributed {

class MpiSession {
 public:
  MpiSession();
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Ends the whole job with `code` (MPI_Abort on MPI_COMM_WORLD).
  [[noreturn]] static void abort(int code);

 private:
  int rank_ = 0, size_ = 1;
};

class MpiTransport : public Transport {
 public:
  MpiTransport();  // on a duplicate of MPI_COMM_WORLD; needs a live MpiSession
  ~MpiTransport() override;
  MpiTransport(const MpiTransport&) = delete;
  MpiTransport& operator=(const MpiTransport&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  MPI_Comm comm() const { return comm_; }

 protected:
  void raw_send(int dest, int tag, const Bytes& payload) override;
  std::optional<Envelope> raw_try_receive(int source) override;

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
};

}  // namespace seedline::distributed
