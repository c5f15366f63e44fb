// The server under hostile clients (targets: RSS <= 64 MB and a legitimate client's p99 <=
// 100 ms while 200 slow or non-reading clients are connected), side by side with the same
// figures measured without them in the same run.
//
// A forked child writes the database (one finished run of a 1024x1024 sphere, so a genome
// download is 4 MiB) so that this process's memory is the server's alone. The server runs
// in-process on 127.0.0.1 with a token and its default limits. The legitimate client opens
// a fresh connection per request (GET /api/experiments/1 with the token) and times it from
// connect to the last byte. Scenarios, each for N requests:
//   quiet      nobody else
//   slow       200 connections from 127.0.0.2 that send half a header and nothing more,
//              reopened when the server closes them (the slowloris of the audit)
//   unread     200 connections from 127.0.0.2 that each request the 4 MiB genome and never
//              read (with the token: a client that may download, but does not read)
// Prints RSS (VmRSS of this process after the scenario) and p50/p99/max latency per scenario.
//
// Usage: http_hostile_bench [--requests N] [--clients C]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "http/server.hpp"
#include "runner/daemon.hpp"
#include "runner/submit.hpp"
#include "store/migrations.hpp"

namespace {

using namespace seedline;
using Clock = std::chrono::steady_clock;

constexpr const char* kToken = "bench-token";

double rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// Connects from `source` (an address on the loopback net): the hostile clients come from
// 127.0.0.2 so the server sees them as another client than the legitimate one (127.0.0.1).
int connect_to(uint16_t port, const char* source = "127.0.0.1") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

// One legitimate request on a fresh connection; returns {milliseconds, HTTP status}.
std::pair<double, int> legitimate_request(uint16_t port) {
  const auto t0 = Clock::now();
  const int fd = connect_to(port);
  if (fd < 0) return {0, 0};
  send_all(fd, std::string("GET /api/experiments/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") + kToken +
                   "\r\nConnection: close\r\n\r\n");
  std::string reply;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const int status = reply.size() >= 12 ? std::atoi(reply.substr(9, 3).c_str()) : 0;
  return {std::chrono::duration<double, std::milli>(Clock::now() - t0).count(), status};
}

// `count` connections that each send `request` and then never read or finish; reopened when
// the server closes one, until `stop`.
void hold_connections(uint16_t port, int count, const std::string& request, const std::atomic<bool>& stop) {
  std::vector<int> fds;
  for (int i = 0; i < count; ++i) {
    const int fd = connect_to(port, "127.0.0.2");
    if (fd >= 0) {
      send_all(fd, request);
      fds.push_back(fd);
    }
  }
  while (!stop) {
    for (int& fd : fds) {
      pollfd p{fd, POLLIN, 0};
      char probe[1];
      // A readable socket whose peek says end of stream: the server closed it.
      if (::poll(&p, 1, 0) > 0 && ::recv(fd, probe, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
        ::close(fd);
        fd = connect_to(port, "127.0.0.2");
        if (fd >= 0) send_all(fd, request);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
}

struct Figures {
  double rss = 0, p50 = 0, p99 = 0, max = 0;
  int ok = 0, refused = 0, requests = 0;
};

Figures measure(uint16_t port, int requests) {
  std::vector<double> ms;
  Figures f;
  f.requests = requests;
  for (int i = 0; i < requests; ++i) {
    const auto [t, status] = legitimate_request(port);
    if (status == 200) ++f.ok;
    if (status == 503) ++f.refused;
    ms.push_back(t);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::sort(ms.begin(), ms.end());
  f.p50 = ms[ms.size() / 2];
  f.p99 = ms[std::min(ms.size() - 1, static_cast<size_t>(0.99 * static_cast<double>(ms.size())))];
  f.max = ms.back();
  f.rss = rss_mb();
  return f;
}

void print(const char* name, const Figures& f) {
  std::printf("%-10s  RSS %6.1f MB   p50 %6.2f ms   p99 %6.2f ms   max %7.2f ms   200: %d/%d   503: %d\n", name, f.rss,
              f.p50, f.p99, f.max, f.ok, f.requests, f.refused);
}

// Writes the database in a child process, so its memory does not count as the server's.
void make_database(const std::filesystem::path& dir) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    try {
      std::ofstream(dir / "big.json") << R"({"name": "big", "seed": 1, "task": {"type": "sphere"},
        "network": [{"type": "dense", "in": 1024, "out": 1024}],
        "ga": {"population": 4, "elites": 1, "generations": 2, "stages": [{"evaluations": 1, "keep": 2}]}})";
      auto db = store::open_database(dir / "big.db", store::OpenPurpose::kCreate);
      runner::submit_file(db, dir / "big.json");
      runner::DaemonOptions options;
      options.once = true;
      std::atomic<bool> stop{false};
      runner::run_daemon(db, options, stop);
      ::_exit(0);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "http_hostile_bench: %s\n", e.what());
      ::_exit(1);
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "http_hostile_bench: could not build the database\n");
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 300, clients = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--requests") requests = std::max(10, std::atoi(argv[i + 1]));
    else if (a == "--clients") clients = std::max(1, std::atoi(argv[i + 1]));
  }
  const auto dir = std::filesystem::temp_directory_path() / ("seedline-hostile-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  make_database(dir);

  http::ServerOptions options;
  options.db_path = dir / "big.db";
  options.port = 0;
  options.token = kToken;
  options.web_files = {};
  http::Server server(options);
  std::thread serving([&] { server.run(); });
  const uint16_t port = server.port();
  std::printf("server: 2 threads, token, default limits (%d connections, %d per address, header %lld ms, "
              "downloads %zu MiB); %d requests per scenario, %d hostile clients\n",
              options.max_connections, options.max_connections_per_client,
              static_cast<long long>(options.header_timeout.count()), options.max_download_bytes >> 20, requests,
              clients);
  std::printf("RSS at start: %.1f MB\n", rss_mb());

  const Figures quiet = measure(port, requests);
  print("quiet", quiet);

  std::atomic<bool> stop{false};
  std::thread slow(hold_connections, port, clients, "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ", std::ref(stop));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const Figures slowed = measure(port, requests);
  stop = true;
  slow.join();
  print("slow", slowed);

  stop = false;
  const std::string genome = "GET /api/individuals/1/genome?format=npy HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                             std::string(kToken) + "\r\n\r\n";
  std::thread unread(hold_connections, port, clients, genome, std::ref(stop));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const Figures unread_figures = measure(port, requests);
  stop = true;
  unread.join();
  print("unread", unread_figures);

  std::printf("\ntargets: RSS <= 64 MB, p99 <= 100 ms with hostile clients connected\n");
  std::printf("slow:   RSS %.1f MB (%.2fx quiet), p99 %.2f ms (%.2fx quiet)\n", slowed.rss, slowed.rss / quiet.rss,
              slowed.p99, slowed.p99 / quiet.p99);
  std::printf("unread: RSS %.1f MB (%.2fx quiet), p99 %.2f ms (%.2fx quiet)\n", unread_figures.rss,
              unread_figures.rss / quiet.rss, unread_figures.p99, unread_figures.p99 / quiet.p99);
  server.stop();
  serving.join();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
