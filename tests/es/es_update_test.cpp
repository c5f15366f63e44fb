// The ES update (src/es/) against tests/es/es_reference.py, a plain numpy implementation of the
// formulas in docs/es.md. seedline exports what the reference needs (the start center, the
// members' perturbations: full-block noise and low-rank factors A, B, and the fitnesses);
// numpy rebuilds members and centers from them alone. Tolerance: |seedline - numpy| <=
// 2e-5 + 1e-4 |numpy| (float32 arithmetic against float64, a few hundred terms).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "es/members.hpp"
#include "es/perturbation.hpp"
#include "es/update.hpp"
#include "genome/genome.hpp"
#include "noise/noise.hpp"
#include "support/npy.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline::es {
namespace {

using nlohmann::json;
using seedline::testing::read_npy_f32;
using seedline::testing::write_npy;

// The Debian interpreter has numpy (scripts/setup.sh); a python3 earlier in PATH may not.
std::string python_with_numpy() {
  for (const char* p : {"/usr/bin/python3", "python3"}) {
    if (seedline::testing::run_process({p, "-c", "import numpy"}).exit_code == 0) return p;
  }
  return {};
}

genome::Genome make_genome(const json& network, const json& representation) {
  return genome::Genome(genome::parse_architecture(network, std::nullopt), genome::parse_representation(representation),
                        genome::MutationSettings{}, noise::kNewestVersion);
}

struct Case {
  const char* name;
  json algorithm;
  json representation;
  int population;
};

// Two dense layers (5x6 and 3x5 weights, biases): matrices and vectors, so low-rank cases mix
// low-rank and full blocks.
const json kNetwork = json::parse(R"([{"type": "dense", "in": 6, "out": 5, "activation": "tanh"},
                                      {"type": "dense", "out": 3}])");

const Case kCases[] = {
    {"full_sgd_ranks", {{"type", "es"}, {"sigma", 0.05}, {"learning_rate", 0.1}}, {{"type", "direct"}}, 8},
    {"full_adam_zscore_decay",
     {{"type", "es"}, {"sigma", 0.1}, {"learning_rate", 0.01}, {"optimizer", "adam"}, {"shaping", "zscore"},
      {"weight_decay", 0.05}},
     {{"type", "direct"}},
     8},
    {"lowrank2_adam_ranks",
     {{"type", "es"}, {"sigma", 0.05}, {"learning_rate", 0.02}, {"optimizer", "adam"},
      {"perturbation", {{"type", "lowrank"}, {"rank", 2}}}},
     {{"type", "direct"}},
     8},
    {"lowrank1_sgd_zscore_plain",
     {{"type", "es"}, {"sigma", 0.03}, {"learning_rate", 0.05}, {"antithetic", false}, {"shaping", "zscore"},
      {"weight_decay", 0.01}, {"perturbation", {{"type", "lowrank"}, {"rank", 1}}}},
     {{"type", "direct"}},
     7},
    {"lowrank3_factorized",
     {{"type", "es"}, {"sigma", 0.05}, {"learning_rate", 0.1}, {"perturbation", {{"type", "lowrank"}, {"rank", 3}}}},
     {{"type", "factorized"}, {"rank", 2}},
     6},
};

void expect_close(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int reported = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double tol = 2e-5 + 1e-4 * std::fabs(want[i]);
    if (std::fabs(static_cast<double>(got[i]) - want[i]) > tol && reported++ < 5) {
      ADD_FAILURE() << what << "[" << i << "]: seedline " << got[i] << ", numpy " << want[i];
    }
  }
}

class EsUpdateVsNumpy : public ::testing::TestWithParam<Case> {};

