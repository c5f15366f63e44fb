// `seedline tokenize` streams its corpus (docs/language-models.md, "Tokenizing a corpus"):
// memory is bounded by the training sample and the record limit, not by the longest record
// or the corpus; a record over the limit is refused naming its line; SentencePiece's own
// flag suggestions (--character_coverage) never reach the user. The audit measured ~228
// bytes of memory per byte of the longest record (a 4 MB line: 911 MB) and an opaque
// internal error on a very long line.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <sstream>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "text/tokenizer.hpp"

namespace seedline::text {
namespace {

using seedline::testing::read_file;
using seedline::testing::run_seedline;
using seedline::testing::TempDir;
using seedline::testing::write_file;

struct Measured {
  int exit_code = -1;
  long max_rss_kib = 0;
  std::string err;
};

// Runs seedline with `args` and returns its exit code, stderr and peak resident memory
// (wait4's rusage of that one child), under a 120 s kill.
Measured measured_seedline(const std::vector<std::string>& args, const std::filesystem::path& dir) {
  const auto err_path = dir / "measured.err";
  std::vector<std::string> argv = {seedline::testing::seedline_bin().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(err, 2);
    ::dup2(null, 1);
    ::alarm(120);  // inherited across exec: SIGALRM ends a hung child
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  int status = 0;
  struct rusage usage {};
  ::wait4(pid, &status, 0, &usage);
  Measured m;
  m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  m.max_rss_kib = usage.ru_maxrss;
  m.err = read_file(err_path);
  return m;
}

// `bytes` of words separated by single spaces, drawn from `seed` out of a lexicon of 3,000
// words of 2..9 letters: natural text repeats its words, and the BPE trainer's memory and
// time grow with the distinct words.
std::string words(size_t bytes, unsigned seed) {
  static const std::vector<std::string> kLexicon = [] {
    std::mt19937 rng(12345);
    std::vector<std::string> out;
    for (int w = 0; w < 3000; ++w) {
      std::string word;
      const int n = 2 + static_cast<int>(rng() % 8);
      for (int i = 0; i < n; ++i) word.push_back(static_cast<char>('a' + rng() % 26));
      out.push_back(word);
    }
    return out;
  }();
  std::mt19937 rng(seed);
  std::string out;
  while (out.size() < bytes) {
    if (!out.empty()) out.push_back(' ');
    out += kLexicon[rng() % kLexicon.size()];
  }
  out.resize(bytes);
  if (out.back() == ' ') out.back() = 'x';
  return out;
}

TEST(Tokenize, ARecordOverTheLimitIsRefusedNamingItsLineBeforeAnythingIsWritten) {
  TempDir dir;
  const std::string text = "first line\nsecond line\n" + words(static_cast<size_t>(kMaxRecordBytes) + 10, 1) + "\nlast\n";
  write_file(dir / "corpus.txt", text);
  const auto r = run_seedline({"tokenize", (dir / "corpus.txt").string(), "--model", (dir / "m.model").string(),
                               "--out", (dir / "out.tokens").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // Appended: g++ 12 warns falsely (-Wrestrict) on "'" + std::string(...).
  std::string expected(1, '\'');
  expected.append((dir / "corpus.txt").string())
      .append("' line 3: the record starting here is longer than 1 MiB (1048576 bytes), the most seedline "
              "tokenize encodes as one record; break it into shorter records (lines)");
  EXPECT_NE(r.err.find(expected), std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "m.model"));
  EXPECT_FALSE(std::filesystem::exists(dir / "out.tokens"));
  // With a delimiter, the line the record starts on.
  write_file(dir / "delimited.txt", "a<|e|>b\nc<|e|>\n\n" + std::string(kMaxRecordBytes + 1, 'z') + "<|e|>d");
  const auto d = run_seedline({"tokenize", (dir / "delimited.txt").string(), "--delimiter", "<|e|>", "--model",
                               (dir / "m.model").string(), "--out", (dir / "out.tokens").string()});
  EXPECT_EQ(d.exit_code, 1) << d.err;
  EXPECT_NE(d.err.find("delimited.txt' line 2: the record starting here is longer than 1 MiB"), std::string::npos)
      << d.err;
  EXPECT_NE(d.err.find("(with the --delimiter string)"), std::string::npos) << d.err;
}

// Before, memory grew by ~170-230 bytes per byte of the longest record, mostly in
// SentencePiece's encoder (a 4 MB line: 911 MB; a 30 MB line ran on for minutes). Now a
// record over 1 MiB is refused after reading at most that much, and a corpus of records up
// to the limit stays within a generous bound (measured: README, "Performance").
TEST(Tokenize, MemoryIsBoundedByTheRecordLimitNotTheLongestRecord) {
  TempDir dir;
  std::string text;
  for (unsigned i = 0; i < 100; ++i) text += words(200, 100 + i) + "\n";
  write_file(dir / "huge-line.txt", text + words(size_t{4} << 20, 7) + "\n" + text);
  const auto refused = measured_seedline({"tokenize", (dir / "huge-line.txt").string(), "--vocab", "300", "--model",
                                          (dir / "m.model").string(), "--out", (dir / "out.tokens").string()},
                                         dir.path());
  std::printf("tokenize refusing a 4 MiB line: max RSS %ld KiB\n", refused.max_rss_kib);
  EXPECT_EQ(refused.exit_code, 1) << refused.err;
  EXPECT_NE(refused.err.find("line 101: the record starting here is longer than 1 MiB"), std::string::npos)
      << refused.err;
  EXPECT_LT(refused.max_rss_kib, 100 * 1024) << "KiB";

  write_file(dir / "long-records.txt",
             text + words(static_cast<size_t>(kMaxRecordBytes) - 100, 1) + "\n" +
                 words(static_cast<size_t>(kMaxRecordBytes) - 100, 2) + "\n");
  const auto m = measured_seedline({"tokenize", (dir / "long-records.txt").string(), "--vocab", "300", "--model",
                                    (dir / "m.model").string(), "--out", (dir / "out.tokens").string()},
                                   dir.path());
  ASSERT_EQ(m.exit_code, 0) << m.err;
  std::printf("tokenize of 2 records of 1 MiB and 100 short ones: max RSS %ld KiB\n", m.max_rss_kib);
  EXPECT_LT(m.max_rss_kib, 400 * 1024) << "KiB";
  // Every record was encoded, each on its own line.
  const std::string out = read_file(dir / "out.tokens");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 102);
}

// Records split across the 1 MiB read chunks by a multi-byte delimiter come out the same as
// the same records one per line.
TEST(Tokenize, RecordsAcrossReadChunksComeOutWhole) {
  TempDir dir;
  std::vector<std::string> records;
  size_t total = 0;
  for (unsigned i = 0; total < (size_t{5} << 20) / 2; ++i) {
    records.push_back(words(1000 + (i * 7919) % 60000, i));
    total += records.back().size();
  }
  std::string delimited, lines;
  for (const auto& r : records) {
    delimited += r + "<|endoftext|>";
    lines += r + "\n";
  }
  write_file(dir / "delimited.txt", delimited);
  write_file(dir / "lines.txt", lines);
  const auto model = (dir / "m.model").string();
  auto r = run_seedline({"tokenize", (dir / "lines.txt").string(), "--vocab", "200", "--model", model, "--out",
                         (dir / "lines.tokens").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_seedline({"tokenize", (dir / "delimited.txt").string(), "--delimiter", "<|endoftext|>", "--model", model,
                    "--out", (dir / "delimited.tokens").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string a = read_file(dir / "lines.tokens");
  EXPECT_EQ(std::count(a.begin(), a.end(), '\n'), static_cast<std::ptrdiff_t>(records.size()));
  EXPECT_EQ(a, read_file(dir / "delimited.tokens"));
}

TEST(Tokenize, MessagesNameSeedlinesOptionsNotSentencePiecesFlags) {
  TempDir dir;
  // 300 distinct characters (and the word-start mark): a vocabulary of 100 cannot give each
  // its piece.
  std::string text;
  for (int cp = 0x4E00; cp < 0x4E00 + 300; ++cp) {
    text += static_cast<char>(0xE0 | (cp >> 12));
    text += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    text += static_cast<char>(0x80 | (cp & 0x3F));
    if (cp % 20 == 0) text += '\n';
  }
  write_file(dir / "corpus.txt", text + "\n");
  const auto r = run_seedline({"tokenize", (dir / "corpus.txt").string(), "--vocab", "100", "--model",
                               (dir / "m.model").string(), "--out", (dir / "out.tokens").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--vocab 100 is too small: every distinct character of the training sample (and the "
                       "word-start mark) needs a piece of its own, 302 with <unk>; use --vocab 302 or more"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("character_coverage"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("vocab_size"), std::string::npos) << r.err;
  const auto ok = run_seedline({"tokenize", (dir / "corpus.txt").string(), "--vocab", "302", "--model",
                                (dir / "m.model").string(), "--out", (dir / "out.tokens").string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(Tokenize, TextAndModelMustBeRegularFiles) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  write_file(dir / "corpus.txt", "one line\nanother line\n");
  struct Case {
    std::string text, model, refusal;
  };
  const std::vector<Case> cases = {
      {"/dev/zero", (dir / "m.model").string(), "'/dev/zero': is a character device, not a text file"},
      {(dir / "fifo").string(), (dir / "m.model").string(), "fifo': is a FIFO (named pipe), not a text file"},
      {(dir / "corpus.txt").string(), (dir / "fifo").string(),
       "--model: '" + (dir / "fifo").string() + "': is a FIFO (named pipe)"},
      {(dir / "corpus.txt").string(), "/dev/zero", "--model: '/dev/zero': is a character device"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text + " " + c.model);
    const auto r = seedline::testing::run_process({"timeout", "-s", "KILL", "30", seedline::testing::seedline_bin().string(),
                                                   "tokenize", c.text, "--model", c.model, "--out",
                                                   (dir / "out.tokens").string()});
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(c.refusal), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace seedline::text
