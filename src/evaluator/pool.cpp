#include "evaluator/pool.hpp"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <sstream>

#include "evaluator/process.hpp"
#include "evaluator/shared_weights.hpp"
#include "util/error.hpp"
#include "util/utf8.hpp"

namespace seedline::evaluator {
namespace {

using Clock = std::chrono::steady_clock;

Clock::time_point after(double seconds) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// How long a worker that closed its connection gets to exit by itself, so the message can
// say "exited with status 1" and include its last words rather than "killed by seedline".
constexpr double kExitGrace = 0.3;
// How long all workers together get to exit after their sockets close at shutdown.
constexpr double kShutdownGrace = 1.0;
// Pending items scanned for one whose weights the worker already holds.
constexpr size_t kAffinityWindow = 64;

std::string format_seconds(double s) {
  std::ostringstream out;
  out << s;
  return out.str();
}

std::string quote_command(const std::vector<std::string>& command) {
  std::string out;
  for (const auto& a : command) {
    if (!out.empty()) out += ' ';
    out += a.find_first_of(" \t'\"") == std::string::npos ? a : "'" + a + "'";
  }
  return out.size() > 200 ? out.substr(0, 197) + "..." : out;
}

std::string indent_tail(const std::string& tail) {
  if (tail.empty()) return "; it wrote nothing to stdout or stderr";
  std::string out = "; its last output lines:";
  size_t start = 0;
  while (start < tail.size()) {
    const size_t end = tail.find('\n', start);
    out += "\n    " + tail.substr(start, end - start);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace

struct EvaluatorPool::Worker {
  enum class State { kStopped, kStarting, kIdle, kBusy };
  Worker(int i, size_t bytes) : index(i), weights(bytes) {}
  int index;
  SharedWeights weights;
  EvaluatorProcess process;
  FrameReader reader;
  State state = State::kStopped;
  Clock::time_point deadline;
  int start_failures = 0;  // since its last RESULT
  size_t item = 0;         // index into the batch while busy
  uint64_t tag = 0;        // item id sent in EVAL, echoed in RESULT
  int loaded_member = -1;  // whose weights are in the region (this batch)
  uint64_t serial = 0;     // weights_serial of the region's content
  pid_t last_pid = -1;
};

struct EvaluatorPool::Batch {
  std::span<const Item> items;
  const std::function<std::span<const float>(int)>* weights;
  const std::function<std::string(size_t)>* describe;
  std::vector<ItemResult> results;
  std::vector<int> attempts;
  std::deque<size_t> pending;
  size_t remaining = 0;
};

namespace {
uint64_t g_next_tag = 1;      // item ids are unique for the process's lifetime
uint64_t g_next_serial = 1;
}  // namespace

EvaluatorPool::EvaluatorPool(PoolOptions options) : options_(std::move(options)) {
  if (options_.command.empty()) invalid_argument("external evaluator: the command is empty");
  if (options_.workers < 1) invalid_argument("external evaluator: workers must be at least 1");
  program_ = resolve_program(options_.command.front());
  for (int i = 0; i < options_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, options_.weights_bytes));
  }
}

EvaluatorPool::~EvaluatorPool() { shutdown(); }

void EvaluatorPool::shutdown() {
  for (auto& w : workers_) w->process.close_socket();
  const auto deadline = after(kShutdownGrace);
  for (auto& w : workers_) {
    const double left = std::chrono::duration<double>(deadline - Clock::now()).count();
    w->process.stop(std::max(0.0, left));
    w->state = Worker::State::kStopped;
  }
}

std::string EvaluatorPool::worker_name(const Worker& w) const {
  return "external evaluator worker " + std::to_string(w.index) + " (pid " + std::to_string(w.last_pid) + ", " +
         quote_command(options_.command) + ")";
}

void EvaluatorPool::spawn(Worker& w) {
  std::vector<std::string> argv = options_.command;
  argv.front() = program_;
  w.process.start(argv, w.index, w.weights.fd(), launcher_);
  w.last_pid = w.process.pid();
  w.reader = FrameReader();
  w.loaded_member = -1;
  w.state = Worker::State::kStarting;
  w.deadline = after(options_.startup_timeout);
  nlohmann::json hello = options_.hello;
  hello["worker"] = w.index;
  hello["weights"]["fd"] = 4;
  hello["weights"]["bytes"] = options_.weights_bytes;
  if (!w.process.send(encode_frame(FrameType::kHello, hello.dump()), options_.startup_timeout)) {
    on_failure(w, "did not take the HELLO frame", nullptr);
  }
}

void EvaluatorPool::fatal(Worker& w, const std::string& what, const Batch* batch, const std::string& tail) {
  std::string message = worker_name(w) + ": " + what;
  if (batch != nullptr && w.state == Worker::State::kBusy) message = (*batch->describe)(w.item) + ": " + message;
  failed_precondition(message + indent_tail(tail));
}

void EvaluatorPool::on_failure(Worker& w, const std::string& what, Batch* batch) {
  // Timeouts are killed at once; a closed connection usually means the process is exiting.
  const bool hung = what.rfind("did not answer", 0) == 0;
  const std::string how = w.process.stop(hung ? 0.0 : kExitGrace);
  const std::string tail = w.process.output_tail();
  ++restarts_;
  const std::string event = what + "; the process " + how;
  const auto state = w.state;
  if (state == Worker::State::kBusy && batch != nullptr) {
    const size_t item = w.item;
    const int attempts = ++batch->attempts[item];
    if (attempts > options_.retries) {
      fatal(w, event + " (attempt " + std::to_string(attempts) + " of " + std::to_string(options_.retries + 1) + ")",
            batch, tail);
    }
    batch->pending.push_front(item);
  } else if (!identified_) {
    // No worker of this pool has ever said READY: the evaluator cannot start at all (a
    // missing module, a bad path in its setup), and starting it again would only repeat
    // that, once per worker and retry. Fail on the first attempt with its own words.
    w.state = Worker::State::kStarting;  // for the message: not about an item
    fatal(w, event + " before its first READY (no worker of this evaluator has started; not retried)", nullptr,
          tail);
  } else if (++w.start_failures > options_.retries) {
    w.state = Worker::State::kStarting;  // for the message: not about an item
    fatal(w, event + " before answering any item (started " + std::to_string(w.start_failures) + " times)", nullptr,
          tail);
  }
  w.state = Worker::State::kStopped;
}

void EvaluatorPool::dispatch(Worker& w, Batch& batch) {
  auto pick = batch.pending.begin();
  const auto window_end = batch.pending.begin() + static_cast<long>(std::min(kAffinityWindow, batch.pending.size()));
  for (auto it = batch.pending.begin(); it != window_end; ++it) {
    if (batch.items[*it].member == w.loaded_member) {
      pick = it;
      break;
    }
  }
  const size_t index = *pick;
  batch.pending.erase(pick);
  const Item& item = batch.items[index];
  if (item.member != w.loaded_member) {
    w.weights.write((*batch.weights)(item.member));
    w.loaded_member = item.member;
    w.serial = g_next_serial++;
  }
  w.state = Worker::State::kBusy;
  w.item = index;
  w.tag = g_next_tag++;
  w.deadline = after(options_.timeout);
  EvalRequest request;
  request.item = w.tag;
  request.episode_seed = item.episode_seed;
  request.member = static_cast<uint32_t>(item.member);
  request.episode = static_cast<uint32_t>(item.episode);
  request.weights_serial = w.serial;
  if (!w.process.send(encode_frame(FrameType::kEval, encode_eval(request)), options_.timeout)) {
    on_failure(w, "closed its connection", &batch);
  }
}

void EvaluatorPool::on_frame(Worker& w, const Frame& frame, Batch* batch) {
  if (w.state == Worker::State::kStarting && frame.type == FrameType::kReady) {
    nlohmann::json ready;
    try {
      ready = nlohmann::json::parse(frame.payload);
    } catch (const nlohmann::json::exception&) {
      return on_failure(w, "sent a READY frame that is not JSON ('" + printable_prefix(frame.payload) + "')", batch);
    }
    EvaluatorIdentity id;
    if (!ready.is_object() || !ready.contains("protocol") || !ready["protocol"].is_number_unsigned()) {
      return on_failure(w, "sent a READY frame without a protocol number: " +
                               sanitize_text(dump_json(ready), kMaxIdentityBytes), batch);
    }
    id.protocol = ready["protocol"].get<uint32_t>();
    if (id.protocol != kProtocolVersion) {
      fatal(w, "speaks protocol " + std::to_string(id.protocol) + "; this seedline speaks protocol " +
                   std::to_string(kProtocolVersion),
            nullptr, w.process.output_tail());
    }
    for (const char* field : {"name", "version"}) {
      if (ready.contains(field) && !ready[field].is_string()) {
        return on_failure(w, std::string("sent a READY frame whose \"") + field + "\" is not a string: " +
                                 sanitize_text(dump_json(ready[field]), kMaxIdentityBytes), batch);
      }
    }
    // The evaluator's own words: bounded and escaped before they are stored or printed.
    id.name = sanitize_text(ready.value("name", std::string()), kMaxIdentityBytes);
    id.version = sanitize_text(ready.value("version", std::string()), kMaxIdentityBytes);
    if (!identified_) {
      identity_ = id;
      identified_ = true;
    } else if (id.name != identity_.name || id.version != identity_.version) {
      fatal(w, "reports itself as '" + id.name + "' version '" + id.version + "' but another worker of the same pool as '" +
                   identity_.name + "' version '" + identity_.version + "'",
            nullptr, w.process.output_tail());
    }
    w.state = Worker::State::kIdle;
    return;
  }
  if (w.state == Worker::State::kBusy && batch != nullptr && frame.type == FrameType::kResult) {
    EvalResult r;
    try {
      r = decode_result(frame.payload);
    } catch (const ProtocolError& e) {
      return on_failure(w, std::string("sent a malformed RESULT: ") + e.what(), batch);
    }
    if (r.item != w.tag) {
      return on_failure(w, "answered item " + std::to_string(r.item) + " but was asked item " + std::to_string(w.tag),
                        batch);
    }
    if (std::isnan(r.reward)) fatal(w, "returned the reward NaN", batch, w.process.output_tail());
    if (r.steps < 0) fatal(w, "returned " + std::to_string(r.steps) + " steps", batch, w.process.output_tail());
    for (const auto& [name, value] : r.metrics) {
      if (std::isnan(value)) fatal(w, "returned NaN for the metric '" + name + "'", batch, w.process.output_tail());
    }
    batch->results[w.item] = ItemResult{r.reward, r.steps, std::move(r.metrics)};
    --batch->remaining;
    w.start_failures = 0;
    w.state = Worker::State::kIdle;
    return;
  }
  if (frame.type == FrameType::kError) {
    w.process.drain_output();  // what it printed before the ERROR belongs in the message
    std::pair<uint64_t, std::string> error;
    try {
      error = decode_error(frame.payload);
    } catch (const ProtocolError& e) {
      return on_failure(w, std::string("sent a malformed ERROR: ") + e.what(), batch);
    }
    const auto& [item, text] = error;
    if (w.state == Worker::State::kBusy && batch != nullptr && item == w.tag) {
      fatal(w, "reported an error: " + text, batch, w.process.output_tail());
    }
    if (w.state == Worker::State::kStarting && item == kNoItem) {
      fatal(w, "reported an error before READY: " + text, nullptr, w.process.output_tail());
    }
    // An ERROR about no item it was asked is garbage (docs/evaluator-protocol.md): a fault
    // of the worker, not a verdict on the item in flight, which is retried elsewhere.
    const std::string about = item == kNoItem ? "no item" : "item " + std::to_string(item);
    const std::string asked = w.state == Worker::State::kBusy ? "was asked item " + std::to_string(w.tag)
                                                              : "had no item in flight";
    return on_failure(w, "sent an ERROR frame about " + about + " but " + asked + " (garbage: '" +
                             sanitize_text(text, kMaxIdentityBytes) + "')", batch);
  }
  static const char* names[] = {"?", "HELLO", "READY", "EVAL", "RESULT", "ERROR"};
  on_failure(w, std::string("sent an unexpected ") + names[static_cast<uint32_t>(frame.type)] + " frame", batch);
}

void EvaluatorPool::pump(Batch* batch, const std::function<void()>& tick) {
  std::vector<pollfd> fds;
  std::vector<std::pair<Worker*, bool>> owners;  // (worker, is socket)
  std::string inbox;
  const auto active = std::span(workers_).first(static_cast<size_t>(active_));
  for (;;) {
    if (tick) tick();
    for (auto& w : active) {
      if (w->state == Worker::State::kStopped) spawn(*w);
    }
    if (batch != nullptr) {
      for (auto& w : active) {
        if (w->state == Worker::State::kIdle && !batch->pending.empty()) dispatch(*w, *batch);
      }
      if (batch->remaining == 0) return;
    } else {
      bool all_ready = true;
      for (auto& w : active) all_ready = all_ready && w->state == Worker::State::kIdle;
      if (all_ready) return;
    }

    fds.clear();
    owners.clear();
    auto wake = after(0.05);
    for (auto& w : workers_) {
      if (w->state == Worker::State::kStarting || w->state == Worker::State::kBusy) wake = std::min(wake, w->deadline);
      if (w->process.socket() >= 0) {
        fds.push_back({w->process.socket(), POLLIN, 0});
        owners.emplace_back(w.get(), true);
      }
      if (w->process.output() >= 0) {
        fds.push_back({w->process.output(), POLLIN, 0});
        owners.emplace_back(w.get(), false);
      }
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now()).count();
    ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<long long>(wait + 1, 0, 50)));

