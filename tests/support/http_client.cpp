#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>
#include <stdexcept>
#include <thread>

#include "support/process.hpp"

namespace seedline::testing {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

}  // namespace

HttpConnection::HttpConnection(uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    throw std::runtime_error("connect to port " + std::to_string(port) + " failed: " + std::strerror(errno));
  }
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) close(fd_);
}

bool HttpConnection::send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool HttpConnection::fill() {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, 10000) <= 0) return false;
  char buf[65536];
  const ssize_t n = recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

HttpReply HttpConnection::read_reply(bool head) {
  HttpReply reply;
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return reply;
  }
  const std::string header = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  size_t line_end = header.find("\r\n");
  const std::string status_line = header.substr(0, line_end);
  if (status_line.size() >= 12) reply.status = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos) {
    const size_t start = line_end + 2;
    line_end = header.find("\r\n", start);
    const std::string line = header.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    reply.headers[lower(line.substr(0, colon))] = value;
  }
  const size_t length = head || !reply.headers.count("content-length") ? 0 : std::stoul(reply.headers["content-length"]);
  while (buffer_.size() < length) {
    if (!fill()) break;
  }
  reply.body = buffer_.substr(0, length);
  buffer_.erase(0, std::min(length, buffer_.size()));
  return reply;
}

bool HttpConnection::closed_by_peer(std::chrono::milliseconds wait) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
  char buf[4096];
  const ssize_t n = recv(fd_, buf, sizeof buf, 0);
  return n <= 0;
}

HttpReply HttpConnection::request(const std::string& target, const std::vector<std::string>& headers,
                                  const std::string& method) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  req += "\r\n";
  if (!send(req)) return {};
  return read_reply(method == "HEAD");
}

HttpReply http_get(uint16_t port, const std::string& target, const std::vector<std::string>& headers,
                   const std::string& method) {
  HttpConnection c(port);
  return c.request(target, headers, method);
}

ServeProcess::ServeProcess(const std::filesystem::path& db, const std::vector<std::string>& args,
                           const std::vector<std::string>& extra_env, int uid) {
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> argv{seedline_bin().string(), "--db", db.string(), "serve"};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    for (const auto& kv : extra_env) putenv(const_cast<char*>(kv.c_str()));
    if (uid >= 0 && (setgroups(0, nullptr) != 0 || setgid(static_cast<gid_t>(uid)) != 0 ||
                     setuid(static_cast<uid_t>(uid)) != 0)) {
      _exit(126);
    }
    std::vector<char*> cargs;
    for (const auto& a : argv) cargs.push_back(const_cast<char*>(a.c_str()));
    cargs.push_back(nullptr);
    execv(cargs[0], cargs.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  const std::regex url(R"(http://[0-9.]+:([0-9]+)/)");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    if (std::regex_search(out_, m, url)) {
      port_ = static_cast<uint16_t>(std::stoi(m[1]));
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      for (int i = 0; i < 20; ++i) read_available(10);
      return;
    }
    read_available(100);
  }
}

ServeProcess::~ServeProcess() {
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

void ServeProcess::read_available(int timeout_ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  if (poll(fds, 2, timeout_ms) <= 0) return;
  char buf[4096];
  for (auto& p : fds) {
    if (!(p.revents & (POLLIN | POLLHUP))) continue;
    const ssize_t n = read(p.fd, buf, sizeof buf);
    if (n > 0) (p.fd == out_fd_ ? out_ : err_).append(buf, static_cast<size_t>(n));
  }
}

int ServeProcess::wait_exit(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!exited_) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) return -1;
    read_available(50);
  }
  for (int i = 0; i < 20; ++i) read_available(10);
  return exit_code_;
}

int ServeProcess::stop(int signal, std::chrono::milliseconds wait) {
  if (exited_) return exit_code_;
  kill(pid_, signal);
  return wait_exit(wait);
}

}  // namespace seedline::testing
