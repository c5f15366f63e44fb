// The wire format of a distributed (MPI) seedline job: every message that crosses the
// network, as bytes, and the per-kind byte counters the job reports (docs/distributed.md).
//
// A job is a star: rank 0 (the only process with the database) talks to every worker rank
// and workers never talk to each other. Per generation only seeds, slots and fitnesses
// cross: rank 0 sends the selection (each new parent as "previous parent slot + one mutation
// seed") to every worker, deals work items (member index, its source = parent slot + seed,
// stage, episode, episode seed) in batches, and gets back (item, reward, steps, and the
// evaluator's named metrics if any). A genotype crosses only when a worker joins a run
// mid-way (a resumed run): once, for each parent.
//
// Encoding: little-endian; unsigned integers as LEB128 varints, signed ones zigzag-encoded
// first; seeds, checksums and rewards as fixed 8 bytes (a double's bits are copied, so a
// reward arrives bit for bit). Work batches carry a table of the distinct (stage, episode,
// episode seed) triples and each item refers to it; an item whose member equals the
// previous item's, or whose index follows the previous one, omits them (a member's
// episodes are dealt together). Results carry the item index as a zigzag delta from the
// previous result's, and a metric count (one byte when there are none). The MPI tag of a
// message is its MessageKind; the payload starts directly with the fields (no per-message
// version: the Hello exchange checks kWireVersion once per job). Counts: wire_counters.hpp.
//
// Thread-safety: pure functions and plain values. Failure: decode_* throws seedline::Error
// kCorruption naming the message kind, the byte offset and what was wrong (truncated,
// a value out of range, bytes left over), never reads out of bounds.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seedline::distributed {

// Bumped whenever an encoding below changes; ranks of one job must agree (checked by Hello).
inline constexpr uint32_t kWireVersion = 3;  // 2: ES members, updates and optimizer states; 3: kernel_version

enum class MessageKind : uint8_t {
  kHello = 1,      // rank 0 -> worker, once per job: wire version, seedline version
  kHelloReply,     // worker -> rank 0: wire version, threads, host name
  kRunStart,       // rank 0 -> worker: a run begins (or resumes) on this job
  kGenotype,       // rank 0 -> worker: one parent's genotype, only when resuming mid-way
  kSelection,      // rank 0 -> worker, per generation: the new parents as slot + seed
  kWork,           // rank 0 -> worker: a batch of work items
  kResults,        // worker -> rank 0: (item, reward, steps) for finished items
  kFailure,        // worker -> rank 0: an item threw; the message
  kRunEnd,         // rank 0 -> worker: forget the run's parents
  kShutdown,       // rank 0 -> worker: leave the job
  kEsState,        // rank 0 -> worker: an ES center's optimizer state, only when resuming mid-way
  kCenterUpdate,   // rank 0 -> worker, per ES generation: the members' fitnesses for the update
};
inline constexpr int kMessageKinds = 12;
// "hello", "work", ... for logs and the JSON counters; "unknown" outside the enum.
std::string_view kind_name(MessageKind kind);
// Whether `tag` (an MPI tag) is one of the kinds above.
bool is_message_kind(int tag);

using Bytes = std::vector<uint8_t>;

// Where a member's genotype comes from: init(seed) (root), the parent's own (elite), the
// parent's plus mutate(seed) (child) or, in an ES run, the center's plus sign * sigma *
// eps(seed) (member). `parent` indexes the current parents of the run (-1 for a root);
// `seed` is unused for an elite (and not sent); `sign` is sent for a member only.
struct Source {
  enum class Kind : uint8_t { kRoot = 0, kElite = 1, kChild = 2, kMember = 3 };
  Kind kind = Kind::kRoot;
  int32_t parent = -1;
  uint64_t seed = 0;
  float sign = 1;  // +1 or -1
  bool operator==(const Source&) const = default;
};

struct Hello {
  uint32_t wire_version = kWireVersion;
  std::string seedline_version;
  bool operator==(const Hello&) const = default;
};

struct HelloReply {
  uint32_t wire_version = kWireVersion;
  std::string seedline_version;
  uint32_t threads = 1;
  std::string host;
  bool operator==(const HelloReply&) const = default;
};

// A run begins (or resumes) on the job. `parents` genotypes follow as kGenotype messages
// when it is > 0 (a resumed run); a fresh run starts from roots. A resumed ES run (its
// config says "es") has one parent, its center, followed by an EsState.
struct RunStart {
  int64_t run_id = 0;
  uint32_t noise_version = 0;
  uint32_t parents = 0;
  std::string config_json;  // the run's condition config (evolve::ConditionConfig::to_json)
  // The run's evaluation arithmetic (kernels/version.hpp); on the wire right after noise_version.
  uint32_t kernel_version = 1;
  bool operator==(const RunStart&) const = default;
};

