#include "distributed/dealer.hpp"

#include <algorithm>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>

#include "runner/work.hpp"
#include "util/error.hpp"

namespace seedline::distributed {
namespace {

std::string rank_label(const WorkerInfo& w) { return "rank " + std::to_string(w.rank) + " (" + w.host + ")"; }

// The items of one evaluate() call that rank 0's helper thread and the dealing loop share.
struct SharedCursor {
  std::mutex mu;
  size_t next = 0;                 // guarded by mu: the first item not yet handed out
  bool stop = false;               // guarded by mu: hand out nothing more
  size_t local_done = 0;           // guarded by mu
  std::exception_ptr local_error;  // guarded by mu: what the local evaluation threw

  // About `max` consecutive items, extended to the end of the last one's member, as
  // [begin, begin + count).
  std::pair<size_t, size_t> take(size_t max, std::span<const WorkItem> items) {
    std::lock_guard lock(mu);
    const size_t n = items.size();
    if (stop || next >= n) return {next, 0};
    size_t end = next + std::min(std::max<size_t>(max, 1), n - next);
    while (end < n && items[end].member == items[end - 1].member) ++end;
    const size_t begin = next;
    next = end;
    return {begin, end - begin};
  }
  void halt() {
    std::lock_guard lock(mu);
    stop = true;
  }
};

// Runs rank 0's own share on a helper thread, one chunk at a time.
std::future<void> start_local(const LocalEvaluation& local, size_t chunk, std::span<const WorkItem> items,
                              std::vector<ItemResult>& results, SharedCursor& cursor) {
  return std::async(std::launch::async, [&local, chunk, items, &results, &cursor] {
    for (;;) {
      const auto [begin, count] = cursor.take(chunk, items);
      if (count == 0) return;
      try {
        local.evaluate(items.subspan(begin, count), std::span(results).subspan(begin, count));
        for (size_t i = begin; i < begin + count; ++i) results[i].index = static_cast<uint32_t>(i);
      } catch (...) {
        std::lock_guard lock(cursor.mu);
        cursor.local_error = std::current_exception();
        cursor.stop = true;
        return;
      }
      std::lock_guard lock(cursor.mu);
      cursor.local_done += count;
    }
  });
}

}  // namespace

Dealer::Dealer(Transport& transport, DealerOptions options) : transport_(transport), options_(options) {
  const int n = transport_.size();
  const auto hello = encode(Hello{kWireVersion, SEEDLINE_VERSION});
  for (int r = 1; r < n; ++r) transport_.send(r, MessageKind::kHello, hello);
  workers_.resize(static_cast<size_t>(std::max(0, n - 1)));
  // Every reply is read before any is judged, so a refused job leaves no message unread.
  std::vector<HelloReply> replies(workers_.size());
  for (int received = 0; received < n - 1; ++received) {
    auto e = transport_.receive(kAnySource, options_.max_pause_us);
    if (e.kind != MessageKind::kHelloReply) {
      corruption("rank " + std::to_string(e.source) + " sent '" + std::string(kind_name(e.kind)) +
                 "' before its hello reply");
    }
    replies.at(static_cast<size_t>(e.source - 1)) = decode_hello_reply(e.payload);
    auto& w = workers_[static_cast<size_t>(e.source - 1)];
    w.rank = e.source;
    w.threads = static_cast<int>(std::clamp<uint32_t>(replies[static_cast<size_t>(e.source - 1)].threads, 1, 1u << 16));
    w.host = replies[static_cast<size_t>(e.source - 1)].host;
  }
  for (size_t k = 0; k < replies.size(); ++k) {
    const auto& reply = replies[k];
    if (reply.wire_version != kWireVersion || reply.seedline_version != SEEDLINE_VERSION) {
      failed_precondition("rank " + std::to_string(k + 1) + " (" + reply.host + ") runs seedline " +
                          reply.seedline_version + " with wire version " + std::to_string(reply.wire_version) +
                          ", rank 0 runs seedline " + SEEDLINE_VERSION + " with wire version " +
                          std::to_string(kWireVersion) + ": every rank must run the same seedline");
    }
  }
}

void Dealer::broadcast(MessageKind kind, const Bytes& payload) {
  for (const auto& w : workers_) transport_.send(w.rank, kind, payload);
}

void Dealer::start_run(const RunStart& start, std::span<const Genotype> parents, const EsState* es_state) {
  RunStart s = start;
  s.parents = static_cast<uint32_t>(parents.size());
  broadcast(MessageKind::kRunStart, encode(s));
  for (const auto& g : parents) broadcast(MessageKind::kGenotype, encode(g));
  if (es_state != nullptr) broadcast(MessageKind::kEsState, encode(*es_state));
}

void Dealer::select(const Selection& selection) { broadcast(MessageKind::kSelection, encode(selection)); }

void Dealer::update_center(const CenterUpdate& update) { broadcast(MessageKind::kCenterUpdate, encode(update)); }

void Dealer::end_run(int64_t run_id) { broadcast(MessageKind::kRunEnd, encode(RunEnd{run_id})); }

void Dealer::shutdown() { broadcast(MessageKind::kShutdown, {}); }

// One evaluate() call: who holds which item, what came back, and why it stopped early.
class Dealer::Stage {
 public:
  Stage(Dealer& dealer, std::span<const WorkItem> items, const LocalEvaluation* local)
      : d_(dealer), items_(items), use_local_(local != nullptr && local->evaluate), results_(items.size()),
        owner_(items.size(), -1), outstanding_(dealer.workers_.size(), 0) {
    if (d_.workers_.empty() && !use_local_) {
      fail(ErrorCode::kInternal, "a dealer with no workers and no local threads cannot evaluate");
    }
    total_threads_ = use_local_ ? std::max(1, local->threads) : 0;
    for (const auto& w : d_.workers_) total_threads_ += w.threads;
    d_.halted_ = false;
    deal();  // each worker's first two batches go out before rank 0's own threads take items
    if (use_local_) local_ = start_local(*local, batch_size(std::max(1, local->threads)), items_, results_, cursor_);
  }

