#include "distributed/executor_worker.hpp"

#include "distributed/remote_executor.hpp"
#include "genome/genome.hpp"
#include "runner/external_executor.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace seedline::distributed {

ExecutorWorker::ExecutorWorker(runner::ThreadPool& pool) : pool_(pool) {}

ExecutorWorker::~ExecutorWorker() = default;

void ExecutorWorker::start_run(const RunStart& start) {
  if (begun_) executor_->end_run();
  begun_ = false;
  arriving_.clear();
  executor_.reset();
  setup_ = runner::RunSetup{};
  setup_.run_id = start.run_id;
  setup_.noise_version = static_cast<int>(start.noise_version);
  setup_.kernel_version = static_cast<int>(start.kernel_version);
  try {
    setup_.condition = nlohmann::json::parse(start.config_json);
  } catch (const nlohmann::json::exception& e) {
    corruption("run " + std::to_string(start.run_id) + ": the config rank 0 sent is not JSON: " + e.what());
  }
  // An external task's items run in this rank's own evaluator processes (started at begin_run).
  executor_ = runner::make_process_executor(setup_.condition, pool_, {});
  expected_parents_ = start.parents;
  // A resumed ES run sends its center's optimizer state after the center.
  const auto algorithm = setup_.condition.find("algorithm");
  expect_es_state_ = start.parents > 0 && algorithm != setup_.condition.end() && algorithm->is_object() &&
                     algorithm->value("type", "") == "es";
  if (expected_parents_ == 0 && !expect_es_state_) {
    executor_->begin_run(setup_, {});
    begun_ = true;
  }
}

void ExecutorWorker::add_es_state(EsState state) {
  if (begun_ || !expect_es_state_ || state.run_id != setup_.run_id || arriving_.size() != expected_parents_) {
    corruption("run " + std::to_string(setup_.run_id) + ": an optimizer state of run " + std::to_string(state.run_id) +
               " arrived out of order");
  }
  const uint64_t checksum = es_state_checksum(state.m, state.v);
  if (checksum != state.checksum) {
    corruption("run " + std::to_string(setup_.run_id) + ": the center's optimizer state arrived with checksum " +
               hex16(checksum) + ", rank 0 sent " + hex16(state.checksum));
  }
  auto es = std::make_shared<es::OptimizerState>();
  es->step = state.step;
  es->m = std::move(state.m);
  es->v = std::move(state.v);
  setup_.es_state = std::move(es);
  executor_->begin_run(setup_, arriving_);
  arriving_.clear();
  begun_ = true;
}

void ExecutorWorker::add_genotype(Genotype genotype) {
  if (begun_ || genotype.run_id != setup_.run_id || genotype.slot != arriving_.size()) {
    corruption("run " + std::to_string(setup_.run_id) + ": genotype " + std::to_string(genotype.slot) + " of run " +
               std::to_string(genotype.run_id) + " arrived out of order");
  }
  const uint64_t checksum = genome::Genome::checksum(genotype.values);
  if (checksum != genotype.checksum) {
    corruption("run " + std::to_string(setup_.run_id) + ": parent " + std::to_string(genotype.slot) +
               "'s genotype arrived with checksum " + hex16(checksum) + ", rank 0 sent " + hex16(genotype.checksum));
  }
  arriving_.push_back(std::make_shared<const std::vector<float>>(std::move(genotype.values)));
  if (arriving_.size() == expected_parents_ && !expect_es_state_) {
    executor_->begin_run(setup_, arriving_);
    arriving_.clear();
    begun_ = true;
  }
}

void ExecutorWorker::check_begun() const {
  if (!begun_ || !executor_) {
    corruption("run " + std::to_string(setup_.run_id) + ": work arrived before its " +
               std::to_string(expected_parents_) + " parent genotypes");
  }
}

void ExecutorWorker::select(const Selection& selection) {
  check_begun();
  std::vector<evolve::Slot> sources;
  for (const auto& s : selection.parents) sources.push_back(from_wire(s));
  executor_->advance_parents(sources);
  check_digest(selection.digest);
}

void ExecutorWorker::update_center(const CenterUpdate& update) {
  check_begun();
  std::vector<evolve::Slot> members;
  for (const auto& s : update.members) members.push_back(from_wire(s));
  executor_->advance_center(members, update.fitness);
  check_digest(update.digest);
}

void ExecutorWorker::check_digest(uint64_t expected) const {
  std::vector<uint64_t> checksums;
  for (const auto& p : executor_->shared_parents()) checksums.push_back(genome::Genome::checksum(*p));
  const uint64_t digest = selection_digest(checksums);
  if (digest != expected) {
    corruption("run " + std::to_string(setup_.run_id) +
               ": the parents this rank derived differ from rank 0's (digest " + hex16(digest) + " vs " +
               hex16(expected) + "): the ranks do not compute the same genotype bits (different seedline builds or CPUs?)");
  }
}

void ExecutorWorker::evaluate(std::span<const WorkItem> items, std::span<ItemResult> results) {
  check_begun();
  std::vector<runner::WorkItem> mine(items.size());
  for (size_t i = 0; i < items.size(); ++i) mine[i] = from_wire(items[i]);
  std::vector<runner::ItemResult> got(items.size());
  executor_->evaluate(mine, got);
  for (size_t i = 0; i < items.size(); ++i) {
    results[i] = ItemResult{items[i].index, got[i].reward, got[i].steps, std::move(got[i].metrics)};
  }
}

void ExecutorWorker::end_run(int64_t) {
  if (begun_) executor_->end_run();
  begun_ = false;
  arriving_.clear();
}

}  // namespace seedline::distributed
