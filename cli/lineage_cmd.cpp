// seedline lineage ID | descendants ID [--depth N] | mrca A B
// seedline phylogeny --run R --out FILE [--format csv|newick] [--extant]
// Read-only queries of the seed lineage; every one but phylogeny takes --json.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "common.hpp"
#include "lineage/phylogeny.hpp"
#include "lineage/tree.hpp"
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

void run_lineage(const GlobalOptions& global, int64_t id, bool json) {
  auto db = open_db(global, store::OpenPurpose::kRead);
  const auto path = lineage::ancestors(db, id);
  if (json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : path) rows.push_back(individual_json(r));
    print_json({{"individual", id}, {"path", rows}});
    return;
  }
  std::cout << "lineage of individual " << id << " (run " << path.back().run_id << "): " << path.size() - 1
            << " generation" << (path.size() == 2 ? "" : "s") << " of descent from root " << path.front().id
            << "\n"
            << kHeader << '\n';
  for (const auto& r : path) std::cout << row_text(r) << '\n';
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

void run_mrca(const GlobalOptions& global, int64_t a, int64_t b, bool json) {
  auto db = open_db(global, store::OpenPurpose::kRead);
  const auto result = lineage::find_mrca(db, a, b);
  if (json) {
    nlohmann::json j = {{"a", a}, {"b", b}, {"mrca", nullptr}};
    if (result.ancestor) {
      j["mrca"] = result.ancestor->id;
      j["generation"] = result.ancestor->generation;
      j["steps_from_a"] = result.steps_from_a;
      j["steps_from_b"] = result.steps_from_b;
    }
    print_json(j);
    return;
  }
  if (!result.ancestor) {
    std::cout << "individuals " << a << " and " << b << " have no common ancestor (different roots)\n";
    return;
  }
  std::cout << "most recent common ancestor of " << a << " and " << b << ": individual " << result.ancestor->id
            << " (born in generation " << result.ancestor->generation << "), " << result.steps_from_a
            << " generation(s) of descent above " << a << " and " << result.steps_from_b << " above " << b << '\n';
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
                           : lineage::write_phylogeny_csv(db, o.run, o.out, o.extant);
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
