// GET /api/individuals/{id}/genome on runs with real stored configs: the download is the file
// genome::export_individual makes (which `seedline genome` writes), with its checksum header
// and file name, for both formats, genotype and phenotype, over the wire.
#include <gtest/gtest.h>

#include <thread>

#include "evolve/experiment.hpp"
#include "genome/run_genome.hpp"
#include "http/server.hpp"
#include "lineage/lineage_testing.hpp"
#include "runner/submit.hpp"
#include "store/migrations.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "util/hex.hpp"

namespace seedline::http {
namespace {

constexpr const char* kExperiment = R"({"name": "genome-http", "seed": 5, "task": {"type": "sphere"},
  "network": [{"type": "dense", "in": 4, "out": 3, "activation": "tanh"}, {"type": "dense", "out": 2}],
  "conditions": [{"name": "factorized", "representation": {"type": "factorized", "rank": 1}},
                 {"name": "direct", "representation": {"type": "direct"}}]})";

class GenomeRoute : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::open_database(path_, store::OpenPurpose::kCreate);
    const auto submitted = runner::submit_experiment(db, evolve::parse_experiment(kExperiment, "test"), "test");
    ASSERT_EQ(submitted.runs.size(), 2u);
    for (int i = 0; i < 2; ++i) {
      const int64_t run = submitted.runs[static_cast<size_t>(i)];
      const auto genome = genome::genome_for_run(db, run);
      chains_[i] = lineage::fixtures::build_chain(db, run, genome.ops(), {.depth = 12, .snapshot_every = 5,
                                                                         .seed_base = 7u + static_cast<uint64_t>(i)});
      genomes_.push_back(genome);
    }
  }

  testing::TempDir dir_;
  std::filesystem::path path_ = dir_ / "genome.db";
  lineage::fixtures::Chain chains_[2];
  std::vector<genome::Genome> genomes_;
};

TEST_F(GenomeRoute, DownloadsTheRebuiltGenomeWithItsChecksum) {
  ServerOptions options;
  options.db_path = path_;
  options.port = 0;
  options.web_files = {};
  Server server(options);
  std::thread serving([&] { server.run(); });
  auto reader = store::open_database(path_, store::OpenPurpose::kRead);

  struct Case {
    int run;
    int depth;
    const char* query;
    genome::ExportFormat format;
    bool phenotype;
    const char* extension;
  };
  const Case cases[] = {
      {0, 12, "?format=safetensors", genome::ExportFormat::kSafetensors, false, ".safetensors"},
      {0, 7, "", genome::ExportFormat::kSafetensors, false, ".safetensors"},  // default format
      {1, 3, "?format=npy", genome::ExportFormat::kNpy, false, ".npy"},
      {1, 12, "?format=npy&phenotype=1", genome::ExportFormat::kNpy, true, ".npy"},
      {0, 9, "?format=safetensors&phenotype=true", genome::ExportFormat::kSafetensors, true, ".safetensors"},
  };
  testing::HttpConnection c(server.port());
  for (const auto& k : cases) {
    const int64_t id = chains_[k.run].ids[static_cast<size_t>(k.depth)];
    const std::string target = "/api/individuals/" + std::to_string(id) + "/genome" + k.query;
    const auto reply = c.request(target);
    ASSERT_EQ(reply.status, 200) << target << ": " << reply.body;
    const auto expected = genome::export_individual(reader, id, k.format, k.phenotype);
    EXPECT_EQ(reply.body, expected.bytes) << target;
    EXPECT_EQ(reply.header("content-type"), "application/octet-stream") << target;
    EXPECT_EQ(reply.header("content-disposition"), "attachment; filename=\"" + expected.filename + "\"") << target;
    EXPECT_EQ(expected.filename.rfind("individual-" + std::to_string(id), 0), 0u) << expected.filename;
    EXPECT_TRUE(expected.filename.ends_with(k.extension)) << expected.filename;
    // The checksum of the genotype computed directly by the fixture, not through a rebuild.
    const auto& genotype = chains_[k.run].genotypes[static_cast<size_t>(k.depth)];
    EXPECT_EQ(reply.header("x-seedline-checksum"), hex16(genome::Genome::checksum(genotype))) << target;
  }
  const auto head = c.request("/api/individuals/" + std::to_string(chains_[0].ids[4]) + "/genome", {}, "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_FALSE(head.header("x-seedline-checksum").empty());
  EXPECT_EQ(c.request("/api/individuals/99999/genome").status, 404);
  server.stop();
  serving.join();
}

}  // namespace
}  // namespace seedline::http
