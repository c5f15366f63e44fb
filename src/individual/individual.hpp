// Any stored individual, whatever its run's algorithm: its rebuilt genotype and its export.
//
// A GA run's individuals are seed lineages (lineage::rebuild replays mutations from the
// nearest snapshot); an ES run's are centers and members (es::rebuild_individual replays
// updates from the nearest center snapshot, docs/es.md). This module picks the right one
// from the run's stored condition, so `seedline genome`, `seedline evaluate`, the HTTP
// genome download and the runner's resume agree on every run. Both rebuilds verify every
// stored checksum on the way and give the same bits on any thread count.
//
// Thread-safety: as the Database passed in (one per thread); the cache may be shared.
// Failure: kNotFound for an unknown individual or run, kUnimplemented for a noise version
// this binary lacks, kCorruption naming the individual for a checksum mismatch or a damaged
// lineage, snapshot or optimizer state.
#pragma once

#include <cstdint>
#include <vector>

#include "es/lineage.hpp"
#include "genome/run_genome.hpp"
#include "lineage/genotype_cache.hpp"
#include "store/database.hpp"

namespace seedline::individual {

// The ES view of a stored ES run (its genome, settings and population).
es::EsRun es_run(const genome::RunModel& run);

// The genotype of individual `id` of `run` (genome::run_model of its run). With `parallel`
// each replay is split over threads: the same bits. With `cache`, a cached genotype of `id`
// is used and the result is put there.
std::vector<float> rebuild(store::Database& db, int64_t id, const genome::RunModel& run,
                           lineage::GenotypeCache* cache = nullptr, const genome::ParallelPieces& parallel = {});

// genome::export_individual for an individual of any run.
genome::ExportedGenome export_individual(store::Database& db, int64_t id, genome::ExportFormat format, bool phenotype,
                                         lineage::GenotypeCache* cache = nullptr,
                                         const genome::ParallelPieces& parallel = {});

}  // namespace seedline::individual