TEST_P(EsUpdateVsNumpy, MembersAndCentersMatch) {
  const Case& c = GetParam();
  const std::string python = python_with_numpy();
  ASSERT_FALSE(python.empty()) << "python3 with numpy is needed (Debian python3-numpy)";
  seedline::testing::TempDir dir;
  const auto algorithm = evolve::parse_algorithm(c.algorithm, "algorithm");
  const auto& es = algorithm.es;
  const auto genome = make_genome(kNetwork, c.representation);
  const Perturbation perturbation(genome, es);
  const size_t size = genome.genotype_size();
  const int generations = 3;

  std::vector<float> center = genome.init(11);
  write_npy(dir / "center0.npy", std::span<const float>(center), {static_cast<int64_t>(size)});
  OptimizerState state = initial_state(es, size);
  std::vector<std::vector<float>> members_seen, centers_seen;
  for (int g = 0; g < generations; ++g) {
    const auto members = plan_members(4242, g, c.population, es.antithetic);
    const int sets = members.back().perturbation + 1;
    // Export every block of every perturbation as the reference reads it.
    for (size_t b = 0; b < perturbation.blocks().size(); ++b) {
      const auto& blk = perturbation.blocks()[b];
      std::vector<float> a, bf, full;
      for (int p = 0; p < sets; ++p) {
        const uint64_t seed = members[static_cast<size_t>(es.antithetic ? 2 * p : p)].seed;
        if (blk.lowrank) {
          std::vector<float> f(blk.factor_size());
          perturbation.factors(blk, seed, f);
          const size_t na = static_cast<size_t>(blk.rows * blk.rank);
          a.insert(a.end(), f.begin(), f.begin() + static_cast<ptrdiff_t>(na));
          bf.insert(bf.end(), f.begin() + static_cast<ptrdiff_t>(na), f.end());
        } else {
          const auto eps = perturbation.dense_noise(seed);
          full.insert(full.end(), eps.begin() + static_cast<ptrdiff_t>(blk.offset),
                      eps.begin() + static_cast<ptrdiff_t>(blk.offset + blk.size));
        }
      }
      const std::string suffix = std::to_string(g) + "_" + std::to_string(b) + ".npy";
      if (blk.lowrank) {
        write_npy(dir / ("A" + suffix), std::span<const float>(a), {sets, blk.rows, blk.rank});
        write_npy(dir / ("B" + suffix), std::span<const float>(bf), {sets, blk.cols, blk.rank});
      } else {
        write_npy(dir / ("noise" + suffix), std::span<const float>(full), {sets, static_cast<int64_t>(blk.size)});
      }
    }
    // Members and a fitness of each (distance to 0.1, with a tie and, for ranks, a NaN).
    std::vector<float> all_members;
    std::vector<double> fitness;
    std::vector<float> x(size);
    for (const auto& m : members) {
      perturbation.perturb(center, m.seed, m.sign, x);
      all_members.insert(all_members.end(), x.begin(), x.end());
      double f = 0;
      for (float v : x) f -= (v - 0.1) * (v - 0.1);
      fitness.push_back(f);
    }
    fitness[4] = fitness[1];
    if (es.shaping == evolve::EsSettings::Shaping::kCenteredRanks && g == 1) {
      fitness[2] = std::numeric_limits<double>::quiet_NaN();
    }
    members_seen.push_back(all_members);
    write_npy(dir / ("fitness" + std::to_string(g) + ".npy"), std::span<const double>(fitness),
              {static_cast<int64_t>(fitness.size())});
    update_center(es, perturbation, members, fitness, center, state);
    centers_seen.push_back(center);
  }
  json blocks = json::array();
  for (const auto& b : perturbation.blocks()) {
    blocks.push_back({{"offset", b.offset}, {"size", b.size}, {"lowrank", b.lowrank}, {"rank", b.rank}});
  }
  json info = algorithm.to_json();
  info["population"] = c.population;
  info["generations"] = generations;
  info["genotype_size"] = size;
  info["blocks"] = blocks;
  seedline::testing::write_file(dir / "case.json", info.dump());

  const auto r = seedline::testing::run_process(
      {python, (seedline::testing::source_dir() / "tests/es/es_reference.py").string(), dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int g = 0; g < generations; ++g) {
    expect_close(members_seen[static_cast<size_t>(g)], read_npy_f32(dir / ("members" + std::to_string(g) + ".npy")),
                 std::string(c.name) + " members of generation " + std::to_string(g));
    expect_close(centers_seen[static_cast<size_t>(g)],
                 read_npy_f32(dir / ("center" + std::to_string(g + 1) + ".npy")),
                 std::string(c.name) + " center after generation " + std::to_string(g));
  }
  EXPECT_EQ(state.step, generations);
  if (es.optimizer == evolve::EsSettings::Optimizer::kAdam) {
    expect_close(state.m, read_npy_f32(dir / "m.npy"), std::string(c.name) + " adam m");
    expect_close(state.v, read_npy_f32(dir / "v.npy"), std::string(c.name) + " adam v");
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, EsUpdateVsNumpy, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace seedline::es
