// The transformer layer: Table 1's parameter counts through `seedline inspect --json`, the
// tensor names and order of docs/language-models.md, per-kind ranks, and field errors.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "genome/genome.hpp"
#include "noise/noise.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace seedline::genome {
namespace {

using nlohmann::json;

const json kTable1 = {{"type", "transformer"}, {"vocab", 2051}, {"d_model", 32}, {"blocks", 3},
                      {"heads", 4},            {"head_dim", 4},  {"ff", 128}};

// Table 1 of Garbus & Pollack (and docs/language-models.md): direct 99,507 phenotype
// parameters; factorized (embedding rank 32, others 4) 75,955 genotype + fixed with the same
// 99,507 developed; the small direct net (d 4, f 16) 11,671. Fixed: 3 blocks x 2 layer norms x
// (scale + bias) x d.
TEST(TransformerSpec, InspectPrintsTable1CountsAndWritesNothing) {
  seedline::testing::TempDir dir;
  const auto r = seedline::testing::run_seedline(
      {"inspect", (seedline::testing::source_dir() / "examples/tinystories.json").string(), "--json"}, "", dir.path(),
      {"SEEDLINE_DB=" + (dir / "never.db").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "inspect wrote a file";
  const json j = json::parse(r.out);
  struct Want {
    const char* name;
    int64_t genotype, fixed, phenotype;
  };
  const Want want[] = {{"factorized", 75'571, 384, 99'507}, {"direct", 99'123, 384, 99'507}, {"small", 11'623, 48, 11'671}};
  ASSERT_EQ(j["conditions"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(want[i].name);
    const json& c = j["conditions"][i];
    EXPECT_EQ(c["name"], want[i].name);
    EXPECT_EQ(c["genotype_parameters"], want[i].genotype);
    EXPECT_EQ(c["fixed_parameters"], want[i].fixed);
    EXPECT_EQ(c["phenotype_parameters"], want[i].phenotype);
    EXPECT_EQ(c["bytes_per_generation"], 512 * (want[i].genotype + want[i].phenotype) * 4);
    int64_t genotype = 0, phenotype = 0;
    for (const json& t : c["tensors"]) {
      genotype += t["genotype_values"].get<int64_t>();
      int64_t n = 1;
      for (const json& d : t["shape"]) n *= d.get<int64_t>();
      phenotype += n;
    }
    EXPECT_EQ(genotype, want[i].genotype);
    EXPECT_EQ(phenotype, want[i].phenotype);
  }
  EXPECT_EQ(want[0].genotype + want[0].fixed, 75'955);
  const json& f = j["conditions"][0]["tensors"];
  EXPECT_EQ(f[0], json({{"name", "embed.weight"}, {"shape", {2051, 32}}, {"representation", "factorized"},
                        {"rank", 32}, {"genotype_values", 2051 * 32 + 32 * 32}}));
  EXPECT_EQ(f[1], json({{"name", "blocks.0.attn.q.weight"}, {"shape", {16, 32}}, {"representation", "factorized"},
                        {"rank", 4}, {"genotype_values", 16 * 4 + 4 * 32}}));
  EXPECT_EQ(f[9]["name"], "blocks.0.ln1.scale");
  EXPECT_EQ(f[9]["representation"], "fixed");
  EXPECT_EQ(f[9]["genotype_values"], 0);
}

TEST(TransformerSpec, TensorNamesFollowTheContractInOrder) {
  const auto arch = parse_architecture(json::array({{{"type", "transformer"}, {"vocab", 10}, {"d_model", 4},
                                                     {"blocks", 1}, {"heads", 2}, {"head_dim", 2}, {"ff", 8}}}),
                                       std::nullopt);
  std::vector<std::string> names;
  for (const auto& t : arch.tensors) names.push_back(t.name);
  const std::vector<std::string> want = {
      "embed.weight",          "blocks.0.attn.q.weight", "blocks.0.attn.q.bias",  "blocks.0.attn.k.weight",
      "blocks.0.attn.k.bias",  "blocks.0.attn.v.weight", "blocks.0.attn.v.bias",  "blocks.0.attn.o.weight",
      "blocks.0.attn.o.bias",  "blocks.0.ln1.scale",     "blocks.0.ln1.bias",     "blocks.0.ff1.weight",
      "blocks.0.ff1.bias",     "blocks.0.ff2.weight",    "blocks.0.ff2.bias",     "blocks.0.ln2.scale",
      "blocks.0.ln2.bias",     "out.bias"};
  EXPECT_EQ(names, want);
  EXPECT_EQ(arch.tensors[7].shape, (std::vector<int64_t>{4, 4}));  // o: d x heads*head_dim
  EXPECT_EQ(arch.tensors[13].shape, (std::vector<int64_t>{4, 8}));  // ff2: d x ff
  EXPECT_TRUE(arch.is_transformer());
}

TEST(TransformerSpec, EachKindTakesItsOwnRankDefaultingToRank) {
  const auto arch = parse_architecture(json::array({kTable1}), std::nullopt);
  const auto rank_of = [&](const json& rep, const std::string& tensor) {
    const Genome g(arch, parse_representation(rep), {}, noise::kNewestVersion);
    for (const auto& b : g.blocks()) {
      if (b.name == tensor + ".A") return b.shape[1];
    }
    return int64_t{-1};
  };
  const json only = {{"type", "factorized"}, {"rank", 3}};
  EXPECT_EQ(rank_of(only, "embed.weight"), 3);
  EXPECT_EQ(rank_of(only, "blocks.2.attn.o.weight"), 3);
  EXPECT_EQ(rank_of(only, "blocks.1.ff2.weight"), 3);
  const json each = {{"type", "factorized"}, {"rank", 3}, {"embedding_rank", 4}, {"attention_rank", 1}, {"ff_rank", 2}};
  EXPECT_EQ(rank_of(each, "embed.weight"), 4);
  EXPECT_EQ(rank_of(each, "blocks.0.attn.v.weight"), 1);
  EXPECT_EQ(rank_of(each, "blocks.0.ff1.weight"), 2);
  EXPECT_EQ(rank_of(each, "out.bias"), -1);  // biases stay direct
}

TEST(TransformerSpec, BadFieldsAreErrorsNamingTheField) {
  const auto error_of = [](const std::function<void()>& fn) -> std::string {
    try {
      fn();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      return e.what();
    }
    return "no error";
  };
  struct Case {
    const char* name;
    std::function<void()> fn;
    const char* expected;
  };
  const auto layer = [](const char* key, json value) {
    json l = kTable1;
    l[key] = std::move(value);
    return json::array({l});
  };
  const Case cases[] = {
      {"unknown rank kind",
       [] { parse_representation({{"type", "factorized"}, {"rank", 4}, {"mlp_rank", 2}}); },
       "representation.mlp_rank"},
      {"zero attention rank",
       [] { parse_representation({{"type", "factorized"}, {"rank", 4}, {"attention_rank", 0}}); },
       "representation.attention_rank"},
      {"ff rank not a number",
       [] { parse_representation({{"type", "factorized"}, {"rank", 4}, {"ff_rank", "4"}}); },
       "representation.ff_rank"},
      {"odd head_dim", [&] { parse_architecture(layer("head_dim", 5), std::nullopt); }, "network[0].head_dim"},
      {"vocab too small", [&] { parse_architecture(layer("vocab", 3), std::nullopt); }, "network[0].vocab"},
      {"unknown field", [&] { parse_architecture(layer("dropout", 0.1), std::nullopt); }, "network[0].dropout"},
      {"bad activation", [&] { parse_architecture(layer("activation", "gelu"), std::nullopt); },
       "network[0].activation"},
      {"not alone",
       [&] { parse_architecture(json::array({kTable1, {{"type", "dense"}, {"out", 2}}}), std::nullopt); },
       "network[0].type"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_NE(error_of(c.fn).find(c.expected), std::string::npos) << error_of(c.fn);
  }
}

}  // namespace
}  // namespace seedline::genome
