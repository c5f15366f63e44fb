// `seedline genome` against a database built with the library API and real stored run
// configs, as a user runs it: the checksum a fresh process rebuilds, the files numpy reads
// back, and the errors for damaged data, unknown noise versions and unknown ids.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <bit>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "evolve/experiment.hpp"
#include "genome/run_genome.hpp"
#include "lineage/lineage_testing.hpp"
#include "runner/submit.hpp"
#include "store/migrations.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "util/hex.hpp"

namespace seedline::genome {
namespace {

using nlohmann::json;
using seedline::testing::read_file;
using seedline::testing::run_process;
using seedline::testing::run_seedline;
using seedline::testing::write_file;

constexpr const char* kExperiment = R"({"name": "genome-cli", "seed": 3, "task": {"type": "sphere"},
  "network": [{"type": "dense", "in": 6, "out": 5, "activation": "tanh"}, {"type": "dense", "out": 3}],
  "ga": {"mutation_rate": 0.05},
  "conditions": [{"name": "factorized", "representation": {"type": "factorized", "rank": 2}},
                 {"name": "direct", "representation": {"type": "direct"}}]})";

// Loads a safetensors file (parsed by hand: u64 length, JSON header, raw data) or an .npy file
// (numpy.load) and prints the tensors as JSON; floats are printed exactly (repr of a double).
constexpr const char* kLoader = R"(import json, sys
import numpy as np
path = sys.argv[1]
if path.endswith('.npy'):
    arr = np.load(path)
    print(json.dumps({'dtype': str(arr.dtype), 'shape': list(arr.shape), 'values': [float(x) for x in arr]}))
else:
    with open(path, 'rb') as f:
        data = f.read()
    n = int.from_bytes(data[:8], 'little')
    header = json.loads(data[8:8 + n])
    meta = header.pop('__metadata__', {})
    tensors = {}
    for name, t in header.items():
        b, e = t['data_offsets']
        arr = np.frombuffer(data[8 + n + b:8 + n + e], dtype='<f4').reshape(t['shape'])
        tensors[name] = {'dtype': t['dtype'], 'shape': list(arr.shape), 'values': [float(x) for x in arr.ravel()]}
    print(json.dumps({'header_bytes': n, 'size': len(data), 'metadata': meta, 'tensors': tensors}))
)";

// The Debian interpreter has numpy (scripts/setup.sh); a python3 earlier in PATH may not.
std::string python_with_numpy() {
  for (const char* p : {"python3", "/usr/bin/python3"}) {
    if (run_process({p, "-c", "import numpy"}).exit_code == 0) return p;
  }
  return {};
}

class GenomeCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::open_database(path_, store::OpenPurpose::kCreate);
    const auto submitted = runner::submit_experiment(db, evolve::parse_experiment(kExperiment, "test"), "test");
    ASSERT_EQ(submitted.runs.size(), 2u);
    for (int i = 0; i < 2; ++i) runs_[i] = submitted.runs[static_cast<size_t>(i)];
    // Run 0 (factorized) has snapshots every 10 generations, run 1 (direct) none.
    const Genome f = genome_for_run(db, runs_[0]);
    chains_[0] = lineage::fixtures::build_chain(db, runs_[0], f.ops(), {.depth = 35, .snapshot_every = 10});
    const Genome d = genome_for_run(db, runs_[1]);
    chains_[1] = lineage::fixtures::build_chain(db, runs_[1], d.ops(), {.depth = 35, .seed_base = 2});
  }

  seedline::testing::ProcessResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", path_.string()});
    return run_seedline(args);
  }

  json load(const std::filesystem::path& file) {
    const std::string python = python_with_numpy();
    EXPECT_FALSE(python.empty()) << "python3 with numpy is needed (Debian python3-numpy)";
    if (python.empty()) return {};
    write_file(dir_ / "load.py", kLoader);
    const auto r = run_process({python, (dir_ / "load.py").string(), file.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }

  Genome genome(int which) {
    auto db = store::open_database(path_, store::OpenPurpose::kRead);
    return genome_for_run(db, runs_[which]);
  }

  seedline::testing::TempDir dir_;
  std::filesystem::path path_ = dir_ / "genome.db";
  int64_t runs_[2] = {0, 0};
  lineage::fixtures::Chain chains_[2];
};

std::vector<float> floats(const json& values) {
  std::vector<float> v;
  for (const auto& x : values) v.push_back(static_cast<float>(x.get<double>()));
  return v;
}

bool same_bits(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return false;
  }
  return true;
}

