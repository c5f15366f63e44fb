#include "genome/run_genome.hpp"

#include <cstring>
#include <optional>

#include "genome/pretrained.hpp"
#include "genome/safetensors.hpp"
#include "kernels/version.hpp"
#include "noise/noise.hpp"
#include "store/experiment_repo.hpp"
#include "store/lineage_repo.hpp"
#include "store/snapshot_repo.hpp"
#include "tasks/task.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace seedline::genome {
namespace {

using nlohmann::json;

void append_le32(std::string& out, std::span<const float> values) {
  const auto bytes = store::genotype_to_bytes(values);
  out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// npy version 1.0: magic, version, u16 LE header length, a Python dict literal padded with
// spaces and ended by '\n' so that the data starts at a multiple of 64.
std::string encode_npy(std::span<const float> values) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(values.size()) + ",), }";
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(dict.size() & 0xff));
  out.push_back(static_cast<char>(dict.size() >> 8));
  out += dict;
  append_le32(out, values);
  return out;
}

// The network as the condition resolved it and, for a transformer, the vocabulary layout and
// the task's data file, so a loader needs nothing but the export (docs/language-models.md).
void add_network_metadata(store::Database& db, int64_t run_id, const Genome& genome, json& metadata) {
  const auto run = store::find_run(db, run_id);
  const auto condition = run ? store::find_condition(db, run->condition_id) : std::nullopt;
  if (!condition) return;
  const json config = json::parse(condition->config, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object()) return;
  if (config.contains("network")) metadata["network"] = config["network"].dump();
  if (config.contains("init")) metadata["init"] = config["init"].dump();  // the base file, its size and xxh64
  if (genome.architecture().is_transformer()) {
    metadata["vocabulary"] = json({{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}, {"bpe_offset", 3}}).dump();
    if (config.contains("task")) metadata["task"] = config["task"].dump();
  }
}

}  // namespace

Genome genome_for_condition(const evolve::ConditionConfig& config, int noise_version, int kernel_version,
                            BaseLoad base) {
  noise::require_supported(noise_version);
  kernels::require_supported(kernel_version);
  // The genome needs the task's shape only, never its data.
  const auto task = tasks::make_task(config.task, tasks::TaskData::kSpecOnly);
  std::vector<int64_t> input_shape;
  json network = config.network;
  if (!task->scores_phenotype() && !task->scores_network()) {
    input_shape = task->observation_shape();
    // The default network leaves the output layer's width to the task.
    if (network.is_array() && !network.empty() && network.back().is_object() && !network.back().contains("out") &&
        network.back().value("type", "") == "dense") {
      network.back()["out"] = task->action_size();
    }
  }
  Architecture arch = parse_architecture(network, input_shape, "network");
  Representation rep = parse_representation(config.representation, "representation");
  MutationSettings mutation;
  mutation.mutation_rate = config.ga.mutation_rate;
  mutation.sigma = config.ga.sigma;
  mutation.bias_std = config.ga.bias_std.value_or(config.ga.sigma.value_or(default_bias_std(config.ga.mutation_rate)));
  // The file lives until the Genome has copied what it takes from it.
  std::optional<SafetensorsFile> file;
  if (config.init && base == BaseLoad::kVerify) file = load_init_file(*config.init);
  const BaseWeights weights{.declared = config.init.has_value(), .file = file ? &*file : nullptr};
  Genome genome(std::move(arch), std::move(rep), mutation, noise_version, weights);
  genome.set_kernel_version(kernel_version);
  return genome;
}

Genome genome_for_run(store::Database& db, int64_t run_id) { return run_model(db, run_id).genome; }

