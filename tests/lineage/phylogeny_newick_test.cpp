// `seedline phylogeny --format newick [--extant]` on a real run: the Newick text is parsed
// back by a small independent parser in Python and must give the same tree as the ALife CSV
// (same nodes, same parent of each, branch length = generation difference), and the extant
// pruning must keep exactly the ancestors-or-self of the final population.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "lineage/run_tree.hpp"
#include "store/migrations.hpp"
#include "store/experiment_repo.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

using testing::run_process;
using testing::run_seedline;

// argv: full.csv full.nwk extant.csv extant.nwk FINAL_IDS_JSON
constexpr const char* kCheck = R"PY(
import csv, json, sys

def parse_newick(text):
    """(label -> (parent label or None, branch length)) of a Newick string with labelled nodes."""
    text = text.strip()
    assert text.endswith(";"), text[-20:]
    text = text[:-1]
    nodes, stack, i = {}, [], 0
    pending = []          # per open "(": the child labels seen so far
    def read_label(i):
        j = i
        while j < len(text) and text[j] not in ",();":
            j += 1
        return text[i:j], j
    last_closed = []      # children of the group just closed, waiting for their parent's label
    while i < len(text):
        c = text[i]
        if c == "(":
            pending.append([])
            i += 1
        elif c == ",":
            i += 1
        elif c == ")":
            last_closed = pending.pop()
            i += 1
            token, i = read_label(i)
            label, _, length = token.partition(":")
            if label == "":
                assert not pending, "only the joining root may be unlabelled"
                for child in last_closed:
                    nodes[child] = (None, nodes[child][1])
                continue
            nodes[label] = (None, float(length))
            for child in last_closed:
                nodes[child] = (label, nodes[child][1])
            if pending:
                pending[-1].append(label)
        else:
            token, i = read_label(i)
            label, _, length = token.partition(":")
            nodes[label] = (None, float(length))
            if pending:
                pending[-1].append(label)
    return nodes

def read_csv(path):
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            a = r["ancestor_list"]
            parent = None if a == "[NONE]" else a.strip("[]")
            rows[r["id"]] = (parent, int(r["origin_time"]))
    return rows

def check(csv_rows, newick_nodes, what):
    assert set(csv_rows) == set(newick_nodes), (what, len(csv_rows), len(newick_nodes))
    for node, (parent, gen) in csv_rows.items():
        nparent, length = newick_nodes[node]
        assert nparent == parent, (what, node, parent, nparent)
        expected = gen - (csv_rows[parent][1] if parent else 0)
        assert length == expected, (what, node, length, expected)

full, full_nwk, extant, extant_nwk, final = sys.argv[1:6]
full_rows = read_csv(full)
check(full_rows, parse_newick(open(full_nwk).read()), "full")
extant_rows = read_csv(extant)
check(extant_rows, parse_newick(open(extant_nwk).read()), "extant")
keep = set()
for node in json.loads(final):
    node = str(node)
    while node is not None and node not in keep:
        keep.add(node)
        node = full_rows[node][0]
assert set(extant_rows) == keep, (len(extant_rows), len(keep))
roots = [n for n, (p, _) in extant_rows.items() if p is None]
print(json.dumps({"full": len(full_rows), "extant": len(extant_rows), "extant_roots": len(roots)}))
)PY";

TEST(PhylogenyNewick, ParsesBackToTheSameTreeAsTheCsvAndPrunesToTheFinalPopulation) {
  testing::TempDir dir;
  const std::string db = (dir / "p.db").string();
  const auto r = run_seedline(
      {"--db", db, "run", (testing::source_dir() / "examples" / "smoke.json").string(), "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string run = "3";  // direct, trial 0 (ids follow the file: factorized 1-2, direct 3-4)
  const auto path = [&](const char* name) { return (dir / name).string(); };
  for (const auto& [out, extra] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {path("full.csv"), {}},
           {path("full.nwk"), {}},
           {path("extant.csv"), {"--extant"}},
           {path("extant.txt"), {"--format", "newick", "--extant"}}}) {
    std::vector<std::string> args = {"--db", db, "phylogeny", "--run", run, "--out", out};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto w = run_seedline(args);
    ASSERT_EQ(w.exit_code, 0) << w.err;
  }
  // The final population, from the summaries (not from the tree code under test): the 24
  // born in generation 11 plus the one elite carried (smoke.json: elites 1).
  auto reader = store::open_database(db, store::OpenPurpose::kRead);
  const auto gens = store::list_generations(reader, 3);
  ASSERT_EQ(gens.size(), 12u);
  nlohmann::json final = nlohmann::json::array();
  for (int64_t id = gens.back().first_individual; id <= gens.back().last_individual; ++id) final.push_back(id);
  final.push_back(gens[10].parents.at(0));
  EXPECT_EQ(lineage::final_population(reader, 3).size(), final.size());

  const auto py = run_process(
      {"/usr/bin/python3", "-c", kCheck, path("full.csv"), path("full.nwk"), path("extant.csv"), path("extant.txt"), final.dump()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const auto got = nlohmann::json::parse(py.out);
  EXPECT_EQ(got["full"], 24 + 11 * 23);  // 24 roots, then 23 children a generation (the elite is no new row)
  EXPECT_LT(got["extant"].get<int>(), got["full"].get<int>());
  EXPECT_GE(got["extant"].get<int>(), static_cast<int>(final.size()));
}

// The writer does not recurse: a lineage 200,000 generations deep is written (and parsed by
// the Newick grammar's depth, checked here by counting brackets).
TEST(PhylogenyNewick, ADeepChainIsWrittenWithoutRecursion) {
  lineage::RunTree tree;
  constexpr int kDepth = 200'000;
  for (int i = 0; i < kDepth; ++i) tree.nodes.push_back({i + 1, i - 1, i, std::nullopt, i + 1 == kDepth});
  const std::string text = lineage::to_newick(tree);
  EXPECT_EQ(std::count(text.begin(), text.end(), '('), kDepth - 1);
  EXPECT_EQ(std::count(text.begin(), text.end(), ')'), kDepth - 1);
  EXPECT_EQ(text.substr(0, 3), "(((");
  EXPECT_EQ(text.substr(text.size() - 6), ")1:0;\n");
  // Two roots are joined under an unlabelled root; an empty tree is ";".
  lineage::RunTree two;
  two.nodes = {{5, -1, 0, 1.0, false}, {6, -1, 0, 2.0, false}, {9, 0, 2, 3.0, true}};
  EXPECT_EQ(lineage::to_newick(two), "((9:2)5:0,6:0);\n");
  EXPECT_EQ(lineage::to_newick(lineage::RunTree{}), ";\n");
}

}  // namespace
}  // namespace seedline