TEST_F(GenomeCommand, AFreshProcessRebuildsTheSameChecksum) {
  struct Case {
    const char* name;
    int chain;
    int generation;
    bool verified;
  };
  const Case cases[] = {
      {"snapshots, leaf", 0, 35, false},      {"snapshots, parent", 0, 33, true},
      {"snapshots, snapshot", 0, 30, true},   {"snapshots, root", 0, 0, true},
      {"no snapshots, leaf", 1, 35, false},   {"no snapshots, parent", 1, 17, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto& chain = chains_[c.chain];
    const int64_t id = chain.ids[static_cast<size_t>(c.generation)];
    const auto out = dir_ / (std::to_string(id) + ".safetensors");
    const auto r = run({"genome", std::to_string(id), "--out", out.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = json::parse(r.out);
    EXPECT_EQ(j["checksum"], hex16(Genome::checksum(chain.genotypes[static_cast<size_t>(c.generation)])));
    EXPECT_EQ(j["verified"], c.verified);
    EXPECT_EQ(j["individual"], id);
    EXPECT_EQ(j["run"], runs_[c.chain]);
    EXPECT_EQ(j["format"], "safetensors");
    EXPECT_EQ(j["values"], chain.genotypes[0].size());
    EXPECT_EQ(j["bytes"], std::filesystem::file_size(out));
    
  }
  const int64_t leaf = chains_[1].ids.back();
  const auto r = run({"genome", std::to_string(leaf), "--out", (dir_ / "x.npy").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("genotype checksum " + hex16(Genome::checksum(chains_[1].genotypes.back())) +
                       " no stored checksum"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("as npy: 1 tensor, "), std::string::npos) << r.out;
  const auto v = run({"genome", std::to_string(chains_[1].ids[3]), "--out", (dir_ / "y.st").string()});
  EXPECT_NE(v.out.find(" verified\n"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("as safetensors: 4 tensors, "), std::string::npos) << v.out;
}

TEST_F(GenomeCommand, NumpyReadsTheSameValuesFromBothFormats) {
  for (int which = 0; which < 2; ++which) {
    SCOPED_TRACE(which == 0 ? "factorized" : "direct");
    const Genome g = genome(which);
    const size_t k = 21;
    const int64_t id = chains_[which].ids[k];
    const auto& genotype = chains_[which].genotypes[k];
    const auto phenotype = g.develop(genotype);

    // Genotype as safetensors: one tensor per block.
    const auto st = dir_ / "geno.safetensors";
    ASSERT_EQ(run({"genome", std::to_string(id), "--out", st.string()}).exit_code, 0);
    auto j = load(st);
    EXPECT_EQ((8 + j["header_bytes"].get<int>()) % 8, 0);
    EXPECT_EQ(j["metadata"]["individual"], std::to_string(id));
    EXPECT_EQ(j["metadata"]["run"], std::to_string(runs_[which]));
    EXPECT_EQ(j["metadata"]["checksum"], hex16(Genome::checksum(genotype)));
    EXPECT_EQ(j["metadata"]["noise_version"], "1");
    EXPECT_EQ(j["metadata"]["content"], "genotype");
    ASSERT_EQ(j["tensors"].size(), g.blocks().size());
    for (const auto& b : g.blocks()) {
      SCOPED_TRACE(b.name);
      const auto& t = j["tensors"][b.name];
      EXPECT_EQ(t["dtype"], "F32");
      EXPECT_EQ(t["shape"].get<std::vector<int64_t>>(), b.shape);
      EXPECT_TRUE(same_bits(floats(t["values"]), std::span(genotype).subspan(b.offset, b.size)));
    }

    // Phenotype as safetensors: one tensor per architecture tensor.
    const auto ph = dir_ / "pheno.safetensors";
    ASSERT_EQ(run({"genome", std::to_string(id), "--out", ph.string(), "--phenotype"}).exit_code, 0);
    j = load(ph);
    EXPECT_EQ(j["metadata"]["content"], "phenotype");
    ASSERT_EQ(j["tensors"].size(), g.architecture().tensors.size());
    size_t at = 0;
    for (const auto& t : g.architecture().tensors) {
      SCOPED_TRACE(t.name);
      const auto& jt = j["tensors"][t.name];
      EXPECT_EQ(jt["shape"].get<std::vector<int64_t>>(), t.shape);
      EXPECT_TRUE(same_bits(floats(jt["values"]), std::span(phenotype).subspan(at, static_cast<size_t>(t.size()))));
      at += static_cast<size_t>(t.size());
    }

    // npy, chosen by the extension, and with --format.
    const auto np = dir_ / "geno.npy";
    ASSERT_EQ(run({"genome", std::to_string(id), "--out", np.string()}).exit_code, 0);
    j = load(np);
    EXPECT_EQ(j["dtype"], "float32");
    EXPECT_EQ(j["shape"], json::array({genotype.size()}));
    EXPECT_TRUE(same_bits(floats(j["values"]), genotype));
    EXPECT_EQ(read_file(np).size() % 64, genotype.size() * 4 % 64);  // the header is padded to 64 bytes
    const auto npp = dir_ / "pheno.bin";
    ASSERT_EQ(run({"genome", std::to_string(id), "--out", npp.string(), "--format", "npy", "--phenotype"}).exit_code,
              0);
    std::filesystem::rename(npp, dir_ / "pheno.npy");
    j = load(dir_ / "pheno.npy");
    EXPECT_TRUE(same_bits(floats(j["values"]), phenotype));
  }
}

TEST_F(GenomeCommand, DamagedDataFailsNamingTheIndividualAndWritesNothing) {
  const auto out = dir_ / "never.safetensors";
  {
    auto db = store::open_database(path_, store::OpenPurpose::kWrite);
    db.exec("UPDATE snapshots SET data = x'0011223344556677' WHERE individual_id = " +
            std::to_string(chains_[0].ids[20]));
    db.exec("UPDATE individuals SET checksum = checksum + 1 WHERE id = " + std::to_string(chains_[1].ids[12]));
  }
  struct Case {
    const char* name;
    int64_t target;
    int64_t damaged;
  };
  const Case cases[] = {
      {"damaged snapshot", chains_[0].ids[25], chains_[0].ids[20]},
      {"checksum mismatch below", chains_[1].ids[30], chains_[1].ids[12]},
      {"checksum mismatch on the target", chains_[1].ids[12], chains_[1].ids[12]},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto r = run({"genome", std::to_string(c.target), "--out", out.string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err.rfind("seedline: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("individual " + std::to_string(c.damaged)), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out));
  }
  // Above the damage everything still exports.
  EXPECT_EQ(run({"genome", std::to_string(chains_[1].ids[11]), "--out", out.string()}).exit_code, 0);
}

// QA: `genome ID --out /dev/full` run as root replaced the device node with the exported file
// (the temporary file was renamed over it). A FIFO shows the same without root.
TEST_F(GenomeCommand, RefusesAnOutputThatIsNotARegularFile) {
  const auto fifo = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  struct Case {
    std::string out;
    std::string message;
  };
  const std::vector<Case> cases = {
      {fifo.string(), fifo.string() + ": is a FIFO"},
      {dir_.path().string(), dir_.path().string() + ": is a directory"},
      {"", "output path is empty"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.out);
    const auto r = run({"genome", std::to_string(chains_[0].ids[3]), "--out", c.out});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  EXPECT_EQ(std::filesystem::status(fifo).type(), std::filesystem::file_type::fifo);
}

TEST_F(GenomeCommand, UnknownNoiseVersionsIdsAndFormatsAreClearErrors) {
  int64_t root = 0;
  {
    auto db = store::open_database(path_, store::OpenPurpose::kWrite);
    const auto run = store::find_run(db, runs_[1]);
    const int64_t future = store::insert_run(db, run->experiment_id, run->condition_id, 1, 99, 2);
    root = lineage::fixtures::add(db, future, std::nullopt, 0, 5);
  }
  const auto out = (dir_ / "g.safetensors").string();
  auto r = run({"genome", std::to_string(root), "--out", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "seedline: error: noise version 2 is not known to this seedline (it knows 1..1)\n");
  r = run({"genome", "424242", "--out", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "seedline: error: individual 424242 does not exist\n");
  // An unknown format is a usage error (exit 2), refused before anything is read.
  r = run({"genome", std::to_string(chains_[0].ids[1]), "--out", out, "--format", "pt"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--format: pt not in {safetensors,npy}"), std::string::npos) << r.err;
  EXPECT_EQ(run({"genome", std::to_string(chains_[0].ids[1])}).exit_code, 2);  // --out is required
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(GenomeCommand, ExportInProcessUsesAndFillsTheCache) {
  auto db = store::open_database(path_, store::OpenPurpose::kRead);
  lineage::GenotypeCache cache;
  const int64_t id = chains_[0].ids[27];
  const auto a = export_individual(db, id, ExportFormat::kNpy, false, &cache);
  EXPECT_TRUE(cache.contains(id));
  const auto b = export_individual(db, id, ExportFormat::kNpy, false, &cache);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_TRUE(b.verified);
  EXPECT_EQ(a.filename, "individual-" + std::to_string(id) + ".npy");
  EXPECT_EQ(a.checksum, Genome::checksum(chains_[0].genotypes[27]));
}

}  // namespace
}  // namespace seedline::genome