RunModel run_model(store::Database& db, int64_t run_id) {
  const auto run = store::find_run(db, run_id);
  if (!run) not_found("run " + std::to_string(run_id) + " does not exist");
  noise::require_supported(run->noise_version);
  kernels::require_supported(run->kernel_version);
  const auto condition = store::find_condition(db, run->condition_id);
  if (!condition) {
    corruption("run " + std::to_string(run_id) + ": its condition " + std::to_string(run->condition_id) +
               " does not exist");
  }
  try {
    auto config = evolve::ConditionConfig::from_json(json::parse(condition->config));
    Genome genome = genome_for_condition(config, run->noise_version, run->kernel_version);
    return RunModel{run_id, run->seed, std::move(config), std::move(genome)};
  } catch (const json::exception& e) {
    corruption("run " + std::to_string(run_id) + ": the stored config of condition '" + condition->name +
               "' is not valid JSON: " + e.what());
  } catch (const Error& e) {
    // A missing or changed base file (init.from) is not a damaged config: its message says why.
    if (e.code() == ErrorCode::kUnimplemented || e.code() == ErrorCode::kNotFound ||
        e.code() == ErrorCode::kFailedPrecondition || e.code() == ErrorCode::kIOError) {
      throw;
    }
    corruption("run " + std::to_string(run_id) + ": the stored config of condition '" + condition->name +
               "' no longer gives a genome: " + e.what());
  }
}

ExportFormat parse_export_format(const std::string& name) {
  if (name == "safetensors") return ExportFormat::kSafetensors;
  if (name == "npy") return ExportFormat::kNpy;
  invalid_argument("format: unknown export format '" + name + "' (expected safetensors or npy)");
}

ExportedGenome export_individual(store::Database& db, int64_t id, ExportFormat format, bool phenotype,
                                 lineage::GenotypeCache* cache, const ParallelPieces& parallel) {
  const auto row = store::get_individual(db, id);
  const Genome genome = genome_for_run(db, row.run_id);
  const std::vector<float> genotype = lineage::rebuild(db, id, genome.ops(parallel), cache);
  return encode_individual(db, row, genome, genotype, format, phenotype);
}

ExportedGenome encode_individual(store::Database& db, const store::IndividualRow& row, const Genome& genome,
                                 std::span<const float> genotype, ExportFormat format, bool phenotype) {
  const int64_t id = row.id;
  ExportedGenome result;
  result.run_id = row.run_id;
  result.checksum = Genome::checksum(genotype);
  if (row.checksum) {
    // rebuild() checks it too unless the genotype came from the cache; compare again, it is cheap.
    if (*row.checksum != result.checksum) {
      corruption("individual " + std::to_string(id) + ": rebuilt genotype checksum " + hex16(result.checksum) +
                 " does not match the stored " + hex16(*row.checksum));
    }
    result.verified = true;
  }

  std::vector<float> developed;
  if (phenotype) developed = genome.develop(genotype);
  const std::span<const float> values = phenotype ? std::span<const float>(developed) : genotype;
  result.values = values.size();
  const std::string stem = "individual-" + std::to_string(id) + (phenotype ? "-phenotype" : "");
  if (format == ExportFormat::kNpy) {
    result.bytes = encode_npy(values);
    result.filename = stem + ".npy";
    result.tensors = 1;
    return result;
  }
  std::vector<NamedTensor> tensors;
  if (phenotype) {
    size_t at = 0;
    for (const auto& t : genome.architecture().tensors) {
      const size_t n = static_cast<size_t>(t.size());
      tensors.push_back({t.name, t.shape, values.subspan(at, n)});
      at += n;
    }
  } else {
    for (const auto& b : genome.blocks()) tensors.push_back({b.name, b.shape, values.subspan(b.offset, b.size)});
  }
  json metadata = {{"format", "seedline"},
                         {"content", phenotype ? "phenotype" : "genotype"},
                         {"individual", std::to_string(id)},
                         {"run", std::to_string(row.run_id)},
                         {"generation", std::to_string(row.generation)},
                         {"checksum", hex16(result.checksum)},
                         {"noise_version", std::to_string(genome.noise_version())},
                         {"representation", genome.representation().to_json().dump()}};
  add_network_metadata(db, row.run_id, genome, metadata);
  result.bytes = encode_safetensors(tensors, metadata);
  result.filename = stem + ".safetensors";
  result.tensors = tensors.size();
  return result;
}

}  // namespace seedline::genome
