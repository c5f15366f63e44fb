// The `language_model` task: a transformer scored on a fixed, pre-tokenized data set
// (docs/language-models.md, docs/tasks.md).
//
//   {"type": "language_model", "data": "PATH", "sequences": N}
// The data file is UTF-8 text, one sequence per line, whitespace-separated BPE token ids
// (integers in [0, V - 3) for the network's vocabulary V). The first N lines (default: all)
// are used every generation; each is fed as <s> t_1+3 .. t_k+3 </s> (vocabulary layout
// <unk> 0, <s> 1, </s> 2, BPE token t at t + 3). Fitness = -(mean next-token cross-entropy in
// nats over every predicted position of every used sequence), token-weighted.
//
// The resolved spec records the file's absolute path, its size in bytes and its xxh64 (seed
// 0, as 16 hex digits); a task built from a spec that carries them refuses a file whose size
// or hash differ, so a stored run never continues on different data.
//
// Thread-safety: immutable after construction; score_network may run on many threads at once
// (each thread keeps its own activation workspace). Failure (seedline::Error naming the file,
// the line and the value): kNotFound for a missing file, kInvalidArgument for a malformed one
// (empty line, a word that is not a token id, an id out of range, fewer lines than N), kIOError
// for a read error, kFailedPrecondition for a file that changed since submission.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tasks/task.hpp"

namespace seedline::tasks {

class LanguageModelTask final : public Task {
 public:
  // `sequences` 0: every line. `expected_bytes`/`expected_xxh64`: the recorded size and hash
  // (from a stored spec), or nullopt. With `load` false only the fields are kept (the genome
  // can be built without reading the file); score_network then throws kFailedPrecondition.
  LanguageModelTask(std::filesystem::path data, int64_t sequences, std::optional<int64_t> expected_bytes,
                    std::optional<std::string> expected_xxh64, bool load);

  std::string name() const override { return "language_model"; }
  int observation_size() const override { return 0; }
  int action_size() const override { return 0; }
  ActionKind action_kind() const override { return ActionKind::kContinuous; }
  bool scores_phenotype() const override { return false; }
  bool scores_network() const override { return true; }
  bool scores_once() const override { return true; }  // deterministic: one item per member and stage
  std::string fitness_label() const override { return "loss"; }
  nlohmann::json resolved_spec() const override;
  double score_network(const nn::TransformerWeights& model) const override;

  // Throws kInvalidArgument naming the file, line and value when a token id does not fit a
  // vocabulary of `vocab` entries (ids must be < vocab - 3).
  void check_vocabulary(int64_t vocab) const;

  int64_t sequence_count() const { return static_cast<int64_t>(offsets_.size()) - 1; }
  int64_t predicted_positions(int64_t context) const;  // positions scored per evaluation
  const std::vector<int32_t>& fed_tokens() const { return tokens_; }
  const std::vector<int64_t>& offsets() const { return offsets_; }

 private:
  void load();

  std::filesystem::path data_;
  int64_t sequences_;  // as asked (0: all)
  std::optional<int64_t> expected_bytes_;
  std::optional<std::string> expected_xxh64_;
  bool loaded_ = false;
  int64_t bytes_ = 0;
  std::string xxh64_;
  std::vector<int32_t> tokens_;   // fed: <s> t+3 .. </s> per sequence, back to back
  std::vector<int64_t> offsets_{0};
  int64_t max_id_ = -1;           // largest BPE id used, and the line it first occurs on
  int64_t max_id_line_ = 0;
};

}  // namespace seedline::tasks
