#include "distributed/wire.hpp"

#include <xxhash.h>

#include <bit>
#include <limits>

#include "distributed/codec.hpp"
#include "util/error.hpp"

namespace seedline::distributed {
namespace {

constexpr uint64_t kMaxInt32 = std::numeric_limits<int32_t>::max();
constexpr uint64_t kMaxUint32 = std::numeric_limits<uint32_t>::max();

// parent + 1 so that a root's -1 is 0.
void write_source(Writer& w, const Source& m) {
  w.u8(static_cast<uint8_t>(m.kind));
  w.varint(static_cast<uint64_t>(static_cast<int64_t>(m.parent) + 1));
  if (m.kind != Source::Kind::kElite) w.fixed64(m.seed);
  if (m.kind == Source::Kind::kMember) w.u8(m.sign < 0 ? 1 : 0);
}

Source read_source(Reader& r) {
  Source m;
  const uint8_t kind = r.u8();
  if (kind > 3) r.bad("source kind " + std::to_string(kind) + " is not root (0), elite (1), child (2) or member (3)");
  m.kind = static_cast<Source::Kind>(kind);
  m.parent = static_cast<int32_t>(static_cast<int64_t>(r.bounded(kMaxInt32, "parent slot + 1")) - 1);
  if ((m.kind == Source::Kind::kRoot) != (m.parent < 0)) r.bad("a root has no parent and only a root");
  if (m.kind != Source::Kind::kElite) m.seed = r.fixed64();
  if (m.kind == Source::Kind::kMember) {
    const uint8_t sign = r.u8();
    if (sign > 1) r.bad("member sign " + std::to_string(sign) + " is not + (0) or - (1)");
    m.sign = sign == 1 ? -1.0f : 1.0f;
  }
  return m;
}

int64_t read_run_id(Reader& r) {
  return static_cast<int64_t>(r.bounded(static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), "run id"));
}

// Work item flags.
constexpr uint8_t kSameMember = 1;  // member as the previous item's
constexpr uint8_t kNextIndex = 2;   // index = previous index + 1

}  // namespace

std::string_view kind_name(MessageKind kind) {
  switch (kind) {
    case MessageKind::kHello: return "hello";
    case MessageKind::kHelloReply: return "hello_reply";
    case MessageKind::kRunStart: return "run_start";
    case MessageKind::kGenotype: return "genotype";
    case MessageKind::kSelection: return "selection";
    case MessageKind::kWork: return "work";
    case MessageKind::kResults: return "results";
    case MessageKind::kFailure: return "failure";
    case MessageKind::kRunEnd: return "run_end";
    case MessageKind::kShutdown: return "shutdown";
    case MessageKind::kEsState: return "es_state";
    case MessageKind::kCenterUpdate: return "center_update";
  }
  return "unknown";
}

bool is_message_kind(int tag) { return tag >= 1 && tag <= kMessageKinds; }

bool ItemResult::operator==(const ItemResult& o) const {
  const auto same = [](double a, double b) { return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b); };
  if (index != o.index || !same(reward, o.reward) || steps != o.steps || metrics.size() != o.metrics.size()) {
    return false;
  }
  for (size_t i = 0; i < metrics.size(); ++i) {
    if (metrics[i].first != o.metrics[i].first || !same(metrics[i].second, o.metrics[i].second)) return false;
  }
  return true;
}

Bytes encode(const Hello& m) {
  Writer w;
  w.varint(m.wire_version);
  w.string(m.seedline_version);
  return w.take();
}

Hello decode_hello(std::span<const uint8_t> bytes) {
  Reader r(bytes, MessageKind::kHello);
  Hello m;
  m.wire_version = static_cast<uint32_t>(r.bounded(kMaxUint32, "wire version"));
  m.seedline_version = r.string();
  r.finish();
  return m;
}

