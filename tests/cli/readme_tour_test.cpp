// The README's tour, run as a test so that it cannot drift from the code: every `seedline`
// command in the README's ```sh blocks (after the first block, the two commands that install
// and build), in order, on a fresh database holding what the first command leaves there (the
// demo experiment), must exit 0.
//
// The tour's experiments run at their own settings where they are cheap; the few that take
// minutes at full size (the Deep GA's population of 1000, the language-model demo, the Python
// evaluators, the long Pendulum and ES runs) run from scaled copies of examples/ (fewer generations and trials,
// never a different command line), so the suite stays within CI's budget. Lines that cannot
// run in a test are skipped and listed: `seedline serve` (it serves until stopped: the HTTP
// tests cover it), mpirun (tests/distributed), curl and bash lines, and lines with a
// placeholder for the reader to fill in (`seedline genome ID ...`).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TempDir;

struct TourLine {
  int line = 0;  // README line number, for failure messages
  std::string command;
};

// Every line of the ```sh blocks after the first, with its README line number.
std::vector<TourLine> shell_lines(const fs::path& readme) {
  std::ifstream in(readme);
  std::vector<TourLine> out;
  std::string text;
  bool in_sh = false, in_other = false;
  int blocks = 0, number = 0;
  while (std::getline(in, text)) {
    ++number;
    if (text.rfind("```", 0) == 0) {
      if (in_sh || in_other) {
        in_sh = in_other = false;
      } else if (text == "```sh") {
        in_sh = true;
        ++blocks;
      } else {
        in_other = true;
      }
      continue;
    }
    if (!in_sh || blocks < 2) continue;
    // A line ending in `\` or `|` goes on on the next one: sh reads them together.
    if (!out.empty() && !out.back().command.empty() &&
        (out.back().command.back() == '\\' || out.back().command.back() == '|')) {
      out.back().command += "\n" + text;
    } else {
      out.push_back({number, text});
    }
  }
  return out;
}

// A placeholder the reader fills in (`seedline genome ID ...`): an argument in capitals, or
// a synopsis with optional flags in brackets (`seedline db status [--json]`).
bool has_placeholder(const std::string& command) {
  static const std::regex placeholder(R"((^|\s)[A-Z][A-Z_]+(\s|$))");
  const std::string code = command.substr(0, command.find('#'));
  return std::regex_search(code, placeholder) || code.find(" [--") != std::string::npos;  // a synopsis
}

bool runs_in_test(const std::string& command) {
  const auto first = command.find_first_not_of(' ');
  if (first == std::string::npos || command[first] == '#') return false;
  const std::string c = command.substr(first);
  if (c.rfind("seedline serve", 0) == 0 || has_placeholder(c)) return false;
  return c.rfind("seedline ", 0) == 0 || c.find("| seedline ") != std::string::npos || c.rfind("python3 ", 0) == 0;
}

// Copies examples/ into `to`, scaling the experiments that take minutes at full size. The
// bound keeps every generation and individual id the tour names in range: the tour's own
// commands reach generation 20 of cartpole and individuals 4711 and 4790 of one of its runs.
void copy_examples(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& entry : fs::recursive_directory_iterator(from)) {
    const fs::path target = to / fs::relative(entry.path(), from);
    if (entry.is_directory()) {
      fs::create_directories(target);
      continue;
    }
    fs::copy_file(entry.path(), target, fs::copy_options::overwrite_existing);
    if (entry.path().extension() != ".json") continue;
    json e = json::parse(testing::read_file(entry.path()), nullptr, true, /*ignore_comments=*/true);
    if (!e.contains("ga")) continue;
    json& ga = e["ga"];
    const int64_t population = ga.value("population", int64_t{64});
    const int64_t generations = ga.value("generations", int64_t{100});
    const int64_t trials = e.value("trials", int64_t{1});
    const int64_t conditions = e.contains("conditions") ? static_cast<int64_t>(e["conditions"].size()) : 1;
    const std::string task = e["task"].value("type", "");
    const bool heavy = task == "language_model" || task == "external" || population * generations * trials * conditions > 30000;
    if (!heavy) continue;
    const bool slow_members = task == "language_model" || task == "external" || population > 100;
    ga["generations"] = std::min<int64_t>(generations, task == "language_model" ? 2 : slow_members ? 3 : 21);
    e["trials"] = std::min<int64_t>(trials, 2);
    if (population > 100) ga["population"] = 100;
    testing::write_file(target, e.dump(2));
  }
}

TEST(ReadmeTour, EveryCommandTheReadmeShowsRunsInOrderOnAFreshDatabase) {
  const fs::path source = testing::source_dir();
  const fs::path fortunes = source / "data" / "fortunes.txt";
  ASSERT_TRUE(fs::exists(fortunes)) << fortunes << " is missing: scripts/setup.sh makes it (lm_demo_corpus.sh)";
  TempDir dir;
  copy_examples(source / "examples", dir / "examples");
  fs::copy(source / "python", dir / "python", fs::copy_options::recursive);  // the evaluator client
  fs::create_directories(dir / "data");
  fs::copy_file(fortunes, dir / "data" / "fortunes.txt");

  const std::string path = "PATH=" + testing::seedline_bin().parent_path().string() + ":/usr/bin:/bin:" +
                           std::string(std::getenv("PATH") ? std::getenv("PATH") : "");
  const std::vector<std::string> env = {path, "SEEDLINE_DB=" + (dir / "seedline.db").string()};
  // The README's first command (scripts/demo.sh) runs the demo into the database the tour
  // then uses ("Daily use" compares it): the same two commands here.
  for (const char* demo : {"seedline db init", "seedline run examples/demo.json"}) {
    const auto r = testing::run_process({"/bin/sh", "-c", demo}, "", dir.path(), env);
    ASSERT_EQ(r.exit_code, 0) << "scripts/demo.sh: " << demo << "\n" << r.out << r.err;
  }
  const auto lines = shell_lines(source / "README.md");
  int ran = 0;
  std::vector<std::string> skipped;
  std::ostringstream timings;
  for (const auto& [number, command] : lines) {
    if (!runs_in_test(command)) {
      if (command.find_first_not_of(' ') != std::string::npos && command[command.find_first_not_of(' ')] != '#') {
        skipped.push_back("README.md:" + std::to_string(number) + ": " + command);
      }
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    const auto r = testing::run_process({"/bin/sh", "-c", command}, "", dir.path(), env);
    timings << "  " << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
            << " s  README.md:" << number << ": " << command << "\n";
    ASSERT_EQ(r.exit_code, 0) << timings.str() << "README.md:" << number << ": " << command << "\nstdout:\n"
                              << r.out.substr(0, 4000) << "\nstderr:\n" << r.err.substr(0, 4000);
    ++ran;
  }
  // The tour is most of the README: a parse that finds few commands has lost the blocks.
  std::cout << timings.str();
  EXPECT_GE(ran, 25) << "only " << ran << " README commands found";
  std::ostringstream note;
  for (const auto& s : skipped) note << "  skipped " << s << "\n";
  std::cout << "README tour: " << ran << " commands ran, " << skipped.size() << " skipped\n" << note.str();
}

}  // namespace
}  // namespace seedline
