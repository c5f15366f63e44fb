#include "es/members.hpp"

#include "evolve/seeds.hpp"
#include "util/error.hpp"

namespace seedline::es {

ParallelFor serial() {
  return [](size_t n, const std::function<void(size_t, int)>& fn) {
    for (size_t i = 0; i < n; ++i) fn(i, 0);
  };
}

std::vector<Member> plan_members(uint64_t run_seed, int generation, int population, bool antithetic) {
  if (population < 1) invalid_argument("es: population must be >= 1 (got " + std::to_string(population) + ")");
  if (antithetic && population % 2 != 0) {
    invalid_argument("es: an antithetic population must be even (got " + std::to_string(population) + ")");
  }
  std::vector<Member> members(static_cast<size_t>(population));
  for (int i = 0; i < population; ++i) {
    Member& m = members[static_cast<size_t>(i)];
    m.perturbation = antithetic ? i / 2 : i;
    m.sign = antithetic && i % 2 == 1 ? -1.0f : 1.0f;
    m.seed = evolve::derive(run_seed, evolve::Stream::kEsMemberSeed, static_cast<uint64_t>(generation),
                            static_cast<uint32_t>(m.perturbation));
  }
  return members;
}

uint64_t center_seed(uint64_t run_seed) { return evolve::derive(run_seed, evolve::Stream::kRootSeed, 0, 0); }

}  // namespace seedline::es
