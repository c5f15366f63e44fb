#include "individual/individual.hpp"

#include "lineage/rebuild.hpp"
#include "store/lineage_repo.hpp"

namespace seedline::individual {

es::EsRun es_run(const genome::RunModel& run) {
  return es::EsRun{&run.genome, run.config.algorithm.es, run.config.ga.population};
}

std::vector<float> rebuild(store::Database& db, int64_t id, const genome::RunModel& run, lineage::GenotypeCache* cache,
                           const genome::ParallelPieces& parallel) {
  if (!run.config.algorithm.is_es()) return lineage::rebuild(db, id, run.genome.ops(parallel), cache);
  if (cache != nullptr) {
    if (const auto hit = cache->get(id)) return *hit;
  }
  es::ParallelFor spread = es::serial();
  if (parallel) {
    spread = [&parallel](size_t n, const std::function<void(size_t, int)>& fn) {
      parallel(n, [&fn](size_t i) { fn(i, 0); });
    };
  }
  auto genotype = es::rebuild_individual(db, id, es_run(run), spread);
  if (cache != nullptr) cache->put(id, genotype);
  return genotype;
}

genome::ExportedGenome export_individual(store::Database& db, int64_t id, genome::ExportFormat format, bool phenotype,
                                         lineage::GenotypeCache* cache, const genome::ParallelPieces& parallel) {
  const auto row = store::get_individual(db, id);
  const auto run = genome::run_model(db, row.run_id);
  const auto genotype = rebuild(db, id, run, cache, parallel);
  return genome::encode_individual(db, row, run.genome, genotype, format, phenotype);
}

}  // namespace seedline::individual
