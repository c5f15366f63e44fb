#include "support/experiment_fixture.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <span>

#include "store/lineage_repo.hpp"
#include "store/migrations.hpp"
#include "util/utf8.hpp"

namespace seedline::testing {

FixtureIds write_experiment(store::Database& db, const FixtureExperiment& e) {
  FixtureIds ids;
  store::Transaction tx(db);
  size_t longest = 0;
  for (const auto& r : e.runs) longest = std::max(longest, r.best.size());
  const int generations = e.generations > 0 ? e.generations : static_cast<int>(longest);
  const nlohmann::json spec = {{"name", e.name}, {"conditions", e.conditions}};
  // dump_json: a test may store a name that is not UTF-8, as another program could.
  ids.experiment = store::insert_experiment(db, e.name, dump_json(spec));
  for (size_t i = 0; i < e.conditions.size(); ++i) {
    const nlohmann::json config = {{"ga", {{"generations", generations}, {"population", e.population}}}};
    ids.conditions[e.conditions[i]] =
        store::insert_condition(db, ids.experiment, static_cast<int>(i), e.conditions[i], config.dump());
  }
  for (const auto& r : e.runs) {
    const int64_t run = store::insert_run(db, ids.experiment, ids.conditions.at(r.condition), r.trial,
                                          0x5eed000000000000ULL + static_cast<uint64_t>(r.trial), 1);
    ids.runs[{r.condition, r.trial}] = run;
    if (r.state != store::RunState::kQueued) {
      db.prepare("UPDATE runs SET state = ? WHERE id = ?").bind(1, store::run_state_name(r.state)).bind(2, run).run();
    }
    std::vector<int64_t>& best_ids = ids.best_individuals[run];
    for (size_t g = 0; g < r.best.size(); ++g) {
      std::vector<store::NewIndividual> born;
      for (int k = 0; k < e.population; ++k) {
        store::NewIndividual n;
        if (g > 0) n.parent = best_ids.back();
        n.seed = 1000003ULL * static_cast<uint64_t>(run) + 1009ULL * g + static_cast<uint64_t>(k);
        n.generation = static_cast<int>(g);
        n.fitness = r.best[g] - static_cast<double>(k);  // the first born is the best
        if (k == 0) n.checksum = 0x9f8e7d6c5b4a3921ULL + g;
        born.push_back(n);
      }
      const auto [first, last] = store::insert_individuals(db, run, born);
      best_ids.push_back(first);
      store::GenerationRow row;
      row.run_id = run;
      row.generation = static_cast<int>(g);
      row.first_individual = first;
      row.last_individual = last;
      row.best = r.best[g];
      row.mean = r.best[g] - 1;
      row.median = r.best[g] - 0.5;
      row.std = 0.25;
      row.best_individual = first;
      row.parents = {first};
      row.evaluations = e.population;
      row.steps = 10 * e.population;
      row.eval_seconds = 0.01;
      row.total_seconds = 0.02;
      store::insert_generation(db, row);
    }
  }
  tx.commit();
  return ids;
}

void create_database(const std::filesystem::path& path) {
  store::open_database(path, store::OpenPurpose::kCreate);
}

}  // namespace seedline::testing
