#include "lineage/phylogeny.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>

#include "lineage/run_tree.hpp"
#include "store/lineage_repo.hpp"
#include "util/error.hpp"
#include "util/output_path.hpp"

namespace seedline::lineage {
namespace {

// Owns the temporary file until it is renamed; removes it on any failure.
class TempFile {
 public:
  explicit TempFile(std::filesystem::path target)
      : target_(std::move(target)),
        temp_(temporary_sibling(target_)) {
    check_output_path(target_);
    file_ = std::fopen(temp_.c_str(), "wb");
    if (file_ == nullptr) io_error(target_.string() + ": cannot create " + temp_.string() + ": " + std::strerror(errno));
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (file_ != nullptr) std::fclose(file_);
    if (!committed_) {
      std::error_code ec;
      std::filesystem::remove(temp_, ec);
    }
  }

  void write(const std::string& s) {
    if (std::fwrite(s.data(), 1, s.size(), file_) != s.size()) {
      io_error(target_.string() + ": write failed: " + std::strerror(errno));
    }
  }

  void commit() {
    const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
    const int saved = errno;
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!flushed || !closed) io_error(target_.string() + ": write failed: " + std::strerror(flushed ? errno : saved));
    std::error_code ec;
    std::filesystem::rename(temp_, target_, ec);
    if (ec) io_error(target_.string() + ": cannot rename " + temp_.string() + " into place: " + ec.message());
    committed_ = true;
  }

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};

void append_double(std::string& out, double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

void append_row(std::string& chunk, int64_t id, std::optional<int64_t> parent, int generation,
                const std::optional<double>& fitness, bool loss) {
  chunk += std::to_string(id);
  chunk += parent ? ",[" + std::to_string(*parent) + "]," : ",[NONE],";
  chunk += std::to_string(generation);
  chunk += ',';
  if (fitness) append_double(chunk, *fitness);
  if (loss) {
    chunk += ',';
    if (fitness) append_double(chunk, -*fitness);
  }
  chunk += '\n';
}

}  // namespace

int64_t write_phylogeny_csv(store::Database& db, int64_t run_id, const std::filesystem::path& path, bool extant_only,
                            bool loss) {
  TempFile file(path);
  std::string chunk = loss ? "id,ancestor_list,origin_time,fitness,loss\n" : "id,ancestor_list,origin_time,fitness\n";
  int64_t rows = 0;
  const auto flush = [&] {
    if (chunk.size() >= (size_t{1} << 16)) {
      file.write(chunk);
      chunk.clear();
    }
  };
  if (extant_only) {
    const auto tree = load_run_tree(db, run_id, true);
    for (const auto& n : tree.nodes) {
      append_row(chunk, n.id,
                 n.parent < 0 ? std::nullopt : std::optional<int64_t>(tree.nodes[static_cast<size_t>(n.parent)].id),
                 n.generation, n.fitness, loss);
      ++rows;
      flush();
    }
  } else {
    store::for_each_individual_of_run(db, run_id, [&](const store::IndividualRow& r) {
      append_row(chunk, r.id, r.parent, r.generation, r.fitness, loss);
      ++rows;
      flush();
    });
  }
  file.write(chunk);
  file.commit();
  return rows;
}

int64_t write_phylogeny_newick(store::Database& db, int64_t run_id, const std::filesystem::path& path,
                               bool extant_only) {
  TempFile file(path);
  const auto tree = load_run_tree(db, run_id, extant_only);
  file.write(to_newick(tree));
  file.commit();
  return static_cast<int64_t>(tree.nodes.size());
}

}  // namespace seedline::lineage
