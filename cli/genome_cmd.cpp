// seedline genome ID --out FILE [--format safetensors|npy] [--phenotype] [--json]
// Rebuilds an individual from its seed lineage (verifying stored checksums) and writes its
// genotype, or developed phenotype, as a safetensors or .npy file, atomically.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "common.hpp"
#include "genome/run_genome.hpp"
#include "individual/individual.hpp"
#include "runner/thread_pool.hpp"
#include "util/error.hpp"
#include "util/output_path.hpp"
#include "util/hex.hpp"

namespace seedline::cli {
namespace {

struct GenomeOptions {
  int64_t id = 0;
  std::string out;
  std::string format;  // empty: from the extension of --out, else safetensors
  bool phenotype = false;
  bool json = false;
};

genome::ExportFormat choose_format(const GenomeOptions& o) {
  if (!o.format.empty()) return genome::parse_export_format(o.format);
  return std::filesystem::path(o.out).extension() == ".npy" ? genome::ExportFormat::kNpy
                                                            : genome::ExportFormat::kSafetensors;
}

void run_genome(const GlobalOptions& global, const GenomeOptions& o) {
  check_output_path(o.out);
  const auto format = choose_format(o);
  auto db = open_db(global, store::OpenPurpose::kRead);
  // The replay is elementwise: split it over every core (the same bits as one thread).
  const unsigned cores = std::thread::hardware_concurrency();
  runner::ThreadPool pool(cores == 0 ? 1 : static_cast<int>(cores));
  const genome::ParallelPieces parallel = [&pool](size_t n, const std::function<void(size_t)>& piece) {
    pool.parallel_for(n, [&](size_t i, int) { piece(i); });
  };
  const auto exported = individual::export_individual(db, o.id, format, o.phenotype, nullptr, parallel);
  write_file_atomically(o.out, exported.bytes);

  const std::string checksum = hex16(exported.checksum);
  const char* format_name = format == genome::ExportFormat::kNpy ? "npy" : "safetensors";
  if (o.json) {
    print_json({{"individual", o.id},
                {"run", exported.run_id},
                {"checksum", checksum},
                {"verified", exported.verified},
                {"format", format_name},
                {"content", o.phenotype ? "phenotype" : "genotype"},
                {"tensors", exported.tensors},
                {"values", exported.values},
                {"bytes", exported.bytes.size()},
                {"out", o.out}});
    return;
  }
  std::cout << "individual " << o.id << " (run " << exported.run_id << "): genotype checksum " << checksum << ' '
            << (exported.verified ? "verified" : "no stored checksum") << '\n'
            << "wrote " << (o.phenotype ? "phenotype" : "genotype") << " as " << format_name << ": "
            << exported.tensors << " tensor" << (exported.tensors == 1 ? "" : "s") << ", " << exported.values
            << " float32 values, " << format_bytes(static_cast<int64_t>(exported.bytes.size())) << " to " << o.out
            << '\n';
}

}  // namespace

void register_genome_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("genome", "Rebuild an individual's genome and export it (safetensors or npy)");
  auto o = std::make_shared<GenomeOptions>();
  add_id_option(cmd, "ID", o->id, "Individual id");
  cmd->add_option("--out", o->out, "Output file (written atomically)")->required();
  cmd->add_option("--format", o->format, "safetensors or npy (default: from the --out extension, else safetensors)")
      ->check(CLI::IsMember({"safetensors", "npy"}));
  cmd->add_flag("--phenotype", o->phenotype, "Export the developed network tensors instead of the genotype");
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->callback([&global, o] { run_genome(global, *o); });
}

}  // namespace seedline::cli
