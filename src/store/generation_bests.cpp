#include "store/generation_bests.hpp"

namespace seedline::store {

std::vector<GenerationBest> generation_bests(Database& db, int64_t run_id) {
  auto st = db.prepare("SELECT generation, best_individual, best FROM generations WHERE run_id = ? ORDER BY generation");
  st.bind(1, run_id);
  std::vector<GenerationBest> out;
  while (st.step()) {
    out.push_back({static_cast<int>(st.column_int64(0)), st.column_int64(1), st.column_double(2)});
  }
  return out;
}

}  // namespace seedline::store