// One parent's genotype, with its xxh64 checksum (the receiver verifies it).
struct Genotype {
  int64_t run_id = 0;
  uint32_t slot = 0;
  uint64_t checksum = 0;
  std::vector<float> values;
  bool operator==(const Genotype&) const = default;
};

// A generation boundary: the new parents, best first, each derived from the current parents
// (or a root); `digest` is xxh64 over their genotype checksums (8 bytes each, little-endian,
// in order), so a worker whose derived genotypes differ by one bit fails loudly.
struct Selection {
  int64_t run_id = 0;
  std::vector<Source> parents;
  uint64_t digest = 0;
  bool operator==(const Selection&) const = default;
};

// One unit of work: one episode of one member (or one score of a function task, episode 0).
// `index` identifies the item within its stage's list; results refer to it. `member` is the
// population index (for messages and grouping), `source` how its genotype is derived.
struct WorkItem {
  uint32_t index = 0;
  uint32_t member = 0;
  Source source;
  uint32_t stage = 0;
  uint32_t episode = 0;
  uint64_t episode_seed = 0;
  bool operator==(const WorkItem&) const = default;
};

struct WorkBatch {
  std::vector<WorkItem> items;
  bool operator==(const WorkBatch&) const = default;
};

using Metric = std::pair<std::string, double>;

struct ItemResult {
  uint32_t index = 0;
  double reward = 0;
  int64_t steps = 0;
  std::vector<Metric> metrics;  // named numbers an evaluator reports besides the reward
  bool operator==(const ItemResult& o) const;  // doubles compared by bits (NaN == same NaN)
};

struct ResultBatch {
  std::vector<ItemResult> results;
  bool operator==(const ResultBatch&) const = default;
};

// Items that could not be evaluated (a rank evaluates items in chunks, and a chunk fails as
// a whole): the error's code (seedline::ErrorCode as a number) and message.
struct Failure {
  std::vector<uint32_t> indices;
  uint8_t code = 0;
  std::string message;
  bool operator==(const Failure&) const = default;
};

// An ES generation boundary (docs/es.md): the generation's members (kMember sources of the
// center, in member order) and their fitnesses (NaN for none), from which every rank applies
// the same update to its center; `digest` is selection_digest of the new center's checksum.
struct CenterUpdate {
  int64_t run_id = 0;
  std::vector<Source> members;
  std::vector<double> fitness;
  uint64_t digest = 0;
  bool operator==(const CenterUpdate& o) const;  // doubles compared by bits (NaN == same NaN)
};

// An ES center's optimizer state (es::OptimizerState) for a run resuming mid-way: updates
// applied so far and Adam's moments (empty for SGD), with xxh64 over m's then v's bytes.
struct EsState {
  int64_t run_id = 0;
  int64_t step = 0;
  std::vector<float> m, v;
  uint64_t checksum = 0;
  bool operator==(const EsState&) const = default;
};
// xxh64 over m's then v's little-endian bytes, as EsState::checksum.
uint64_t es_state_checksum(std::span<const float> m, std::span<const float> v);

struct RunEnd {
  int64_t run_id = 0;
  bool operator==(const RunEnd&) const = default;
};

Bytes encode(const Hello& m);
Bytes encode(const HelloReply& m);
Bytes encode(const RunStart& m);
Bytes encode(const Genotype& m);
Bytes encode(const Selection& m);
Bytes encode(const WorkBatch& m);
Bytes encode(const ResultBatch& m);
Bytes encode(const Failure& m);
Bytes encode(const RunEnd& m);
Bytes encode(const EsState& m);
Bytes encode(const CenterUpdate& m);

Hello decode_hello(std::span<const uint8_t> bytes);
HelloReply decode_hello_reply(std::span<const uint8_t> bytes);
RunStart decode_run_start(std::span<const uint8_t> bytes);
Genotype decode_genotype(std::span<const uint8_t> bytes);
Selection decode_selection(std::span<const uint8_t> bytes);
WorkBatch decode_work(std::span<const uint8_t> bytes);
ResultBatch decode_results(std::span<const uint8_t> bytes);
Failure decode_failure(std::span<const uint8_t> bytes);
RunEnd decode_run_end(std::span<const uint8_t> bytes);
EsState decode_es_state(std::span<const uint8_t> bytes);
CenterUpdate decode_center_update(std::span<const uint8_t> bytes);

// xxh64 over the checksums, as Selection::digest.
uint64_t selection_digest(std::span<const uint64_t> checksums);

}  // namespace seedline::distributed
