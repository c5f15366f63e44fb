// seedline lineage ID | descendants ID [--depth N] | mrca A B
// seedline phylogeny --run R --out FILE [--format csv|newick] [--extant]
// Read-only queries of the seed lineage; every one but phylogeny takes --json.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include "common.hpp"
#include "lineage/phylogeny.hpp"
#include "report/export.hpp"
#include "lineage/tree.hpp"
#include "store/experiment_repo.hpp"
#include "store/generation_bests.hpp"
#include "store/lineage_repo.hpp"

namespace seedline::cli {
namespace {

// Seeds are printed as unsigned decimals: nlohmann::json keeps uint64_t unsigned.
nlohmann::json individual_json(const store::IndividualRow& r) {
  return {{"id", r.id},
          {"generation", r.generation},
          {"parent", r.parent ? nlohmann::json(*r.parent) : nlohmann::json(nullptr)},
          {"seed", r.seed},
          {"fitness", r.fitness ? nlohmann::json(*r.fitness) : nlohmann::json(nullptr)}};
}

std::string fitness_text(const std::optional<double>& f) {
  if (!f) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", *f);
  return buf;
}

std::string row_text(const store::IndividualRow& r) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%12lld %6d %12s %20llu %14s", static_cast<long long>(r.id), r.generation,
                r.parent ? std::to_string(*r.parent).c_str() : "-", static_cast<unsigned long long>(r.seed),
                fitness_text(r.fitness).c_str());
  return buf;
}

constexpr const char* kHeader = "          id    gen       parent                 seed        fitness";

// The generations after its birth whose best this individual scored: an elite carried on is
// re-evaluated each generation, so a run's best (and `status`) can show a fitness other than
// its birth fitness. By individual id.
std::map<int64_t, std::vector<store::GenerationBest>> elite_bests(store::Database& db, int64_t run_id) {
  std::map<int64_t, std::vector<store::GenerationBest>> out;
  for (const auto& g : store::generation_bests(db, run_id)) out[g.individual].push_back(g);
  return out;
}

std::vector<store::GenerationBest> later_bests(const std::map<int64_t, std::vector<store::GenerationBest>>& bests,
                                               const store::IndividualRow& r) {
  std::vector<store::GenerationBest> out;
  if (const auto it = bests.find(r.id); it != bests.end()) {
    for (const auto& g : it->second) {
      if (g.generation > r.generation) out.push_back(g);
    }
  }
  return out;
}

// "-2.5 (gen 12), -2.61 (gen 13), +4 more".
std::string bests_text(const std::vector<store::GenerationBest>& bests) {
  std::string out;
  for (size_t i = 0; i < bests.size() && i < 3; ++i) {
    out += (i ? ", " : "") + fitness_text(bests[i].fitness) + " (gen " + std::to_string(bests[i].generation) + ")";
  }
  if (bests.size() > 3) out += ", +" + std::to_string(bests.size() - 3) + " more";
  return out;
}

void run_lineage(const GlobalOptions& global, int64_t id, bool json) {
  auto db = open_db(global, store::OpenPurpose::kRead);
  const auto path = lineage::ancestors(db, id);
  const auto bests = elite_bests(db, path.back().run_id);
  if (json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : path) {
      auto j = individual_json(r);
      nlohmann::json elite = nlohmann::json::array();
      for (const auto& g : later_bests(bests, r)) elite.push_back({{"generation", g.generation}, {"fitness", g.fitness}});
      j["elite_bests"] = std::move(elite);
      rows.push_back(std::move(j));
    }
    print_json({{"individual", id}, {"path", rows}});
    return;
  }
  // Parent steps and generations differ when an elite was carried unchanged in between.
  const size_t steps = path.size() - 1;
  const int span = path.back().generation - path.front().generation;
  std::cout << "lineage of individual " << id << " (run " << path.back().run_id << ", born in generation "
            << path.back().generation << "): ";
  if (steps == 0) {
    std::cout << "a root\n";
  } else {
    std::cout << "root " << path.front().id << " (generation " << path.front().generation << "), " << span
              << " generation" << (span == 1 ? "" : "s") << " back";
    if (static_cast<int>(steps) != span) {
      std::cout << " in " << steps << " parent step" << (steps == 1 ? "" : "s")
                << " (an elite is carried unchanged into the next generation)";
    }
    std::cout << "\n";
  }
  bool any_elite = false;
  for (const auto& r : path) any_elite = any_elite || !later_bests(bests, r).empty();
  std::cout << kHeader << (any_elite ? "  best of a later generation (as an elite, re-evaluated)" : "") << '\n';
  for (const auto& r : path) {
    const auto later = later_bests(bests, r);
    std::cout << row_text(r) << (later.empty() ? "" : "  " + bests_text(later)) << '\n';
  }
  std::cout << "fitness: measured in the birth generation";
  if (any_elite) std::cout << "; an elite's later scores are re-evaluations on new episodes";
  std::cout << '\n';
}

void run_descendants(const GlobalOptions& global, int64_t id, std::optional<int> depth, bool json) {
  auto db = open_db(global, store::OpenPurpose::kRead);
  const auto rows = lineage::descendants(db, id, depth);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : rows) {
      auto j = individual_json(d.individual);
      j["depth"] = d.depth;
      out.push_back(std::move(j));
    }
    print_json({{"individual", id},
                {"max_depth", depth ? nlohmann::json(*depth) : nlohmann::json(nullptr)},
                {"descendants", out}});
    return;
  }
  std::cout << rows.size() << " descendant" << (rows.size() == 1 ? "" : "s") << " of individual " << id;
  if (depth) std::cout << " within " << *depth << " generation" << (*depth == 1 ? "" : "s") << " of descent";
  std::cout << '\n';
  if (rows.empty()) return;
  std::cout << kHeader << "  depth\n";
  for (const auto& d : rows) std::cout << row_text(d.individual) << ' ' << std::string(6, ' ') << d.depth << '\n';
}

