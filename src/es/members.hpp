// Evolution strategies (docs/es.md): who the members of a generation are.
//
// This module (src/es/) holds the ES arithmetic the runner drives: the members of a
// generation (this file), their perturbations (perturbation.hpp), fitness shaping
// (shaping.hpp) and the center's update with its optimizer (update.hpp). A generation g of
// an ES run has one center (an individual row) and `population` members, each the center
// plus sign * sigma * eps(seed). Member seeds derive from (run seed, g, perturbation index)
// through evolve::derive with Stream::kEsMemberSeed, like the GA's child seeds; with
// antithetic sampling members 2p and 2p+1 share perturbation p's seed with signs + and -.
//
// Pure functions: safe from any thread. Failure: kInvalidArgument for a population < 1 or an
// odd population with antithetic sampling.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace seedline::es {

// Runs fn(i, worker) for every i in [0, n), possibly on several threads (runner::ThreadPool's
// parallel_for has this shape). Results never depend on how the indices are spread.
using ParallelFor = std::function<void(size_t n, const std::function<void(size_t index, int worker)>& fn)>;

// Calls fn(i, 0) for i = 0 .. n-1 on the calling thread.
ParallelFor serial();

struct Member {
  uint64_t seed = 0;  // the perturbation's noise seed
  float sign = 1;     // +1 or -1 (antithetic partner)
  int perturbation = 0;  // index of the shared perturbation: member / 2 when antithetic, else member
};

// The members of generation `generation`, in member order.
std::vector<Member> plan_members(uint64_t run_seed, int generation, int population, bool antithetic);

// The seed of generation 0's center: init(center_seed) (the GA's root seed of slot 0).
uint64_t center_seed(uint64_t run_seed);

}  // namespace seedline::es
