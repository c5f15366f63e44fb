// The HTTP server of `seedline serve`: a Boost.Beast listener that accepts connections and
// one session per connection, served by a pool of worker threads that each hold their own
// read-only database connection (WAL lets them read while a daemon writes).
//
// Bounded by design: the request header and body sizes (431 and 413), the time to receive a
// request header (header_timeout, much shorter than the time to read a body or write a
// response), the number of open connections, overall and per client address, and the bytes
// of genome downloads in flight (503 beyond them). A connection that is still waiting for a
// complete request header after kEvictAfter (1 s) is closed to make room for a new one when
// a limit is reached, oldest first, so clients that hold connections without finishing a
// request (and so without showing a token) cannot starve the ones that do. A host
// that is not a loopback address is refused unless a token is set; with a token every /api
// request must carry `Authorization: Bearer TOKEN`. stop() is graceful: the listener stops
// accepting, idle connections are closed, requests in flight are answered, then run()
// returns.
//
// Thread-safety: stop(), port() and url() may be called from any thread while run() serves.
// Failure: the constructor throws Error: kInvalidArgument (bad host, missing token, bad
// limits), kNotFound / kCorruption / kFailedPrecondition (the database, see
// store::open_database), kIOError (the address cannot be bound).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/static_files.hpp"

namespace seedline::http {

struct ServerOptions {
  std::filesystem::path db_path;
  std::string host = "127.0.0.1";  // an IP address or "localhost"
  uint16_t port = 8080;            // 0: any free port (see Server::port())
  std::string token;               // empty: no token (allowed on loopback hosts only)
  int threads = 2;                 // worker threads, each with its own database connection
  size_t max_body_bytes = 64 * 1024;
  size_t max_header_bytes = 16 * 1024;
  std::chrono::milliseconds timeout{30'000};  // to read one request, and to write one response
  // To receive a complete request header, counted from when the server starts waiting for it
  // (a new connection, or the end of the previous response). Default: 10 s.
  std::chrono::milliseconds header_timeout{10'000};
  int max_connections = 256;
  // Open connections from one client address. Default: 64.
  int max_connections_per_client = 64;
  // Bytes of genome downloads in flight (identical ones share their bytes). Default: 32 MiB.
  size_t max_download_bytes = size_t{32} << 20;
  bool stop_on_signals = false;    // SIGINT/SIGTERM call stop() (seedline serve sets it)
  std::span<const EmbeddedFile> web_files = embedded_web_files();
  size_t genome_cache_bytes = size_t{64} << 20;
};

// What is wrong with a token, if anything: clients send it as "Authorization: Bearer TOKEN",
// whose surrounding spaces are not part of it, so a token that is empty after trimming, has
// surrounding spaces or holds a character other than printable ASCII could never match.
std::optional<std::string> token_problem(std::string_view token);

// True for "localhost", 127.0.0.0/8, ::1 and IPv4-mapped loopback; throws kInvalidArgument for
// a host that is neither an IP address nor "localhost".
bool is_loopback_host(std::string_view host);

class Server {
 public:
  // Validates the options, checks the database by opening it read-only, and binds the port.
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port (the chosen one when options.port was 0).
  uint16_t port() const;
  // e.g. "http://127.0.0.1:8080/".
  std::string url() const;
  // Serves on options.threads threads until stop(); returns when every connection is closed.
  void run();
  // Begins a graceful stop; idempotent.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace seedline::http