// "No common ancestor" is an answer, not an error: individuals of different runs and
// individuals of one run descending from different roots both exit 0 with "mrca": null and
// the reason ("different runs" or "different roots"); an unknown id exits 1.
void run_mrca(const GlobalOptions& global, int64_t a, int64_t b, bool json) {
  auto db = open_db(global, store::OpenPurpose::kRead);
  const auto row_a = store::get_individual(db, a);
  const auto row_b = store::get_individual(db, b);
  std::optional<lineage::MrcaResult> result;
  std::string none;  // why there is no common ancestor
  if (row_a.run_id != row_b.run_id) {
    none = "different runs";
  } else {
    result = lineage::find_mrca(db, a, b);
    if (!result->ancestor) none = "different roots";
  }
  if (json) {
    nlohmann::json j = {{"a", a}, {"b", b}, {"mrca", nullptr}};
    if (none.empty()) {
      j["mrca"] = result->ancestor->id;
      j["generation"] = result->ancestor->generation;
      j["steps_from_a"] = result->steps_from_a;
      j["steps_from_b"] = result->steps_from_b;
    } else {
      j["reason"] = none;
    }
    print_json(j);
    return;
  }
  if (none == "different runs") {
    std::cout << "individuals " << a << " (run " << row_a.run_id << ") and " << b << " (run " << row_b.run_id
              << ") have no common ancestor (different runs never share one)\n";
    return;
  }
  if (!none.empty()) {
    std::cout << "individuals " << a << " and " << b << " have no common ancestor (different roots)\n";
    return;
  }
  const auto& r = *result;
  std::cout << "most recent common ancestor of " << a << " and " << b << ": individual " << r.ancestor->id
            << " (born in generation " << r.ancestor->generation << "), " << r.steps_from_a
            << " parent step(s) above " << a << " and " << r.steps_from_b << " above " << b << '\n';
}

struct PhylogenyOptions {
  int64_t run = 0;
  std::string out;
  std::string format;  // empty: newick for a .nwk/.newick/.tree file, else csv
  bool extant = false;
};

void run_phylogeny(const GlobalOptions& global, const PhylogenyOptions& o) {
  const auto ext = std::filesystem::path(o.out).extension();
  const bool newick = o.format.empty() ? ext == ".nwk" || ext == ".newick" || ext == ".tree" : o.format == "newick";
  auto db = open_db(global, store::OpenPurpose::kRead);
  const int64_t n = newick ? lineage::write_phylogeny_newick(db, o.run, o.out, o.extant)
                           : lineage::write_phylogeny_csv(db, o.run, o.out, o.extant, report::run_shows_loss(db, o.run));
  std::cout << "wrote " << n << " individual" << (n == 1 ? "" : "s") << " of run " << o.run
            << (o.extant ? " (the final population and its ancestors)" : "") << " to " << o.out
            << (newick ? " (Newick)" : " (ALife CSV)") << '\n';
}

}  // namespace

void register_lineage_commands(CLI::App& app, const GlobalOptions& global) {
  {
    auto* cmd = app.add_subcommand("lineage", "Print an individual's ancestors, root first");
    auto id = std::make_shared<int64_t>(0);
    auto json = std::make_shared<bool>(false);
    add_id_option(cmd, "ID", *id, "Individual id");
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->callback([&global, id, json] { run_lineage(global, *id, *json); });
  }
  {
    auto* cmd = app.add_subcommand("descendants", "Print an individual's descendants in id order");
    auto id = std::make_shared<int64_t>(0);
    auto depth = std::make_shared<int>(-1);
    auto json = std::make_shared<bool>(false);
    add_id_option(cmd, "ID", *id, "Individual id");
    cmd->add_option("--depth", *depth, "Generations of descent to follow (default: all)")
        ->check(CLI::Range(0, 1'000'000'000));
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->callback([&global, id, depth, json] {
      run_descendants(global, *id, *depth >= 0 ? std::optional<int>(*depth) : std::nullopt, *json);
    });
  }
  {
    auto* cmd = app.add_subcommand("mrca", "Print the most recent common ancestor of two individuals");
    auto a = std::make_shared<int64_t>(0);
    auto b = std::make_shared<int64_t>(0);
    auto json = std::make_shared<bool>(false);
    add_id_option(cmd, "A", *a, "First individual id");
    add_id_option(cmd, "B", *b, "Second individual id");
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->callback([&global, a, b, json] { run_mrca(global, *a, *b, *json); });
  }
  {
    auto* cmd = app.add_subcommand("phylogeny", "Export a run's phylogeny as ALife standard CSV or Newick");
    auto o = std::make_shared<PhylogenyOptions>();
    add_id_option(cmd, "--run", o->run, "Run id");
    cmd->add_option("--out", o->out, "Output file (written atomically)")->required();
    cmd->add_option("--format", o->format, "csv (ALife standard) or newick (default: newick for .nwk, .newick, .tree)")
        ->check(CLI::IsMember({"csv", "newick"}));
    cmd->add_flag("--extant", o->extant, "Only the ancestors of the final population (prune the extinct lineages)");
    cmd->callback([&global, o] { run_phylogeny(global, *o); });
  }
}

}  // namespace seedline::cli
