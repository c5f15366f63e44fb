// seedline stats [--method auto|exact|asymptotic] [--json] < {"groups": {"name": [numbers]}}
#include <cmath>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

#include "common.hpp"
#include "stats/compare.hpp"
#include "util/error.hpp"

namespace seedline::cli {
namespace {

struct StatsOptions {
  std::string method = "auto";
  bool json = false;
};

// A number for the table: "-" for an undefined statistic, scientific for tiny p-values.
std::string fmt(double v, const char* format = "%.4g") {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

void print_table(const stats::Comparison& c) {
  std::cout << "Kruskal-Wallis  H = " << fmt(c.kruskal.H) << "  p = " << fmt(c.kruskal.p) << "  ("
            << c.groups.size() << " groups)\n\n";
  size_t name_width = 5;
  for (const auto& g : c.groups) name_width = std::max(name_width, g.name.size() + 2);

  std::cout << pad("group", name_width) << pad("n", 7) << pad("mean", 12) << "95% CI (Student t)\n";
  for (const auto& g : c.groups) {
    std::cout << pad(g.name, name_width) << pad(std::to_string(g.mean_ci.n), 7)
              << pad(fmt(g.mean_ci.mean), 12) << "[" << fmt(g.mean_ci.lo) << ", "
              << fmt(g.mean_ci.hi) << "]\n";
  }
  std::cout << '\n'
            << pad("a", name_width) << pad("b", name_width) << pad("U", 10) << pad("p (MWU)", 12)
            << pad("method", 12) << pad("z", 9) << pad("p (z)", 12) << pad("glass", 9)
            << pad("A12", 7) << "p (Holm)\n";
  for (const auto& p : c.pairs) {
    std::cout << pad(p.a, name_width) << pad(p.b, name_width) << pad(fmt(p.mwu.U, "%g"), 10)
              << pad(fmt(p.mwu.p), 12)
              << pad(std::string(stats::mwu_method_name(p.mwu.method_used)), 12)
              << pad(fmt(p.ranksums.z, "%.3f"), 9) << pad(fmt(p.ranksums.p), 12)
              << pad(fmt(p.glass_delta, "%.3f"), 9) << pad(fmt(p.a12, "%.3f"), 7)
              << fmt(p.p_holm) << '\n';
  }
}

void run_stats(const StatsOptions& options) {
  const std::string input{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  nlohmann::ordered_json doc;
  try {
    doc = nlohmann::ordered_json::parse(input);
  } catch (const nlohmann::json::exception& e) {
    // Syntax errors and numbers that overflow a double; keep the message on one line.
    std::string what = e.what();
    for (char& ch : what) {
      if (ch == '\n') ch = ' ';
    }
    invalid_argument("stats input on stdin is not valid JSON: " + what);
  }
  const auto groups = stats::groups_from_json(doc);
  const auto comparison = stats::compare_groups(groups, stats::parse_mwu_method(options.method));
  if (options.json) {
    std::cout << stats::to_json(comparison).dump(2) << '\n';
  } else {
    print_table(comparison);
  }
}

}  // namespace

void register_stats_command(CLI::App& app, const GlobalOptions& /*global*/) {
  auto* cmd = app.add_subcommand(
      "stats", "Compare groups of numbers read from stdin as {\"groups\": {\"name\": [numbers], ...}}");
  auto options = std::make_shared<StatsOptions>();
  cmd->add_option("--method", options->method,
                  "Mann-Whitney p-value: auto (scipy's rule), exact or asymptotic")
      ->check(CLI::IsMember({"auto", "exact", "asymptotic"}))
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->callback([options] { run_stats(*options); });
}

}  // namespace seedline::cli
