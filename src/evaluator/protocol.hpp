// The evaluator wire protocol, version 1 (docs/evaluator-protocol.md): frames and their
// payloads, as pure encode/decode functions.
//
// A frame is an 8-byte header, u32 type then u32 payload length (both little-endian), and
// the payload. seedline and an evaluator exchange frames over a socketpair the evaluator
// inherits as a file descriptor; the weights travel in shared memory, not in frames, so
// every frame is small (kMaxFrameBytes). HELLO and READY carry JSON; EVAL, RESULT and ERROR
// are fixed little-endian binary layouts a C or Julia client reads with plain structs.
//
// Thread-safety: pure functions and a FrameReader per connection (not shared).
// Failure: decoding throws ProtocolError naming what was wrong ("frame type 1701603686 is
// not a protocol 1 frame", "RESULT payload of 12 bytes, expected at least 28"); the caller
// treats the connection as broken.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seedline::evaluator {

inline constexpr uint32_t kProtocolVersion = 1;
// No frame is larger: a RESULT with many metrics or an ERROR with a traceback stays far below.
inline constexpr uint32_t kMaxFrameBytes = 1u << 20;
inline constexpr size_t kHeaderBytes = 8;

enum class FrameType : uint32_t {
  kHello = 1,   // seedline -> evaluator, once: JSON (protocol, worker, weights layout, network)
  kReady = 2,   // evaluator -> seedline, once: JSON (protocol, name, version)
  kEval = 3,    // seedline -> evaluator: one work item (binary, kEvalBytes)
  kResult = 4,  // evaluator -> seedline: reward, steps, metrics of one item (binary)
  kError = 5,   // evaluator -> seedline: the item failed; UTF-8 message (a traceback)
};

struct ProtocolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Frame {
  FrameType type = FrameType::kHello;
  std::string payload;
};

std::string encode_frame(FrameType type, std::string_view payload);

// Collects bytes as they arrive and cuts them into frames.
class FrameReader {
 public:
  void append(const char* data, size_t n) { buffer_.append(data, n); }
  // The next complete frame, or nullopt when more bytes are needed. Throws ProtocolError on
  // an unknown type or a length above kMaxFrameBytes (garbage on the socket).
  std::optional<Frame> next();
  size_t buffered() const { return buffer_.size(); }

 private:
  std::string buffer_;
};

// What seedline keeps of the evaluator's own text (docs/evaluator-protocol.md, "Text from
// the evaluator"): every string is passed through sanitize_text (util/utf8.hpp: invalid
// UTF-8, NUL and control characters shown as \xNN escapes) and cut to these sizes with
// "... (N bytes more)", so no evaluator can store or print more than this or steer a terminal.
inline constexpr size_t kMaxIdentityBytes = 200;    // READY "name" and "version"
inline constexpr uint32_t kMaxMetricNameBytes = 128;  // a RESULT metric name on the wire (more: a protocol error)
inline constexpr size_t kMaxErrorBytes = 16384;     // an ERROR message (a traceback keeps its line breaks)
inline constexpr size_t kMaxOutputLineBytes = 300;  // one line of the worker's stdout/stderr quoted in a message

// One work item: evaluate the weights now in shared memory for one episode.
struct EvalRequest {
  uint64_t item = 0;             // echoed in the reply
  uint64_t episode_seed = 0;     // the evaluator must derive all its randomness from this
  uint32_t member = 0;           // population index of the individual this generation
  uint32_t episode = 0;          // episode index within the stage
  uint64_t weights_serial = 0;   // changes exactly when seedline rewrote the shared weights
};
inline constexpr size_t kEvalBytes = 32;
std::string encode_eval(const EvalRequest& request);
EvalRequest decode_eval(std::string_view payload);

struct EvalResult {
  uint64_t item = 0;
  double reward = 0;
  int64_t steps = 0;
  std::vector<std::pair<std::string, double>> metrics;  // in the evaluator's order
};
// u64 item, f64 reward, i64 steps, u32 metric count, then per metric u32 name length, the
// UTF-8 name, f64 value. decode_result refuses (ProtocolError) more than 64 metrics, a name
// of 0 or more than kMaxMetricNameBytes bytes and a name that is not valid UTF-8; the names
// it returns have their control characters escaped (sanitize_text).
std::string encode_result(const EvalResult& result);
EvalResult decode_result(std::string_view payload);

// u64 item (all ones: not about an item), then the UTF-8 message. decode_error returns the
// message sanitized (sanitize_text, multi-line) and cut to kMaxErrorBytes, trailing blanks
// and line breaks removed.
inline constexpr uint64_t kNoItem = ~uint64_t{0};
std::string encode_error(uint64_t item, std::string_view message);
std::pair<uint64_t, std::string> decode_error(std::string_view payload);

// The first bytes of `bytes` with non-printable ones as \xNN, for messages about garbage.
std::string printable_prefix(std::string_view bytes);

}  // namespace seedline::evaluator
