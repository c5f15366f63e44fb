#include "distributed/mpi_transport.hpp"

#include <limits>

#include "util/error.hpp"

namespace seedline::distributed {

MpiSession::MpiSession() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized != 0) failed_precondition("MPI is already initialised in this process");
  int provided = MPI_THREAD_SINGLE;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
  if (provided < MPI_THREAD_SERIALIZED) {
    MPI_Finalize();
    failed_precondition("the MPI library does not support MPI_THREAD_SERIALIZED (got level " +
                        std::to_string(provided) + ")");
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() { MPI_Finalize(); }

void MpiSession::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();  // MPI_Abort does not return; this keeps [[noreturn]] honest
}

MpiTransport::MpiTransport() {
  MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

MpiTransport::~MpiTransport() {
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

void MpiTransport::raw_send(int dest, int tag, const Bytes& payload) {
  if (payload.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    invalid_argument("an MPI message of " + std::to_string(payload.size()) +
                     " bytes exceeds MPI's limit of 2^31-1 bytes per message");
  }
  if (dest < 0 || dest >= size_) invalid_argument("no rank " + std::to_string(dest) + " in a job of " + std::to_string(size_));
  // MPI_Send takes a non-const buffer in old MPI headers; it does not write to it.
  MPI_Send(const_cast<uint8_t*>(payload.data()), static_cast<int>(payload.size()), MPI_BYTE, dest, tag, comm_);
}

std::optional<Envelope> MpiTransport::raw_try_receive(int source) {
  int flag = 0;
  MPI_Status status;
  MPI_Iprobe(source == kAnySource ? MPI_ANY_SOURCE : source, MPI_ANY_TAG, comm_, &flag, &status);
  if (flag == 0) return std::nullopt;
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  Envelope e;
  e.source = status.MPI_SOURCE;
  e.payload.resize(static_cast<size_t>(count));
  // Receives exactly the probed message (same source and tag; messages of one pair keep order).
  MPI_Recv(e.payload.data(), count, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, comm_, MPI_STATUS_IGNORE);
  if (!is_message_kind(status.MPI_TAG)) {
    corruption("MPI message with unknown tag " + std::to_string(status.MPI_TAG) + " from rank " +
               std::to_string(status.MPI_SOURCE));
  }
  e.kind = static_cast<MessageKind>(status.MPI_TAG);
  return e;
}

}  // namespace seedline::distributed
