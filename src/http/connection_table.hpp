// The open connections of the server, counted overall and per client address, and the rule
// for who gives way at a limit: the connection that has waited longest, at least
// `evict_after`, for a complete request header. Clients that hold connections without
// finishing a request (and so without showing a token) thus cannot keep clients that send
// whole requests from being served; only when nobody has waited that long is a newcomer
// refused. `Session` provides `int64_t waiting_since() const`: the steady-clock nanoseconds
// since which it has waited for a request header, 0 when it is not waiting.
//
// Thread-safety: none; the server guards a table with its own mutex. Sessions are held
// weakly, so an entry never keeps a connection alive. Failure: nothing throws but
// std::bad_alloc.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace seedline::http {

template <typename Session>
class ConnectionTable {
 public:
  ConnectionTable(int max_total, int max_per_client, std::chrono::nanoseconds evict_after)
      : max_total_(max_total), max_per_client_(max_per_client), evict_after_(evict_after) {}

  // Whether a new connection from `client` may be added now (then `evict`, when set, must be
  // closed to make room), or why not (the message of a 503).
  struct Admission {
    bool admitted = false;
    std::shared_ptr<Session> evict;
    std::string refusal;
  };
  Admission admit(const std::string& client, int64_t now_ns) const {
    Admission a;
    const auto it = per_client_.find(client);
    if (it != per_client_.end() && it->second >= max_per_client_) {
      a.evict = longest_waiting(&client, now_ns);
      if (!a.evict) {
        a.refusal = "too many open connections from " + client + " (limit " + std::to_string(max_per_client_) + ")";
      }
    } else if (entries_.size() >= static_cast<size_t>(max_total_)) {
      a.evict = longest_waiting(nullptr, now_ns);
      if (!a.evict) a.refusal = "too many open connections (limit " + std::to_string(max_total_) + ")";
    }
    a.admitted = a.refusal.empty();
    return a;
  }

  void add(const std::shared_ptr<Session>& session, const std::string& client) {
    entries_.emplace(session.get(), Entry{session, client});
    ++per_client_[client];
  }

  void remove(const Session* session) {
    const auto it = entries_.find(session);
    if (it == entries_.end()) return;
    if (const auto c = per_client_.find(it->second.client); c != per_client_.end() && --c->second <= 0) {
      per_client_.erase(c);
    }
    entries_.erase(it);
  }

  std::vector<std::shared_ptr<Session>> live() const {
    std::vector<std::shared_ptr<Session>> out;
    for (const auto& [ptr, entry] : entries_) {
      if (auto s = entry.session.lock()) out.push_back(std::move(s));
    }
    return out;
  }

 private:
  struct Entry {
    std::weak_ptr<Session> session;
    std::string client;
  };

  // The session from `client` (anyone when null) waiting longest, at least evict_after_.
  std::shared_ptr<Session> longest_waiting(const std::string* client, int64_t now_ns) const {
    const int64_t latest = now_ns - evict_after_.count();
    std::shared_ptr<Session> oldest;
    int64_t oldest_since = 0;
    for (const auto& [ptr, entry] : entries_) {
      if (client != nullptr && entry.client != *client) continue;
      const int64_t since = ptr->waiting_since();
      if (since == 0 || since > latest || (oldest && since >= oldest_since)) continue;
      if (auto s = entry.session.lock()) {
        oldest = std::move(s);
        oldest_since = since;
      }
    }
    return oldest;
  }

  int max_total_, max_per_client_;
  std::chrono::nanoseconds evict_after_;
  std::unordered_map<const Session*, Entry> entries_;
  std::unordered_map<std::string, int> per_client_;
};

}  // namespace seedline::http
