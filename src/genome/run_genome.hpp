// The Genome of a stored run, and an individual's genome as an export file.
//
// A run's genome is fixed by its condition's resolved config (network, representation,
// ga.mutation_rate, ga.bias_std, task for the input size) and the run's noise version. The
// CLI (`seedline genome`), the HTTP server and the runner all build it here, so they agree.
//
// Thread-safety: as the Database passed in (one per thread); the cache may be shared.
// Failure: kNotFound for an unknown run or individual, kUnimplemented for a noise version
// this binary lacks, kCorruption for a stored config that no longer parses or a checksum
// mismatch (naming the individual), kInvalidArgument for a bad format name; a condition's
// base file (init.from) that is missing or changed: kNotFound / kFailedPrecondition naming it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "evolve/experiment.hpp"
#include "genome/genome.hpp"
#include "lineage/genotype_cache.hpp"
#include "store/database.hpp"
#include "store/lineage_repo.hpp"

namespace seedline::genome {

// Whether genome_for_condition reads the condition's base file (init.from).
enum class BaseLoad {
  kVerify,  // read it, check its recorded size and xxh64, take its tensors (everything that runs or rebuilds)
  kSkip,    // do not read it: the genome can be counted (blocks, sizes) but not init or developed
};

// The genome of a resolved condition config (builds the task to learn the input size). With
// init.from and BaseLoad::kVerify the base file is read once here (pretrained.hpp).
// `kernel_version` is the run's evaluation arithmetic (kernels/version.hpp), carried by the genome
// to the networks it develops; every caller in src/ passes the run's (1, the default, is what
// runs made before kernel versions compute with).
Genome genome_for_condition(const evolve::ConditionConfig& config, int noise_version, int kernel_version = 1,
                            BaseLoad base = BaseLoad::kVerify);
// The genome of stored run `run_id`.
Genome genome_for_run(store::Database& db, int64_t run_id);

// A stored run's resolved condition config and genome, read once.
struct RunModel {
  int64_t run_id = 0;
  uint64_t seed = 0;  // the run's seed
  evolve::ConditionConfig config;
  Genome genome;
};
RunModel run_model(store::Database& db, int64_t run_id);

enum class ExportFormat { kSafetensors, kNpy };
// "safetensors" | "npy"; throws kInvalidArgument naming the value.
ExportFormat parse_export_format(const std::string& name);

struct ExportedGenome {
  std::string bytes;        // the file's contents
  std::string filename;     // e.g. "individual-4711.safetensors"
  uint64_t checksum = 0;    // of the genotype (also when the phenotype is exported)
  bool verified = false;    // true when a stored checksum was compared and matched
  size_t values = 0;        // float32 values in the file
  size_t tensors = 0;       // named tensors in the file (npy: 1)
  int64_t run_id = 0;       // the individual's run
};

// Rebuilds individual `id` (verifying stored checksums) and encodes its genotype, or with
// `phenotype` its developed phenotype: safetensors holds one named tensor per block (genotype)
// or per architecture tensor (phenotype) with metadata (individual, run, checksum, noise
// version); npy is one flat float32 vector.
// With `parallel` the replay is split over threads (Genome::ops(parallel)): the same bits.
// This replays a GA lineage; individual::export_individual (src/individual/) serves runs of
// every algorithm and is what the CLI and the server call.
ExportedGenome export_individual(store::Database& db, int64_t id, ExportFormat format, bool phenotype,
                                 lineage::GenotypeCache* cache = nullptr, const ParallelPieces& parallel = {});

// Encodes `genotype`, already rebuilt, of individual `row` as export_individual does; a
// stored checksum of the row must match it (kCorruption otherwise).
ExportedGenome encode_individual(store::Database& db, const store::IndividualRow& row, const Genome& genome,
                                 std::span<const float> genotype, ExportFormat format, bool phenotype);

}  // namespace seedline::genome