  // Leaving early (an exception from collect): rank 0's helper thread stops after its chunk.
  ~Stage() { cursor_.halt(); }
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;

  void halt() {
    d_.halted_ = true;
    cursor_.halt();
  }

  // A batch is half a rank's credit, but no more than half its share of the stage by
  // threads, so a small stage still spreads over every rank.
  size_t batch_size(int threads) const {
    const size_t half_credit = static_cast<size_t>(std::max(1, d_.options_.items_per_thread * threads / 2));
    const size_t half_share = items_.size() * static_cast<size_t>(threads) / (2 * static_cast<size_t>(total_threads_));
    return std::clamp<size_t>(half_share, 1, half_credit);
  }

  // Tops every worker up to two batches; true if anything was sent.
  bool deal() {
    bool dealt = false;
    for (size_t w = 0; w < d_.workers_.size(); ++w) {
      const size_t size = batch_size(d_.workers_[w].threads);
      while (static_cast<size_t>(outstanding_[w]) < 2 * size) {
        const auto [begin, count] = cursor_.take(size, items_);
        if (count == 0) break;
        WorkBatch batch;
        batch.items.assign(items_.begin() + static_cast<ptrdiff_t>(begin),
                           items_.begin() + static_cast<ptrdiff_t>(begin + count));
        for (size_t k = 0; k < count; ++k) {
          batch.items[k].index = static_cast<uint32_t>(begin + k);
          owner_[begin + k] = static_cast<int>(w);
        }
        d_.transport_.send(d_.workers_[w].rank, MessageKind::kWork, encode(batch));
        outstanding_[w] += static_cast<int>(count);
        dealt = true;
      }
    }
    return dealt;
  }

