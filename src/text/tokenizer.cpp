#include "text/tokenizer.hpp"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <unordered_map>
#include <vector>

#include "util/error.hpp"
#include "util/input_file.hpp"
#include "util/output_path.hpp"

namespace seedline::text {
namespace {

// Built with append: g++ 12 warns falsely (-Wrestrict) on "'" + std::string(...).
std::string quoted(const std::filesystem::path& p) {
  std::string out(1, '\'');
  out.append(p.string()).push_back('\'');
  return out;
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

// The text's records, one at a time, from a stream read in 1 MiB chunks: memory holds one
// record (at most kMaxRecordBytes) and one chunk, whatever the file's size.
class RecordReader {
 public:
  RecordReader(const std::filesystem::path& path, const std::optional<std::string>& delimiter)
      : file_(InputFile::open(path, "text file", quoted(path))), sep_(delimiter.value_or("\n")) {}

  // The next non-empty record, cleaned; false at the end. A record longer than
  // kMaxRecordBytes is refused naming the line it starts on.
  bool next(std::string& record) {
    for (;;) {
      const size_t at = pending_.find(sep_, std::max(scanned_, begin_));
      if (at != std::string::npos) {
        if (emit(at, record)) return true;
        continue;
      }
      const size_t held = pending_.size() - begin_;
      if (held > static_cast<size_t>(kMaxRecordBytes) + sep_.size()) too_long();
      // The last sep-1 bytes stay unscanned: a separator may straddle two chunks.
      scanned_ = std::max(begin_, pending_.size() - std::min(pending_.size(), sep_.size() - 1));
      if (eof_) {
        if (held == 0) return false;
        if (emit(pending_.size(), record)) return true;
        continue;
      }
      fill();
    }
  }

 private:
  void fill() {
    pending_.erase(0, begin_);
    scanned_ -= begin_;
    begin_ = 0;
    const size_t old = pending_.size();
    pending_.resize(old + kChunk);
    const size_t got = file_.read_some(pending_.data() + old, kChunk);
    pending_.resize(old + got);
    if (got == 0) eof_ = true;
  }

  // The record is pending_[begin_, end); the separator (if any) follows it.
  bool emit(size_t end, std::string& record) {
    if (end - begin_ > static_cast<size_t>(kMaxRecordBytes)) too_long();
    record = clean_record(std::string_view(pending_).substr(begin_, end - begin_));
    const size_t consumed = std::min(pending_.size(), end + sep_.size());
    line_ += std::count(pending_.begin() + static_cast<std::ptrdiff_t>(begin_),
                        pending_.begin() + static_cast<std::ptrdiff_t>(consumed), '\n');
    begin_ = scanned_ = consumed;
    return !record.empty();
  }

  [[noreturn]] void too_long() const {
    invalid_argument(file_.display() + " line " + std::to_string(line_) +
                     ": the record starting here is longer than 1 MiB (" + std::to_string(kMaxRecordBytes) +
                     " bytes), the most seedline tokenize encodes as one record; break it into shorter records (" +
                     (sep_ == "\n" ? std::string("lines") : std::string("with the --delimiter string")) + ")");
  }

  static constexpr size_t kChunk = size_t{1} << 20;
  InputFile file_;
  std::string sep_;
  std::string pending_;
  size_t begin_ = 0;    // the pending record starts here
  size_t scanned_ = 0;  // pending_[begin_, scanned_) holds no separator
  int64_t line_ = 1;    // the line the pending record starts on
  bool eof_ = false;
};

// Pieces of at most kMaxTrainingRecordBytes for the trainer, cut after a space where there is
// one and never inside a UTF-8 character. BPE pieces never span a space, so a record cut at
// spaces teaches the trainer the same pieces as the whole record.
void add_training_pieces(const std::string& record, std::vector<std::string>& out) {
  const size_t limit = static_cast<size_t>(kMaxTrainingRecordBytes);
  size_t at = 0;
  while (record.size() - at > limit) {
    size_t cut = record.rfind(' ', at + limit - 1);
    if (cut == std::string::npos || cut <= at) {
      cut = at + limit;
      while (cut > at && (static_cast<unsigned char>(record[cut]) & 0xC0) == 0x80) --cut;  // a continuation byte
      if (cut == at) cut = at + limit;  // not UTF-8 at all: cut anywhere
    } else {
      cut += 1;
    }
    out.push_back(record.substr(at, cut - at));
    at = cut;
  }
  out.push_back(record.substr(at));
}

// SentencePiece's messages suggest its own flags (--character_coverage, --vocab_size), which
// seedline tokenize does not have: the two a user can meet are said in seedline's terms.
std::string training_failure(const std::string& status, int vocab) {
  const auto figure_after = [&](const std::string& marker) -> std::string {
    const size_t at = status.find(marker);
    if (at == std::string::npos) return {};
    size_t b = at + marker.size();
    size_t e = b;
    while (e < status.size() && std::isdigit(static_cast<unsigned char>(status[e])) != 0) ++e;
    return status.substr(b, e - b);
  };
  if (status.find("Vocabulary size is smaller than required_chars") != std::string::npos) {
    const std::string needed = figure_after(" vs ");
    return "--vocab " + std::to_string(vocab) + " is too small: every distinct character of the training sample " +
           "(and the word-start mark) needs a piece of its own" +
           (needed.empty() ? std::string() : ", " + needed + " with <unk>") +
           "; use --vocab " + (needed.empty() ? std::string("larger") : needed + " or more");
  }
  if (status.find("Vocabulary size too high") != std::string::npos) {
    const std::string most = figure_after("<= ");
    return "--vocab " + std::to_string(vocab) + " is more pieces than the corpus can make" +
           (most.empty() ? std::string() : " (at most " + most + ")") + "; use a smaller --vocab or a larger corpus";
  }
  return "SentencePiece: " + status;
}

// The training sample: every stride-th record, cut into pieces, at most
// kTrainingSampleBytes in all (so the trainer's memory does not grow with the corpus).
std::vector<std::string> training_sample(const TokenizeOptions& o, int64_t records, int64_t bytes) {
  const int64_t stride = std::max<int64_t>(1, (bytes + kTrainingSampleBytes - 1) / kTrainingSampleBytes);
  std::vector<std::string> sample;
  int64_t taken = 0;
  int64_t index = 0;
  RecordReader reader(o.text, o.delimiter);
  std::string record;
  while (index < records && reader.next(record)) {
    if (index++ % stride != 0) continue;
    if (taken + static_cast<int64_t>(record.size()) > kTrainingSampleBytes) break;
    taken += static_cast<int64_t>(record.size());
    add_training_pieces(record, sample);
  }
  return sample;
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

// An output that exists must be a regular file: the rename at the end would replace anything
// else (a device node, a FIFO) with a regular file.
void check_output(const std::filesystem::path& path, const char* what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    invalid_argument(std::string(what) + ": " + quoted(path) + ": is " + file_type_description(st.st_mode) +
                     ", not a regular file");
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
  // A first pass counts the records and checks every record's length, before anything is
  // trained or written.
  int64_t records = 0;
  int64_t bytes = 0;
  {
    RecordReader reader(o.text, o.delimiter);
    std::string record;
    while (reader.next(record)) {
      ++records;
      bytes += static_cast<int64_t>(record.size());
    }
  }
  if (records == 0) invalid_argument(quoted(o.text) + " holds no records (every line or record is empty)");

  TokenizeResult result;
  sentencepiece::SentencePieceProcessor sp;
  std::error_code ec;
  if (std::filesystem::exists(o.model, ec) || std::filesystem::is_symlink(o.model, ec)) {
    auto file = InputFile::open(o.model, "SentencePiece model", "--model: " + quoted(o.model));
    if (file.size() > kMaxModelBytes) {
      invalid_argument("--model: " + quoted(o.model) + " is " + std::to_string(file.size()) +
                       " bytes, more than a SentencePiece model of 1,000,000 pieces; not a model");
    }
    const auto status = sp.LoadFromSerializedProto(file.read_all());
    if (!status.ok()) invalid_argument("--model: " + quoted(o.model) + " is not a SentencePiece model: " + status.ToString());
  } else {
    // BPE pieces only: <unk> keeps id 0, no <s>/</s>/<pad> (the task adds its own), every
    // character of the sample covered. The sample (training_sample) bounds the trainer's
    // memory; its pieces are never longer than max_sentence_length, so none is skipped.
    const std::unordered_map<std::string, std::string> args = {
        {"model_type", "bpe"},
        {"vocab_size", std::to_string(o.vocab)},
        {"unk_id", "0"},
        {"bos_id", "-1"},
        {"eos_id", "-1"},
        {"pad_id", "-1"},
        {"character_coverage", "1.0"},
        {"max_sentence_length", std::to_string(kMaxTrainingRecordBytes)},
        {"input_sentence_size", "0"},
        {"minloglevel", "2"},
        {"num_threads", "1"}};
    const std::vector<std::string> sample = training_sample(o, records, bytes);
    RecordIterator it(sample);
    std::string proto;
    const auto status = sentencepiece::SentencePieceTrainer::Train(args, &it, &proto);
    if (!status.ok()) {
      invalid_argument("training a BPE model on " + quoted(o.text) + " failed: " +
                       training_failure(status.ToString(), o.vocab));
    }
    const auto loaded = sp.LoadFromSerializedProto(proto);
    if (!loaded.ok()) fail(ErrorCode::kInternal, "the trained model does not load: " + loaded.ToString());
    write_atomically(o.model, proto);
    result.trained = true;
  }
  result.vocab = sp.GetPieceSize();

  // Encoded record by record into a temporary sibling, renamed into place at the end.
  const std::filesystem::path tmp = temporary_sibling(o.out);
  struct RemoveTmp {
    const std::filesystem::path& path;
    bool keep = false;
    ~RemoveTmp() {
      std::error_code e;
      if (!keep) std::filesystem::remove(path, e);
    }
  } remove_tmp{tmp};
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) io_error("cannot write " + quoted(tmp));
  RecordReader reader(o.text, o.delimiter);
  std::string record;
  std::string line;
  std::vector<int> ids;
  int64_t i = 0;
  while (reader.next(record)) {
    ++i;
    const auto status = sp.Encode(record, &ids);
    if (!status.ok()) invalid_argument("record " + std::to_string(i) + " does not encode: " + status.ToString());
    if (!ids.empty()) {
      line.clear();
      for (size_t k = 0; k < ids.size(); ++k) {
        if (k) line.push_back(' ');
        line += std::to_string(ids[k]);
      }
      line.push_back('\n');
      out.write(line.data(), static_cast<std::streamsize>(line.size()));
      result.records += 1;
      result.tokens += static_cast<int64_t>(ids.size());
    }
    if (o.progress && (i % 1024 == 1 || i == records)) o.progress(i, std::max(i, records));
  }
  out.flush();
  if (!out) io_error("error writing " + quoted(tmp) + " (disk full?)");
  out.close();
  std::filesystem::rename(tmp, o.out, ec);
  if (ec) io_error("cannot rename " + quoted(tmp) + " to " + quoted(o.out) + ": " + ec.message());
  remove_tmp.keep = true;
  return result;
}

}  // namespace seedline::text
