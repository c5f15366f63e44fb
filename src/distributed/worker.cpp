#include "distributed/worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>

#include "util/error.hpp"

namespace seedline::distributed {

void WorkerHandler::update_center(const CenterUpdate& update) {
  corruption("run " + std::to_string(update.run_id) + ": rank 0 sent an ES update this worker cannot apply");
}

void WorkerHandler::add_es_state(EsState state) {
  corruption("run " + std::to_string(state.run_id) + ": rank 0 sent an ES optimizer state this worker cannot use");
}

namespace {

std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  return host;
}

// The local queue of dealt batches, the outbox of answers, and the evaluation thread
// draining one into the other.
class BatchStream {
 public:
  explicit BatchStream(WorkerHandler& handler) : handler_(handler) {
    evaluator_ = std::async(std::launch::async, [this] { run(); });
  }
  ~BatchStream() { close(); }

  void push(WorkBatch batch) {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(batch));
    work_cv_.notify_one();
  }
  bool idle() {
    std::lock_guard lock(mu_);
    return queue_.empty() && !busy_ && results_.empty() && failures_.empty();
  }
  void set_run_error(std::optional<Failure> error) {
    std::lock_guard lock(mu_);
    run_error_ = std::move(error);
  }
  bool has_run_error() {
    std::lock_guard lock(mu_);
    return run_error_.has_value();
  }
  // Takes what is ready to send; waits up to `pause` when nothing is.
  std::pair<std::vector<ItemResult>, std::vector<Failure>> take(std::chrono::microseconds pause) {
    std::unique_lock lock(mu_);
    out_cv_.wait_for(lock, pause, [this] { return !results_.empty() || !failures_.empty(); });
    return {std::exchange(results_, {}), std::exchange(failures_, {})};
  }
  // Stops after the batch in progress; queued ones are dropped (rank 0 has left).
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      queue_.clear();
      work_cv_.notify_all();
    }
    if (evaluator_.valid()) evaluator_.get();
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      work_cv_.wait(lock, [this] { return closed_ || !queue_.empty(); });
      if (queue_.empty()) return;
      WorkBatch batch = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      std::optional<Failure> failure = run_error_;
      lock.unlock();
      std::vector<ItemResult> results(batch.items.size());
      if (!failure) {
        try {
          handler_.evaluate(batch.items, results);
        } catch (const Error& e) {
          failure = Failure{{}, static_cast<uint8_t>(e.code()), e.what()};
        } catch (const std::exception& e) {
          failure = Failure{{}, static_cast<uint8_t>(ErrorCode::kFailedPrecondition), e.what()};
        } catch (...) {
          failure = Failure{{}, static_cast<uint8_t>(ErrorCode::kFailedPrecondition), "unknown error"};
        }
      }
      lock.lock();
      busy_ = false;
      if (failure) {
        failure->indices.clear();
        for (const auto& item : batch.items) failure->indices.push_back(item.index);
        failures_.push_back(std::move(*failure));
      } else {
        for (size_t i = 0; i < results.size(); ++i) {
          results[i].index = batch.items[i].index;
          results_.push_back(std::move(results[i]));
        }
      }
      out_cv_.notify_one();
    }
  }

  WorkerHandler& handler_;
  std::mutex mu_;
  std::condition_variable work_cv_, out_cv_;
  std::deque<WorkBatch> queue_;       // guarded by mu_
  bool busy_ = false;                 // guarded by mu_: a batch is being evaluated
  bool closed_ = false;               // guarded by mu_
  std::optional<Failure> run_error_;  // guarded by mu_: the run failed; answer with this
  std::vector<ItemResult> results_;   // guarded by mu_
  std::vector<Failure> failures_;     // guarded by mu_
  std::future<void> evaluator_;
};

// Runs a handler's control method; an error fails the run's items instead of the job.
template <typename F>
void control(BatchStream& stream, F&& f) {
  if (stream.has_run_error()) return;  // the run already failed; its items answer with that
  try {
    f();
  } catch (const Error& e) {
    stream.set_run_error(Failure{{}, static_cast<uint8_t>(e.code()), e.what()});
  } catch (const std::exception& e) {
    stream.set_run_error(Failure{{}, static_cast<uint8_t>(ErrorCode::kFailedPrecondition), e.what()});
  }
}

}  // namespace

WorkerReport serve_worker(Transport& transport, WorkerHandler& handler, int max_pause_us) {
  const auto first = transport.receive(0, max_pause_us);
  if (first.kind == MessageKind::kShutdown) return {};  // rank 0 gave up before it began
  if (first.kind != MessageKind::kHello) {
    corruption("rank 0 sent '" + std::string(kind_name(first.kind)) + "' before its hello");
  }
  (void)decode_hello(first.payload);  // rank 0 compares versions with the reply
  const auto threads = static_cast<uint32_t>(std::max(1, handler.threads()));
  transport.send(0, MessageKind::kHelloReply, encode(HelloReply{kWireVersion, SEEDLINE_VERSION, threads, host_name()}));

  WorkerReport report;
  BatchStream stream(handler);
  const auto min_pause = std::chrono::microseconds(5);
  auto pause = min_pause;
  for (;;) {
    bool progress = false;
    while (auto e = transport.try_receive(0)) {
      progress = true;
      if (e->kind == MessageKind::kWork) {
        stream.push(decode_work(e->payload));
        continue;
      }
      if (e->kind == MessageKind::kShutdown) return report;
      if (!stream.idle()) {
        fail(ErrorCode::kInternal, "rank 0 sent '" + std::string(kind_name(e->kind)) + "' while items were in flight");
      }
      switch (e->kind) {
        case MessageKind::kRunStart: {
          const auto start = decode_run_start(e->payload);
          stream.set_run_error(std::nullopt);
          control(stream, [&] { handler.start_run(start); });
          break;
        }
        case MessageKind::kGenotype: {
          auto genotype = decode_genotype(e->payload);
          control(stream, [&] { handler.add_genotype(std::move(genotype)); });
          break;
        }
        case MessageKind::kEsState: {
          auto state = decode_es_state(e->payload);
          control(stream, [&] { handler.add_es_state(std::move(state)); });
          break;
        }
        case MessageKind::kCenterUpdate: {
          const auto update = decode_center_update(e->payload);
          control(stream, [&] { handler.update_center(update); });
          break;
        }
        case MessageKind::kSelection: {
          const auto selection = decode_selection(e->payload);
          control(stream, [&] { handler.select(selection); });
          break;
        }
        case MessageKind::kRunEnd: {
          const auto end = decode_run_end(e->payload);
          handler.end_run(end.run_id);
          stream.set_run_error(std::nullopt);
          break;
        }
        default:
          corruption("rank 0 sent '" + std::string(kind_name(e->kind)) + "' to a worker");
      }
    }
    auto [results, failures] = stream.take(progress ? std::chrono::microseconds(0) : pause);
    if (!results.empty()) {
      report.items += static_cast<int64_t>(results.size());
      transport.send(0, MessageKind::kResults, encode(ResultBatch{std::move(results)}));
      progress = true;
    }
    for (const auto& f : failures) {
      transport.send(0, MessageKind::kFailure, encode(f));
      report.failures += static_cast<int64_t>(f.indices.size());
      progress = true;
    }
    pause = progress ? min_pause : std::min(pause * 2, std::chrono::microseconds(std::max(5, max_pause_us)));
  }
}

}  // namespace seedline::distributed
