#include "distributed/wire_counters.hpp"

namespace seedline::distributed {

void WireCounters::add_sent(MessageKind kind, size_t bytes) {
  auto& c = sent_.at(static_cast<size_t>(kind));
  c.messages += 1;
  c.bytes += static_cast<int64_t>(bytes);
}

void WireCounters::add_received(MessageKind kind, size_t bytes) {
  auto& c = received_.at(static_cast<size_t>(kind));
  c.messages += 1;
  c.bytes += static_cast<int64_t>(bytes);
}

const WireCounters::Count& WireCounters::sent(MessageKind kind) const { return sent_.at(static_cast<size_t>(kind)); }
const WireCounters::Count& WireCounters::received(MessageKind kind) const {
  return received_.at(static_cast<size_t>(kind));
}

WireCounters::Count WireCounters::total_sent() const {
  Count t;
  for (const auto& c : sent_) {
    t.messages += c.messages;
    t.bytes += c.bytes;
  }
  return t;
}

WireCounters::Count WireCounters::total_received() const {
  Count t;
  for (const auto& c : received_) {
    t.messages += c.messages;
    t.bytes += c.bytes;
  }
  return t;
}

WireCounters WireCounters::minus(const WireCounters& earlier) const {
  WireCounters d;
  for (size_t k = 0; k < sent_.size(); ++k) {
    d.sent_[k] = {sent_[k].messages - earlier.sent_[k].messages, sent_[k].bytes - earlier.sent_[k].bytes};
    d.received_[k] = {received_[k].messages - earlier.received_[k].messages,
                      received_[k].bytes - earlier.received_[k].bytes};
  }
  return d;
}

nlohmann::json WireCounters::to_json() const {
  const auto side = [](const std::array<Count, kMessageKinds + 1>& counts) {
    nlohmann::json j = nlohmann::json::object();
    for (int k = 1; k <= kMessageKinds; ++k) {
      const auto& c = counts[static_cast<size_t>(k)];
      if (c.messages == 0) continue;
      j[std::string(kind_name(static_cast<MessageKind>(k)))] = {{"messages", c.messages}, {"bytes", c.bytes}};
    }
    return j;
  };
  return {{"sent", side(sent_)}, {"received", side(received_)}};
}

}  // namespace seedline::distributed
