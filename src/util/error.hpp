// seedline::Error — the one error type of the library.
//
// Every failure the library reports is an Error carrying a canonical code and a one-line
// message that names what went wrong (file, field, value). Library code throws; each
// executable boundary (cli/main.cpp, the HTTP handler) catches once and turns the code into
// an exit status or an HTTP status. Functions that throw leave nothing half-made behind
// (transactions roll back in their destructors, temporary files are removed).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace seedline {

enum class ErrorCode {
  kInvalidArgument,     // the caller's input is malformed (bad JSON field, bad id syntax)
  kNotFound,            // a named thing does not exist (unknown id, missing file)
  kAlreadyExists,       // creating something that is already there
  kFailedPrecondition,  // valid input, wrong state (schema too old, run not finished)
  kCorruption,          // stored data is damaged (bad checksum, not a SQLite file)
  kIOError,             // the OS or SQLite refused (permissions, disk full, locked)
  kUnimplemented,       // a known feature this binary lacks (unknown noise version)
  kInternal,            // a bug: an invariant of seedline itself did not hold
};

// Short lowercase name of a code, e.g. "not_found"; used in JSON error bodies.
std::string_view error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

[[noreturn]] inline void fail(ErrorCode code, const std::string& message) {
  throw Error(code, message);
}
[[noreturn]] inline void invalid_argument(const std::string& m) { fail(ErrorCode::kInvalidArgument, m); }
[[noreturn]] inline void not_found(const std::string& m) { fail(ErrorCode::kNotFound, m); }
[[noreturn]] inline void failed_precondition(const std::string& m) { fail(ErrorCode::kFailedPrecondition, m); }
[[noreturn]] inline void corruption(const std::string& m) { fail(ErrorCode::kCorruption, m); }
[[noreturn]] inline void io_error(const std::string& m) { fail(ErrorCode::kIOError, m); }

}  // namespace seedline
