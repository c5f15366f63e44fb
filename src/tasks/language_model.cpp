#include "tasks/language_model.hpp"

#include <xxhash.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "nn/transformer.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"
#include "util/input_file.hpp"

namespace seedline::tasks {
namespace {

// The largest BPE id accepted in a file (a typo guard far beyond any real vocabulary).
constexpr int64_t kMaxTokenId = (int64_t{1} << 31) - 1 - nn::kFirstBpeToken;

// Built with append: g++ 12 warns falsely (-Wrestrict) on "'" + std::string(...).
std::string quoted(const std::filesystem::path& p) {
  std::string out(1, '\'');
  out.append(p.string()).push_back('\'');
  return out;
}

// A word of a data line for messages, cut to 20 characters.
std::string word_text(std::string_view w) {
  std::string out(1, '\'');
  out.append(w.substr(0, 20)).append(w.size() > 20 ? "...'" : "'");
  return out;
}

}  // namespace

LanguageModelTask::LanguageModelTask(std::filesystem::path data, int64_t sequences,
                                     std::optional<int64_t> expected_bytes, std::optional<std::string> expected_xxh64,
                                     bool load_data)
    : Task(1),
      data_(std::filesystem::absolute(std::move(data)).lexically_normal()),
      sequences_(sequences),
      expected_bytes_(expected_bytes),
      expected_xxh64_(std::move(expected_xxh64)) {
  if (load_data) load();
}

void LanguageModelTask::load() {
  const std::string where = "task.data: " + quoted(data_);
  // A regular file only: /dev/zero would be read without end, a FIFO would block.
  auto in = InputFile::open(data_, "token file", where);
  // One pass: every byte goes into the hash, and lines are parsed until enough sequences.
  std::unique_ptr<XXH64_state_t, decltype(&XXH64_freeState)> state(XXH64_createState(), &XXH64_freeState);
  XXH64_reset(state.get(), 0);
  std::string pending;
  int64_t line_number = 0;
  const auto want_more = [&] { return sequences_ == 0 || sequence_count() < sequences_; };
  const auto parse_line = [&](std::string_view line) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string at = where + " line " + std::to_string(line_number) + ": ";
    tokens_.push_back(nn::kStartToken);
    size_t words = 0;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i == line.size()) break;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      const std::string_view w = line.substr(i, j - i);
      int64_t id = 0;
      const auto [end, err] = std::from_chars(w.data(), w.data() + w.size(), id);
      if (err == std::errc::result_out_of_range || (err == std::errc() && end == w.data() + w.size() && id < 0)) {
        invalid_argument(at + "token id " + word_text(w) + " is out of range (ids are integers >= 0)");
      }
      if (err != std::errc() || end != w.data() + w.size()) {
        invalid_argument(at + word_text(w) + " is not a token id (expected whitespace-separated integers)");
      }
      if (id > kMaxTokenId) invalid_argument(at + "token id " + std::string(w) + " is out of range");
      if (id > max_id_) {
        max_id_ = id;
        max_id_line_ = line_number;
      }
      tokens_.push_back(static_cast<int32_t>(id + nn::kFirstBpeToken));
      ++words;
      i = j;
    }
    if (words == 0) invalid_argument(at + "empty line (every line is one sequence of token ids)");
    tokens_.push_back(nn::kEndToken);
    offsets_.push_back(static_cast<int64_t>(tokens_.size()));
  };
  std::vector<char> buffer(size_t{1} << 20);
  for (;;) {
    const size_t got = in.read_some(buffer.data(), buffer.size());
    if (got == 0) break;
    XXH64_update(state.get(), buffer.data(), got);
    bytes_ += static_cast<int64_t>(got);
    if (!want_more()) continue;
    pending.append(buffer.data(), got);
    size_t start = 0;
    for (size_t nl; want_more() && (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      parse_line(std::string_view(pending).substr(start, nl - start));
    }
    pending.erase(0, start);
    if (!want_more()) pending.clear();
  }
  if (want_more() && !pending.empty()) parse_line(pending);  // a last line without '\n'
  xxh64_ = hex16(XXH64_digest(state.get()));
  if (sequence_count() == 0) invalid_argument(where + " holds no sequences");
  if (sequences_ > 0 && sequence_count() < sequences_) {
    invalid_argument("task.sequences: " + quoted(data_) + " has only " + std::to_string(sequence_count()) +
                     " sequences, fewer than the " + std::to_string(sequences_) + " asked for");
  }
  if ((expected_bytes_ && *expected_bytes_ != bytes_) || (expected_xxh64_ && *expected_xxh64_ != xxh64_)) {
    failed_precondition(where + " changed since the experiment was submitted (now " + std::to_string(bytes_) +
                        " bytes, xxh64 " + xxh64_ + "; submitted " +
                        (expected_bytes_ ? std::to_string(*expected_bytes_) : std::string("?")) + " bytes, xxh64 " +
                        expected_xxh64_.value_or("?") + "); a run never continues on different data");
  }
  loaded_ = true;
}

nlohmann::json LanguageModelTask::resolved_spec() const {
  nlohmann::json j = {{"type", name()}, {"data", data_.string()}};
  if (loaded_) {
    j["sequences"] = sequence_count();
    j["bytes"] = bytes_;
    j["xxh64"] = xxh64_;
  } else {
    if (sequences_ > 0) j["sequences"] = sequences_;
    if (expected_bytes_) j["bytes"] = *expected_bytes_;
    if (expected_xxh64_) j["xxh64"] = *expected_xxh64_;
  }
  return j;
}

void LanguageModelTask::check_vocabulary(int64_t vocab) const {
  if (!loaded_) return;
  if (max_id_ >= vocab - nn::kFirstBpeToken) {
    invalid_argument("task.data: " + quoted(data_) + " line " + std::to_string(max_id_line_) + ": token id " +
                     std::to_string(max_id_) + " is out of range for the network's vocab " + std::to_string(vocab) +
                     " (BPE ids must be < vocab - 3 = " + std::to_string(vocab - nn::kFirstBpeToken) + ")");
  }
}

int64_t LanguageModelTask::predicted_positions(int64_t context) const {
  int64_t n = 0;
  for (int64_t s = 0; s < sequence_count(); ++s) {
    const int64_t len = offsets_[static_cast<size_t>(s) + 1] - offsets_[static_cast<size_t>(s)];
    n += (context > 0 ? std::min(len, context) : len) - 1;
  }
  return n;
}

double LanguageModelTask::score_network(const nn::TransformerWeights& model) const {
  if (!loaded_) failed_precondition("task 'language_model': built without its data file; cannot score");
  check_vocabulary(model.config.vocab);
  // One workspace per thread, kept across calls: the activations are allocated once.
  thread_local nn::TransformerWorkspace workspace;
  const nn::LossSum loss = nn::transformer_loss(model, {tokens_, offsets_}, workspace);
  const double mean = loss.nats / static_cast<double>(loss.predicted);
  // A broken network (NaN or infinite loss) is the worst individual rather than an unordered NaN.
  return std::isfinite(mean) ? -mean : -std::numeric_limits<double>::infinity();
}

}  // namespace seedline::tasks