Bytes encode(const HelloReply& m) {
  Writer w;
  w.varint(m.wire_version);
  w.string(m.seedline_version);
  w.varint(m.threads);
  w.string(m.host);
  return w.take();
}

HelloReply decode_hello_reply(std::span<const uint8_t> bytes) {
  Reader r(bytes, MessageKind::kHelloReply);
  HelloReply m;
  m.wire_version = static_cast<uint32_t>(r.bounded(kMaxUint32, "wire version"));
  m.seedline_version = r.string();
  m.threads = static_cast<uint32_t>(r.bounded(kMaxUint32, "threads"));
  m.host = r.string();
  r.finish();
  return m;
}

Bytes encode(const RunStart& m) {
  Writer w;
  w.varint(static_cast<uint64_t>(m.run_id));
  w.varint(m.noise_version);
  w.varint(m.kernel_version);
  w.varint(m.parents);
  w.string(m.config_json);
  return w.take();
}

RunStart decode_run_start(std::span<const uint8_t> bytes) {
  Reader r(bytes, MessageKind::kRunStart);
  RunStart m;
  m.run_id = read_run_id(r);
  m.noise_version = static_cast<uint32_t>(r.bounded(kMaxUint32, "noise version"));
  m.kernel_version = static_cast<uint32_t>(r.bounded(kMaxUint32, "kernel version"));
  m.parents = static_cast<uint32_t>(r.bounded(kMaxUint32, "parents"));
  m.config_json = r.string();
  r.finish();
  return m;
}

Bytes encode(const Genotype& m) {
  Writer w;
  w.varint(static_cast<uint64_t>(m.run_id));
  w.varint(m.slot);
  w.fixed64(m.checksum);
  w.floats(m.values);
  return w.take();
}

Genotype decode_genotype(std::span<const uint8_t> bytes) {
  Reader r(bytes, MessageKind::kGenotype);
  Genotype m;
  m.run_id = read_run_id(r);
  m.slot = static_cast<uint32_t>(r.bounded(kMaxInt32, "slot"));
  m.checksum = r.fixed64();
  m.values = r.floats();
  r.finish();
  return m;
}

Bytes encode(const Selection& m) {
  Writer w;
  w.varint(static_cast<uint64_t>(m.run_id));
  w.varint(m.parents.size());
  for (const auto& p : m.parents) write_source(w, p);
  w.fixed64(m.digest);
  return w.take();
}

Selection decode_selection(std::span<const uint8_t> bytes) {
  Reader r(bytes, MessageKind::kSelection);
  Selection m;
  m.run_id = read_run_id(r);
  m.parents.resize(r.count(2, "parents"));
  for (auto& p : m.parents) {
    p = read_source(r);
    if (p.kind == Source::Kind::kMember) r.bad("a selection lists an ES member (those come in a center update)");
  }
  m.digest = r.fixed64();
  r.finish();
  return m;
}

Bytes encode(const WorkBatch& m) {
  // The table of distinct (stage, episode, episode seed), in first-use order.
  struct Episode {
    uint32_t stage, episode;
    uint64_t seed;
    bool operator==(const Episode&) const = default;
  };
  std::vector<Episode> table;
  std::vector<size_t> refs(m.items.size());
  for (size_t i = 0; i < m.items.size(); ++i) {
    const Episode e{m.items[i].stage, m.items[i].episode, m.items[i].episode_seed};
    size_t k = 0;
    while (k < table.size() && !(table[k] == e)) ++k;  // a batch meets a handful of episodes
    if (k == table.size()) table.push_back(e);
    refs[i] = k;
  }
  Writer w;
  w.varint(table.size());
  for (const auto& e : table) {
    w.varint(e.stage);
    w.varint(e.episode);
    w.fixed64(e.seed);
  }
  w.varint(m.items.size());
  for (size_t i = 0; i < m.items.size(); ++i) {
    const auto& item = m.items[i];
    uint8_t flags = 0;
    if (i > 0 && item.member == m.items[i - 1].member && item.source == m.items[i - 1].source) flags |= kSameMember;
    if (i > 0 && item.index == m.items[i - 1].index + 1) flags |= kNextIndex;
    w.u8(flags);
    if ((flags & kNextIndex) == 0) w.varint(item.index);
    if ((flags & kSameMember) == 0) {
      w.varint(item.member);
      write_source(w, item.source);
    }
    w.varint(refs[i]);
  }
  return w.take();
}

