// seedline stats [--method auto|exact|asymptotic] [--json] < {"groups": {"name": [numbers]}}
#include <algorithm>
#include <functional>
#include <iostream>
#include <memory>

#include "common.hpp"
#include "comparison_table.hpp"
#include "stats/compare.hpp"
#include "stats/experiment_compare.hpp"
#include "util/error.hpp"
#include "util/json_fields.hpp"
#include "util/utf8.hpp"

namespace seedline::cli {
namespace {

struct StatsOptions {
  std::string method = "auto";
  bool json = false;
};

void run_stats(const StatsOptions& options) {
  // At most kMaxInput bytes (about ten million numbers): `seedline stats < /dev/zero` read
  // until the process was killed.
  constexpr size_t kMaxInput = size_t{256} << 20;
  std::string input;
  char buffer[1 << 16];
  while (std::cin.read(buffer, sizeof buffer) || std::cin.gcount() > 0) {
    input.append(buffer, static_cast<size_t>(std::cin.gcount()));
    if (input.size() > kMaxInput) invalid_argument("stats input on stdin is larger than 256 MiB");
  }
  nlohmann::ordered_json doc;
  try {
    JsonInputCheck<nlohmann::ordered_json> check;  // a group given twice is an error, not replaced
    doc = nlohmann::ordered_json::parse(input, std::ref(check));
  } catch (const nlohmann::json::exception& e) {
    // Syntax errors and numbers that overflow a double; keep the message on one line.
    std::string what = e.what();
    for (char& ch : what) {
      if (ch == '\n') ch = ' ';
    }
    invalid_argument("stats input on stdin is not valid JSON: " + what);
  } catch (const Error& e) {
    invalid_argument(std::string("stats input: ") + e.what());
  }
  const auto groups = stats::groups_from_json(doc);
  const auto comparison = stats::compare_groups(groups, stats::parse_mwu_method(options.method));
  if (options.json) {
    std::cout << dump_json(stats::to_json(comparison), 2) << '\n';
  } else {
    print_comparison_table(std::cout, comparison);
    // A bold-looking p from 3 values against 3 cannot reach 0.05 in any pair: say so.
    double smallest = 1.0;
    for (size_t i = 0; i < groups.size(); ++i) {
      for (size_t j = i + 1; j < groups.size(); ++j) {
        smallest = std::min(smallest, stats::smallest_exact_mwu_p(static_cast<int>(groups[i].values.size()),
                                                                  static_cast<int>(groups[j].values.size())));
      }
    }
    if (smallest >= 0.05) {
      std::cout << "\nnote: with these sample sizes the smallest exact Mann-Whitney p is " << format_number(smallest, "%.3g")
                << ": no pair can reach p < 0.05 whatever the values (more samples needed)\n";
    }
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
