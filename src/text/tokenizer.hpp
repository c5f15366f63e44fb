// BPE tokenization of a text corpus into seedline's token file (docs/language-models.md):
// trains a SentencePiece BPE model (Debian's libsentencepiece) on the corpus' records, or
// loads an existing one, and writes one line of token ids per record.
//
// Records are the non-empty lines of the text, or, with a delimiter, the text between
// occurrences of the delimiter (newlines inside a record become spaces; empty records are
// skipped). Ids are SentencePiece's: 0 is <unk>, 1 .. vocab-1 are BPE pieces (no <s>/</s>,
// which the language_model task adds itself), so a network for a vocab-2048 model has
// vocab 2051.
//
// The corpus is streamed (docs/language-models.md, "Tokenizing a corpus"): read three times
// in 1 MiB chunks (count and check, training sample, encoding), never whole, so memory is
// bounded by the training sample (kTrainingSampleBytes) and the record limit
// (kMaxRecordBytes; SentencePiece's encoder holds ~200 bytes per byte of a record), not by
// the corpus. A record longer than kMaxRecordBytes is refused naming the line it starts
// on; the trainer sees records cut into pieces of at most kMaxTrainingRecordBytes.
//
// Thread-safety: tokenize_corpus may run concurrently with itself on different files.
// Failure: seedline::Error kNotFound (missing text or model file), kInvalidArgument (bad
// vocab size, empty corpus, a record over the limit, a text or model that is not a regular
// file, an output path that exists and is not a regular file, a model SentencePiece
// refuses, a --vocab the sample cannot train), kIOError (read/write errors). The output is written to a temporary
// file and renamed, so a failure leaves no partial token file; a trained model is written
// only after training succeeded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace seedline::text {

// The longest record encoded (1 MiB): a longer one is refused naming its line.
inline constexpr int64_t kMaxRecordBytes = int64_t{1} << 20;
// The training sample: every k-th record, k chosen so the sample holds at most this (16 MiB).
inline constexpr int64_t kTrainingSampleBytes = int64_t{16} << 20;
// Records are cut (after a space where possible) into pieces of at most this for training
// (SentencePiece's max_sentence_length): 64 KiB.
inline constexpr int64_t kMaxTrainingRecordBytes = int64_t{64} << 10;
// The largest model file loaded (256 MiB; a model of 1,000,000 pieces is far smaller).
inline constexpr int64_t kMaxModelBytes = int64_t{256} << 20;

struct TokenizeOptions {
  std::filesystem::path text;             // the corpus (UTF-8)
  std::filesystem::path model;            // SentencePiece model file: loaded if it exists, else trained and written
  std::filesystem::path out;              // the token file
  int vocab = 2048;                       // BPE vocabulary when training (pieces incl. <unk>); 8..1,000,000
  std::optional<std::string> delimiter;   // records split by this string; default: one record per line
  // Called now and then with (records encoded, records in total); may be empty.
  std::function<void(int64_t, int64_t)> progress;
};

struct TokenizeResult {
  bool trained = false;   // false: an existing model only encoded
  int vocab = 0;          // the model's pieces
  int64_t records = 0;    // lines written
  int64_t tokens = 0;     // ids written
};

TokenizeResult tokenize_corpus(const TokenizeOptions& options);

}  // namespace seedline::text