WorkBatch decode_work(std::span<const uint8_t> bytes) {
  Reader r(bytes, MessageKind::kWork);
  WorkBatch m;
  struct Episode {
    uint32_t stage, episode;
    uint64_t seed;
  };
  std::vector<Episode> table(r.count(10, "episode table"));
  for (auto& e : table) {
    e.stage = static_cast<uint32_t>(r.bounded(kMaxUint32, "stage"));
    e.episode = static_cast<uint32_t>(r.bounded(kMaxUint32, "episode"));
    e.seed = r.fixed64();
  }
  m.items.resize(r.count(2, "items"));
  for (size_t i = 0; i < m.items.size(); ++i) {
    auto& item = m.items[i];
    const uint8_t flags = r.u8();
    if ((flags & ~(kSameMember | kNextIndex)) != 0) r.bad("unknown item flags " + std::to_string(flags));
    if (i == 0 && flags != 0) r.bad("the first item refers to a previous one");
    if ((flags & kNextIndex) != 0) {
      if (m.items[i - 1].index == kMaxUint32) r.bad("item index overflows");
      item.index = m.items[i - 1].index + 1;
    } else {
      item.index = static_cast<uint32_t>(r.bounded(kMaxUint32, "item index"));
    }
    if ((flags & kSameMember) != 0) {
      item.member = m.items[i - 1].member;
      item.source = m.items[i - 1].source;
    } else {
      item.member = static_cast<uint32_t>(r.bounded(kMaxUint32, "member"));
      item.source = read_source(r);
    }
    const auto ref = r.varint();
    if (ref >= table.size()) {
      r.bad("episode reference " + std::to_string(ref) + " outside the table of " + std::to_string(table.size()));
    }
    item.stage = table[ref].stage;
    item.episode = table[ref].episode;
    item.episode_seed = table[ref].seed;
  }
  r.finish();
  return m;
}

Bytes encode(const ResultBatch& m) {
  Writer w;
  w.varint(m.results.size());
  int64_t previous = -1;
  for (const auto& res : m.results) {
    w.zigzag(static_cast<int64_t>(res.index) - previous - 1);
    previous = res.index;
    w.f64(res.reward);
    w.zigzag(res.steps);
    w.varint(res.metrics.size());
    for (const auto& [name, value] : res.metrics) {
      w.string(name);
      w.f64(value);
    }
  }
  return w.take();
}

ResultBatch decode_results(std::span<const uint8_t> bytes) {
  Reader r(bytes, MessageKind::kResults);
  ResultBatch m;
  m.results.resize(r.count(11, "results"));
  int64_t previous = -1;
  for (auto& res : m.results) {
    const int64_t delta = r.zigzag();
    const int64_t index = previous + 1 + delta;  // |delta| < 2^63 and previous < 2^32: no overflow
    if (delta > static_cast<int64_t>(kMaxUint32) || index < 0 || index > static_cast<int64_t>(kMaxUint32)) {
      r.bad("result index out of range");
    }
    res.index = static_cast<uint32_t>(index);
    previous = index;
    res.reward = r.f64();
    res.steps = r.zigzag();
    res.metrics.resize(r.count(9, "metrics"));
    for (auto& [name, value] : res.metrics) {
      name = r.string();
      value = r.f64();
    }
  }
  r.finish();
  return m;
}

Bytes encode(const Failure& m) {
  Writer w;
  w.varint(m.indices.size());
  for (uint32_t i : m.indices) w.varint(i);
  w.u8(m.code);
  w.string(m.message);
  return w.take();
}

