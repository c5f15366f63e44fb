// A small blocking HTTP/1.1 client over raw sockets for server tests (raw so tests can also
// send malformed and oversized requests), and `seedline serve` as a child process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace seedline::testing {

struct HttpReply {
  int status = 0;                              // 0: no response (connection closed or timed out)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// One connection to 127.0.0.1:port; every read waits at most 10 s.
class HttpConnection {
 public:
  explicit HttpConnection(uint16_t port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Writes bytes as they are; false if the peer has closed.
  bool send(const std::string& bytes);
  // Reads one response (body by Content-Length; none for a HEAD).
  HttpReply read_reply(bool head = false);
  // True when the server closed the connection (a read returns end of stream) within `wait`.
  bool closed_by_peer(std::chrono::milliseconds wait = std::chrono::milliseconds(3000));
  // A GET (or `method`) with the given extra header lines, keeping the connection open.
  HttpReply request(const std::string& target, const std::vector<std::string>& headers = {},
                    const std::string& method = "GET");

 private:
  bool fill();  // reads more into buffer_; false on end of stream, error or timeout
  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection.
HttpReply http_get(uint16_t port, const std::string& target, const std::vector<std::string>& headers = {},
                   const std::string& method = "GET");

// `seedline [--db DB] serve ARGS` as a child; the constructor waits for its URL line.
class ServeProcess {
 public:
  // `uid` >= 0 runs the child as that user and group id (needs root).
  ServeProcess(const std::filesystem::path& db, const std::vector<std::string>& args,
               const std::vector<std::string>& extra_env = {}, int uid = -1);
  ~ServeProcess();  // SIGKILLs the child if it still runs
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  uint16_t port() const { return port_; }  // 0 when no URL line appeared
  const std::string& output() const { return out_; }
  // Sends `signal` and waits up to `wait` for the exit; returns the exit code, or -1 when it
  // did not exit in time or died by a signal. Collects the rest of the output.
  int stop(int signal, std::chrono::milliseconds wait = std::chrono::milliseconds(10000));
  // Waits for the child to exit on its own (e.g. it refused to start).
  int wait_exit(std::chrono::milliseconds wait = std::chrono::milliseconds(10000));
  const std::string& errors() const { return err_; }

 private:
  void read_available(int timeout_ms);
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  uint16_t port_ = 0;
  std::string out_, err_;
  bool exited_ = false;
  int exit_code_ = -1;
};

}  // namespace seedline::testing