    for (size_t i = 0; i < fds.size(); ++i) {
      Worker& w = *owners[i].first;
      if (fds[i].revents == 0) continue;
      if (!owners[i].second) {
        w.process.drain_output();
        continue;
      }
      if (w.process.socket() != fds[i].fd || w.state == Worker::State::kStopped) continue;  // restarted meanwhile
      inbox.clear();
      const bool open = w.process.receive(inbox);
      w.reader.append(inbox.data(), inbox.size());
      bool failed = false;
      for (;;) {
        std::optional<Frame> frame;
        try {
          frame = w.reader.next();
        } catch (const ProtocolError& e) {
          on_failure(w, std::string("sent garbage: ") + e.what(), batch);
          failed = true;
          break;
        }
        if (!frame) break;
        on_frame(w, *frame, batch);
        if (w.state == Worker::State::kStopped) {
          failed = true;
          break;
        }
      }
      if (!open && !failed) {
        on_failure(w, "closed its connection" + std::string(w.reader.buffered() > 0 ? " in the middle of a frame" : ""),
                   batch);
      }
    }
    const auto now = Clock::now();
    for (auto& w : workers_) {
      if ((w->state == Worker::State::kStarting || w->state == Worker::State::kBusy) && now >= w->deadline) {
        const double limit = w->state == Worker::State::kStarting ? options_.startup_timeout : options_.timeout;
        on_failure(*w, "did not answer within " + format_seconds(limit) + " s", batch);
      }
    }
  }
}