Failure decode_failure(std::span<const uint8_t> bytes) {
  Reader r(bytes, MessageKind::kFailure);
  Failure m;
  m.indices.resize(r.count(1, "items"));
  for (auto& i : m.indices) i = static_cast<uint32_t>(r.bounded(kMaxUint32, "item index"));
  m.code = r.u8();
  m.message = r.string();
  r.finish();
  return m;
}

Bytes encode(const RunEnd& m) {
  Writer w;
  w.varint(static_cast<uint64_t>(m.run_id));
  return w.take();
}

RunEnd decode_run_end(std::span<const uint8_t> bytes) {
  Reader r(bytes, MessageKind::kRunEnd);
  RunEnd m;
  m.run_id = read_run_id(r);
  r.finish();
  return m;
}

uint64_t selection_digest(std::span<const uint64_t> checksums) {
  Writer w;
  for (uint64_t c : checksums) w.fixed64(c);
  const auto bytes = w.take();
  return XXH64(bytes.data(), bytes.size(), 0);
}

uint64_t es_state_checksum(std::span<const float> m, std::span<const float> v) {
  XXH64_state_t* state = XXH64_createState();
  if (state == nullptr) throw std::bad_alloc();
  XXH64_reset(state, 0);
  XXH64_update(state, m.data(), m.size() * sizeof(float));
  XXH64_update(state, v.data(), v.size() * sizeof(float));
  const uint64_t sum = XXH64_digest(state);
  XXH64_freeState(state);
  return sum;
}

Bytes encode(const EsState& m) {
  Writer w;
  w.varint(static_cast<uint64_t>(m.run_id));
  w.varint(static_cast<uint64_t>(m.step));
  w.floats(m.m);
  w.floats(m.v);
  w.fixed64(m.checksum);
  return w.take();
}

EsState decode_es_state(std::span<const uint8_t> bytes) {
  Reader r(bytes, MessageKind::kEsState);
  EsState m;
  m.run_id = read_run_id(r);
  m.step = static_cast<int64_t>(r.bounded(static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), "step"));
  m.m = r.floats();
  m.v = r.floats();
  if (m.m.size() != m.v.size()) r.bad(std::to_string(m.m.size()) + " first-moment values but " + std::to_string(m.v.size()) + " second-moment values");
  m.checksum = r.fixed64();
  r.finish();
  return m;
}

bool CenterUpdate::operator==(const CenterUpdate& o) const {
  if (run_id != o.run_id || members != o.members || digest != o.digest || fitness.size() != o.fitness.size()) return false;
  for (size_t i = 0; i < fitness.size(); ++i) {
    if (std::bit_cast<uint64_t>(fitness[i]) != std::bit_cast<uint64_t>(o.fitness[i])) return false;
  }
  return true;
}

// Members then their fitnesses (raw double bits), then the digest.
Bytes encode(const CenterUpdate& m) {
  Writer w;
  w.varint(static_cast<uint64_t>(m.run_id));
  w.varint(m.members.size());
  for (const auto& s : m.members) write_source(w, s);
  for (const double f : m.fitness) w.f64(f);
  w.fixed64(m.digest);
  return w.take();
}

CenterUpdate decode_center_update(std::span<const uint8_t> bytes) {
  Reader r(bytes, MessageKind::kCenterUpdate);
  CenterUpdate m;
  m.run_id = read_run_id(r);
  m.members.resize(r.count(19, "members"));  // a member: kind, parent, seed, sign, fitness
  for (auto& s : m.members) {
    s = read_source(r);
    if (s.kind != Source::Kind::kMember) r.bad("a center update lists a source that is not an ES member");
  }
  m.fitness.resize(m.members.size());
  for (auto& f : m.fitness) f = r.f64();
  m.digest = r.fixed64();
  r.finish();
  return m;
}

}  // namespace seedline::distributed
