// Submitting an experiment: one experiment row, its conditions (resolved configs) and one
// queued run per (condition, trial), written in one transaction.
//
// Each run gets its seed from evolve::run_seed(master seed, condition index, trial) and the
// newest noise version of this binary. Before anything is written every condition is checked
// as far as it can be without running it: the task is built (and stored with every default
// filled in, docs/tasks.md), and so is the genome (network and representation). For an
// environment task the network must be all dense layers ending in the task's action size, and
// a run's memory must fit in kMaxRunBytes: the parents' genotypes (twice the truncation,
// old and new across a generation boundary) plus a genotype and a phenotype per thread (this
// machine's core count) and, for environment tasks, the networks in flight
// (LocalExecutor::memory_bytes); the population does not count, members are streamed; and
// conditions x trials must not exceed kMaxRunsPerExperiment. A file
// that fails any check writes nothing.
//
// Thread-safety: as the Database (one per thread).
// Failure: seedline::Error kInvalidArgument whose message starts with the file name and names
// the field, e.g. "exp.json: conditions[1].ga.population: must be an integer >= 2 (got 1)";
// kNotFound for a missing file; SQLite errors as thrown by the store.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "evolve/experiment.hpp"
#include "store/database.hpp"

namespace seedline::runner {

struct SubmittedExperiment {
  int64_t experiment_id = 0;
  std::string name;
  std::vector<std::string> conditions;
  int trials = 0;
  std::vector<int64_t> runs;  // run ids, condition-major (condition 0's trials first)
};

// The memory one run may need in a daemon: 16 GiB.
inline constexpr int64_t kMaxRunBytes = int64_t{16} << 30;

// The most runs (conditions x trials) one experiment may have: 100,000. Checked before
// anything is written; all runs are inserted in the submission's one transaction, which at
// this bound holds the write lock for well under a second (docs/guarantees.md).
inline constexpr int64_t kMaxRunsPerExperiment = 100'000;

// The largest experiment file read: 1 MiB.
inline constexpr int64_t kMaxExperimentFileBytes = int64_t{1} << 20;

// Reads and parses an experiment file; errors are prefixed with the path. Anything but a
// regular file (a directory, FIFO, /dev/zero) and a file over kMaxExperimentFileBytes (its
// size from fstat) are kInvalidArgument (util/input_file.hpp).
evolve::ExperimentSpec read_experiment_file(const std::filesystem::path& path);

// Checks the conditions of `spec` (task, genome, runnability) and fills the tasks' defaults,
// without storing anything; errors are prefixed with `origin`.
void check_experiment(evolve::ExperimentSpec& spec, const std::string& origin);

// Checks the conditions of `spec` (task, genome), fills the tasks' defaults, and stores it.
// `origin` prefixes error messages (the file name).
SubmittedExperiment submit_experiment(store::Database& db, evolve::ExperimentSpec spec, const std::string& origin);

// read_experiment_file + submit_experiment.
SubmittedExperiment submit_file(store::Database& db, const std::filesystem::path& path);

}  // namespace seedline::runner