  // Takes in every message that has arrived; true if there was one.
  bool collect() {
    bool any = false;
    while (auto e = d_.transport_.try_receive()) {
      any = true;
      const int w = e->source - 1;
      if (w < 0 || w >= static_cast<int>(d_.workers_.size())) {
        fail(ErrorCode::kInternal, "a message from rank " + std::to_string(e->source));
      }
      if (e->kind == MessageKind::kResults) {
        for (auto& r : decode_results(e->payload).results) {
          take_back(w, r.index);
          results_[r.index] = std::move(r);
          ++remote_done_;
        }
      } else if (e->kind == MessageKind::kFailure) {
        const auto f = decode_failure(e->payload);
        for (uint32_t index : f.indices) take_back(w, index);
        if (!failure_) {
          const auto code = f.code <= static_cast<uint8_t>(ErrorCode::kInternal) ? static_cast<ErrorCode>(f.code)
                                                                                 : ErrorCode::kInternal;
          failure_ = Error(code, f.message + " (on " + rank_label(d_.workers_[static_cast<size_t>(w)]) + ")");
        }
        halt();
      } else {
        corruption("rank " + std::to_string(e->source) + " sent '" + std::string(kind_name(e->kind)) +
                   "' while work was out");
      }
    }
    return any;
  }

  void poll(const std::function<void()>& tick, const std::function<bool()>& interrupted) {
    if (!interrupted_ && interrupted && interrupted()) {
      interrupted_ = true;
      halt();
    }
    if (tick && !tick_error_) {
      try {
        tick();
      } catch (...) {
        tick_error_ = std::current_exception();
        halt();
      }
    }
  }

  // Every item is back (or, after a halt, every item that was handed out).
  bool finished() {
    const bool all_back = std::all_of(outstanding_.begin(), outstanding_.end(), [](int o) { return o == 0; });
    const bool local_finished =
        !use_local_ || local_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    std::lock_guard lock(cursor_.mu);
    if (cursor_.local_error) d_.halted_ = true;
    return all_back && local_finished && (cursor_.stop || remote_done_ + cursor_.local_done == items_.size());
  }

  // The results, or the reason the stage stopped.
  std::vector<ItemResult> finish() {
    if (use_local_) local_.get();
    d_.halted_ = false;
    // A local evaluation that stopped because the dealer halted reports RunInterrupted; the
    // reason for the halt is what the caller hears.
    if (cursor_.local_error) {
      try {
        std::rethrow_exception(cursor_.local_error);
      } catch (const runner::RunInterrupted&) {
        if (!failure_ && !tick_error_) throw;
      }
    }
    if (failure_) throw *failure_;
    if (tick_error_) std::rethrow_exception(tick_error_);
    if (interrupted_) throw runner::RunInterrupted{};
    return std::move(results_);
  }

 private:
  void take_back(int w, uint32_t index) {
    if (index >= items_.size() || owner_[index] != w) {
      corruption("rank " + std::to_string(w + 1) + " answered item " + std::to_string(index) + " it was not dealt");
    }
    owner_[index] = -2;
    --outstanding_[static_cast<size_t>(w)];
  }

  Dealer& d_;
  std::span<const WorkItem> items_;
  bool use_local_;
  int total_threads_ = 0;
  std::vector<ItemResult> results_;
  std::vector<int> owner_;        // the worker (index into workers_) an item went to; -2: back
  std::vector<int> outstanding_;  // per worker
  SharedCursor cursor_;
  std::future<void> local_;
  size_t remote_done_ = 0;
  std::optional<Error> failure_;  // the first worker failure
  std::exception_ptr tick_error_;
  bool interrupted_ = false;
};

std::vector<ItemResult> Dealer::evaluate(std::span<const WorkItem> items, const LocalEvaluation* local,
                                         const std::function<void()>& tick,
                                         const std::function<bool()>& interrupted) {
  Stage stage(*this, items, local);
  Backoff backoff(options_.max_pause_us);
  for (;;) {
    bool progress = stage.collect();
    stage.poll(tick, interrupted);
    if (stage.deal()) progress = true;
    if (stage.finished()) break;
    if (progress) {
      backoff.reset();
    } else {
      backoff.pause();
    }
  }
  return stage.finish();
}

}  // namespace seedline::distributed