void EvaluatorPool::start(const std::function<void()>& tick) {
  const int expected = options_.expected_items > 0 ? options_.expected_items : options_.workers;
  active_ = std::max(active_, std::min(options_.workers, expected));
  try {
    pump(nullptr, tick);
  } catch (...) {
    shutdown();
    throw;
  }
}

std::vector<ItemResult> EvaluatorPool::evaluate(std::span<const Item> items,
                                                const std::function<std::span<const float>(int member)>& weights,
                                                const std::function<std::string(size_t item)>& describe,
                                                const std::function<void()>& tick) {
  Batch batch;
  batch.items = items;
  batch.weights = &weights;
  batch.describe = &describe;
  batch.results.resize(items.size());
  batch.attempts.assign(items.size(), 0);
  for (size_t i = 0; i < items.size(); ++i) batch.pending.push_back(i);
  batch.remaining = items.size();
  for (auto& w : workers_) w->loaded_member = -1;  // member indices restart with every batch
  // More processes than items would only sit idle (and cost memory and start-up time).
  active_ = std::max(active_, static_cast<int>(std::min<size_t>(static_cast<size_t>(options_.workers), items.size())));
  try {
    pump(&batch, tick);
  } catch (...) {
    // Busy or half-started workers hold state of this batch: stop them; idle ones stay.
    for (auto& w : workers_) {
      if (w->state != Worker::State::kIdle) {
        w->process.stop(0);
        w->state = Worker::State::kStopped;
      }
    }
    throw;
  }
  return std::move(batch.results);
}

nlohmann::json make_hello(const std::vector<std::pair<std::string, std::vector<int64_t>>>& tensors,
                          const nlohmann::json& network, const nlohmann::json& task_spec) {
  nlohmann::json list = nlohmann::json::array();
  int64_t offset = 0;
  for (const auto& [name, shape] : tensors) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    list.push_back({{"name", name}, {"shape", shape}, {"offset", offset}, {"dtype", "float32"}});
    offset += n * 4;
  }
  return {{"protocol", kProtocolVersion},
          {"seedline", SEEDLINE_VERSION},
          {"weights", {{"bytes", offset}, {"tensors", list}}},
          {"network", network},
          {"observation_shape", task_spec.value("observation_shape", nlohmann::json())},
          {"actions", task_spec.value("actions", nlohmann::json())},
          {"task", task_spec}};
}

}  // namespace seedline::evaluator
