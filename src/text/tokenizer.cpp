#include "text/tokenizer.hpp"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <fstream>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "util/error.hpp"

namespace seedline::text {
namespace {

// Built with append: g++ 12 warns falsely (-Wrestrict) on "'" + std::string(...).
std::string quoted(const std::filesystem::path& p) {
  std::string out(1, '\'');
  out.append(p.string()).push_back('\'');
  return out;
}

std::string read_text(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) not_found(quoted(path) + ": no such text file");
  if (std::filesystem::is_directory(path, ec)) invalid_argument(quoted(path) + " is a directory, not a text file");
  std::ifstream in(path, std::ios::binary);
  if (!in) io_error("cannot read " + quoted(path));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) io_error("error reading " + quoted(path));
  return std::move(s).str();
}

// Whitespace at both ends removed, inner line breaks (and tabs) turned into spaces.
std::string clean_record(std::string_view r) {
  std::string out(r);
  for (char& ch : out) {
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  }
  const size_t b = out.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  return out.substr(b, out.find_last_not_of(' ') - b + 1);
}

std::vector<std::string> split_records(const std::string& text, const std::optional<std::string>& delimiter) {
  std::vector<std::string> records;
  const std::string sep = delimiter.value_or("\n");
  size_t at = 0;
  while (at <= text.size()) {
    size_t next = text.find(sep, at);
    if (next == std::string::npos) next = text.size();
    std::string r = clean_record(std::string_view(text).substr(at, next - at));
    if (!r.empty()) records.push_back(std::move(r));
    at = next + sep.size();
  }
  return records;
}

class RecordIterator final : public sentencepiece::SentenceIterator {
 public:
  explicit RecordIterator(const std::vector<std::string>& records) : records_(records) {}
  bool done() const override { return i_ >= records_.size(); }
  void Next() override { ++i_; }
  const std::string& value() const override { return records_[i_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& records_;
  size_t i_ = 0;
};

void check_output(const std::filesystem::path& path, const char* what) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    invalid_argument(std::string(what) + ": " + quoted(path) + " exists and is not a regular file");
  }
}

// Writes `contents` to `path` through a temporary file in the same directory and a rename.
void write_atomically(const std::filesystem::path& path, const std::string& contents) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) io_error("cannot write " + quoted(tmp));
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      io_error("error writing " + quoted(tmp) + " (disk full?)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    io_error("cannot rename " + quoted(tmp) + " to " + quoted(path));
  }
}

}  // namespace

TokenizeResult tokenize_corpus(const TokenizeOptions& o) {
  if (o.vocab < 8 || o.vocab > 1'000'000) {
    invalid_argument("--vocab: must be in [8, 1000000] (got " + std::to_string(o.vocab) + ")");
  }
  if (o.delimiter && o.delimiter->empty()) invalid_argument("--delimiter: must not be empty");
  check_output(o.out, "--out");
  check_output(o.model, "--model");
  const std::vector<std::string> records = split_records(read_text(o.text), o.delimiter);
  if (records.empty()) invalid_argument(quoted(o.text) + " holds no records (every line or record is empty)");

  TokenizeResult result;
  sentencepiece::SentencePieceProcessor sp;
  std::error_code ec;
  if (std::filesystem::exists(o.model, ec)) {
    const auto status = sp.Load(o.model.string());
    if (!status.ok()) invalid_argument("--model: " + quoted(o.model) + " is not a SentencePiece model: " + status.ToString());
  } else {
    // BPE pieces only: <unk> keeps id 0, no <s>/</s>/<pad> (the task adds its own), every
    // character of the corpus covered, long records kept.
    const std::unordered_map<std::string, std::string> args = {
        {"model_type", "bpe"},          {"vocab_size", std::to_string(o.vocab)},
        {"unk_id", "0"},                {"bos_id", "-1"},
        {"eos_id", "-1"},               {"pad_id", "-1"},
        {"character_coverage", "1.0"},  {"max_sentence_length", "1000000"},
        {"minloglevel", "2"},           {"num_threads", "1"}};
    RecordIterator it(records);
    std::string proto;
    const auto status = sentencepiece::SentencePieceTrainer::Train(args, &it, &proto);
    if (!status.ok()) invalid_argument("training a BPE model on " + quoted(o.text) + " failed: " + status.ToString());
    const auto loaded = sp.LoadFromSerializedProto(proto);
    if (!loaded.ok()) fail(ErrorCode::kInternal, "the trained model does not load: " + loaded.ToString());
    write_atomically(o.model, proto);
    result.trained = true;
  }
  result.vocab = sp.GetPieceSize();

  std::string out;
  std::vector<int> ids;
  for (size_t i = 0; i < records.size(); ++i) {
    const auto status = sp.Encode(records[i], &ids);
    if (!status.ok()) invalid_argument("record " + std::to_string(i + 1) + " does not encode: " + status.ToString());
    if (ids.empty()) continue;
    for (size_t k = 0; k < ids.size(); ++k) {
      if (k) out.push_back(' ');
      out += std::to_string(ids[k]);
    }
    out.push_back('\n');
    result.records += 1;
    result.tokens += static_cast<int64_t>(ids.size());
    if (o.progress && (i % 1024 == 0 || i + 1 == records.size())) o.progress(static_cast<int64_t>(i) + 1, static_cast<int64_t>(records.size()));
  }
  write_atomically(o.out, out);
  return result;
}

}  // namespace seedline::text
