#include "runner/submit.hpp"

#include <cstdio>
#include <thread>

#include "genome/pretrained.hpp"
#include "genome/run_genome.hpp"
#include "kernels/version.hpp"
#include "noise/noise.hpp"
#include "runner/local_executor.hpp"
#include "store/experiment_repo.hpp"
#include "store/run_batch.hpp"
#include "tasks/external_task.hpp"
#include "tasks/language_model.hpp"
#include "tasks/task.hpp"
#include "util/error.hpp"
#include "util/input_file.hpp"

namespace seedline::runner {
namespace {

// The threads the memory check assumes: this machine's cores (a daemon usually runs where
// the experiment is submitted; `seedline run` always does).
int assumed_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

// Prefixes an Error's message with `origin` (keeping its code) unless it already names it.
[[noreturn]] void rethrow_with_origin(const Error& e, const std::string& origin) {
  const std::string what = e.what();
  if (what.rfind(origin + ":", 0) == 0) throw e;
  fail(e.code(), origin + ": " + what);
}

// What a daemon can run: an environment task with a flat observation drives the network as an
// MLP (dense layers only); one with an image observation (C x H x W) as a conv net (conv layers,
// then a flatten and dense layers: docs/networks.md); an external task's evaluator takes any
// layers. Either way the last layer gives one output per action; and a run's memory
// (LocalExecutor::memory_bytes: parents plus per-thread scratch, whatever the population) must
// fit in kMaxRunBytes.
void check_runnable(const evolve::ConditionConfig& c, const tasks::Task& task, const genome::Genome& genome) {
  const auto& arch = genome.architecture();
  // An external evaluator runs the network itself, so any layer type may reach it.
  const bool in_process = dynamic_cast<const tasks::ExternalTask*>(&task) == nullptr;
  if (task.scores_network()) {
    if (!arch.is_transformer()) {
      invalid_argument("network[0].type: task '" + c.task.value("type", "") +
                       "' scores a transformer; the network must be one layer of type 'transformer' (got '" +
                       arch.layers.front().type + "')");
    }
    if (const auto* lm = dynamic_cast<const tasks::LanguageModelTask*>(&task)) {
      lm->check_vocabulary(arch.layers.front().transformer.vocab);
    }
  } else if (!task.scores_phenotype()) {
    const std::string type = c.task.value("type", "");
    const bool image = task.observation_shape().size() == 3;
    bool past_convs = false;
    for (size_t i = 0; in_process && i < arch.layers.size(); ++i) {
      const std::string& layer = arch.layers[i].type;
      const std::string where = "network[" + std::to_string(i) + "].type: task '" + type + "'";
      if (!image && layer != "dense") {
        invalid_argument(where + " runs the network as an MLP, which takes only dense layers (got '" + layer + "')");
      }
      if (image && layer != "conv" && layer != "flatten" && layer != "dense") {
        invalid_argument(where + " runs the network as a conv net, which takes conv, flatten and dense layers (got '" +
                         layer + "')");
      }
      if (image && layer == "conv" && past_convs) {
        invalid_argument(where + " runs the network as a conv net: conv layers must come before flatten and dense");
      }
      past_convs = past_convs || layer != "conv";
    }
    const auto& output = arch.layers.back().output_shape;
    const std::string last = "network[" + std::to_string(arch.layers.size() - 1) + "]";
    if (output.size() != 1) {
      invalid_argument(last + ": gives an image, but task '" + type + "' needs " + std::to_string(task.action_size()) +
                       " action values; end the network with a flatten and a dense layer");
    }
    if (output.front() != task.action_size()) {
      invalid_argument(last + ".out: must equal task '" + type + "''s action size " +
                       std::to_string(task.action_size()) + " (got " + std::to_string(output.front()) + ")");
    }
  }
  const int threads = assumed_threads();
  // A network task holds no networks in flight: each worker scores its member from its scratch.
  const bool no_networks = task.scores_phenotype() || task.scores_network();
  const double bytes = LocalExecutor::memory_bytes(genome, c.ga, no_networks, threads, {});
  if (bytes > static_cast<double>(kMaxRunBytes)) {
    char text[400];
    std::snprintf(text, sizeof text,
                  "network: a run needs about %.1f GiB (the genotypes of 2 x %d parents of %zu float32 values, "
                  "plus a genotype and a phenotype of %zu values per thread for %d threads%s), more than the "
                  "limit of %lld GiB",
                  bytes / (1 << 30), c.ga.truncation, genome.genotype_size(), genome.phenotype_size(), threads,
                  no_networks ? "" : ", plus the networks being evaluated",
                  static_cast<long long>(kMaxRunBytes >> 30));
    invalid_argument(text);
  }
}

// The task's resolved spec (defaults filled in) and a genome built from the config, so a bad
// network or representation is reported at submission instead of when a daemon runs it.
void check_condition(evolve::ConditionConfig& c, size_t index, size_t count) {
  try {
    const auto task = tasks::make_task(c.task);
    c.task = task->resolved_spec();
    // The evaluator's relative paths are resolved here, once, and stored absolute (like init.from).
    if (const auto* external = dynamic_cast<const tasks::ExternalTask*>(task.get())) {
      c.task["command"] = tasks::absolute_command(external->spec().command);
    }
    if (c.init) genome::record_init_file(*c.init);  // the base file's absolute path, size and xxh64
    const auto genome = genome::genome_for_condition(c, noise::kNewestVersion, kernels::kNewestVersion);
    check_runnable(c, *task, genome);
  } catch (const Error& e) {
    // The task and network may come from the top level; say which condition met the problem.
    if (count == 1) throw;
    fail(e.code(), std::string(e.what()) + " (in condition '" + c.name + "', conditions[" +
                       std::to_string(index) + "])");
  }
}

}  // namespace

evolve::ExperimentSpec read_experiment_file(const std::filesystem::path& path) {
  const std::string origin = path.string();
  auto file = InputFile::open(path, "experiment file");
  // The size from fstat, checked before reading: a wrong huge file cannot exhaust memory.
  if (file.size() > kMaxExperimentFileBytes) {
    invalid_argument(origin + ": " + std::to_string(file.size()) + " bytes, larger than " +
                     std::to_string(kMaxExperimentFileBytes >> 20) +
                     " MiB; an experiment file is a few hundred bytes of JSON");
  }
  const std::string text = file.read_all();
  try {
    return evolve::parse_experiment(text, origin);
  } catch (const Error& e) {
    rethrow_with_origin(e, origin);
  }
}

void check_experiment(evolve::ExperimentSpec& spec, const std::string& origin) {
  const int64_t runs = static_cast<int64_t>(spec.conditions.size()) * spec.trials;
  if (runs > kMaxRunsPerExperiment) {
    invalid_argument(origin + ": conditions x trials = " + std::to_string(spec.conditions.size()) + " x " +
                     std::to_string(spec.trials) + " = " + std::to_string(runs) + " runs; at most " +
                     std::to_string(kMaxRunsPerExperiment) +
                     " runs per experiment (split it into several experiments)");
  }
  try {
    for (size_t i = 0; i < spec.conditions.size(); ++i) check_condition(spec.conditions[i], i, spec.conditions.size());
  } catch (const Error& e) {
    rethrow_with_origin(e, origin);
  }
}

SubmittedExperiment submit_experiment(store::Database& db, evolve::ExperimentSpec spec, const std::string& origin) {
  check_experiment(spec, origin);
  SubmittedExperiment out;
  out.name = spec.name;
  out.trials = spec.trials;
  store::Transaction tx(db);
  out.experiment_id = store::insert_experiment(db, spec.name, spec.source.dump());
  for (size_t i = 0; i < spec.conditions.size(); ++i) {
    const auto& c = spec.conditions[i];
    const int index = static_cast<int>(i);
    const int64_t condition_id = store::insert_condition(db, out.experiment_id, index, c.name, c.to_json().dump());
    out.conditions.push_back(c.name);
    std::vector<uint64_t> seeds;
    for (int trial = 0; trial < spec.trials; ++trial) seeds.push_back(evolve::run_seed(spec.seed, index, trial));
    const auto ids = store::insert_queued_runs(db, out.experiment_id, condition_id, seeds, noise::kNewestVersion,
                                                 kernels::kNewestVersion);
    out.runs.insert(out.runs.end(), ids.begin(), ids.end());
  }
  tx.commit();
  return out;
}

SubmittedExperiment submit_file(store::Database& db, const std::filesystem::path& path) {
  return submit_experiment(db, read_experiment_file(path), path.string());
}

}  // namespace seedline::runner
