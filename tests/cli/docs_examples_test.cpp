// The README, the docs and the example files say what the CLI does: their code fences close
// (an unclosed fence rendered a whole README section as code), the commands quoted in the
// examples' comments parse (`seedline compare es-vs-ga` was a usage error), only the file the
// demo script runs calls itself the demo's, and `seedline show` takes --experiment like every
// other command and shows each layer's defaults.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::filesystem::path> markdown_files() {
  std::vector<std::filesystem::path> out = {testing::source_dir() / "README.md"};
  for (const auto& e : std::filesystem::directory_iterator(testing::source_dir() / "docs")) {
    if (e.path().extension() == ".md") out.push_back(e.path());
  }
  return out;
}

TEST(DocsExamples, EveryCodeFenceCloses) {
  for (const auto& path : markdown_files()) {
    const auto lines = lines_of(testing::read_file(path));
    bool inside = false;
    size_t opened = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].rfind("```", 0) == 0) {
        inside = !inside;
        opened = i + 1;
        continue;
      }
      // A bold paragraph lead ("**Deep GA scale.**") inside a shell block is prose swallowed
      // by a fence left open above it.
      if (inside && lines[i].rfind("**", 0) == 0) {
        ADD_FAILURE() << path.filename() << ":" << i + 1 << ": prose inside the code block opened at line " << opened;
      }
    }
    EXPECT_FALSE(inside) << path.filename() << ": the code block opened at line " << opened << " never closes";
  }
}

// Every `seedline CMD ...` quoted in an example's comments, for the commands that only read:
// on an empty database each must fail for want of the experiment (exit 1), never as a usage
// error (exit 2).
TEST(DocsExamples, CommandsInExampleCommentsParse) {
  testing::TempDir dir;
  const auto db = (dir / "empty.db").string();
  ASSERT_EQ(testing::run_seedline({"--db", db, "db", "init"}).exit_code, 0);
  const std::regex command(R"(^//.*?\bseedline ((compare|status|show|export|lineage|evaluate)\b[^#`]*))");
  int checked = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(testing::source_dir() / "examples")) {
    if (e.path().extension() != ".json") continue;
    for (const auto& line : lines_of(testing::read_file(e.path()))) {
      std::smatch m;
      if (!std::regex_search(line, m, command)) continue;
      std::vector<std::string> args = {"--db", db};
      std::istringstream words(m[1].str());
      for (std::string w; words >> w;) {
        if (w == "&&" || w == "|") break;
        args.push_back(w);
      }
      const auto r = testing::run_seedline(args);
      EXPECT_EQ(r.exit_code, 1) << e.path().filename() << ": `seedline " << m[1].str() << "`: " << r.err;
      ++checked;
    }
  }
  EXPECT_GE(checked, 3);  // deep-ga, es-vs-ga, lm-demo
}

TEST(DocsExamples, OnlyTheDemosFileSaysTheDemoRunsIt) {
  const std::string script = testing::read_file(testing::source_dir() / "scripts" / "demo.sh");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(script, m, std::regex(R"(examples/([a-z_-]+\.json))")));
  const std::string demo_file = m[1].str();
  for (const auto& e : std::filesystem::directory_iterator(testing::source_dir() / "examples")) {
    if (e.path().extension() != ".json") continue;
    const std::string text = testing::read_file(e.path());
    const bool claims = text.find("The README's demo (scripts/demo.sh)") != std::string::npos ||
                        text.find("demo (scripts/demo.sh) runs this file") != std::string::npos;
    EXPECT_EQ(claims, e.path().filename() == demo_file) << e.path().filename();
  }
}

TEST(DocsExamples, ShowTakesExperimentLikeEveryCommandAndShowsLayerDefaults) {
  testing::TempDir dir;
  const auto db = (dir / "show.db").string();
  const auto submit = testing::run_seedline(
      {"--db", db, "submit", (testing::source_dir() / "examples" / "cartpole.json").string()});
  ASSERT_EQ(submit.exit_code, 0) << submit.err;
  const auto positional = testing::run_seedline({"--db", db, "show", "cartpole"});
  const auto named = testing::run_seedline({"--db", db, "show", "--experiment", "cartpole"});
  ASSERT_EQ(positional.exit_code, 0) << positional.err;
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_EQ(positional.out, named.out);
  EXPECT_EQ(testing::run_seedline({"--db", db, "show"}).exit_code, 2);
  EXPECT_EQ(testing::run_seedline({"--db", db, "show", "cartpole", "--experiment", "cartpole"}).exit_code, 2);

  const auto json = testing::run_seedline({"--db", db, "show", "--experiment", "cartpole", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto doc = nlohmann::json::parse(json.out);
  const auto& condition = doc.at("conditions").at(0);
  // Stored as written: the output layer names neither activation nor bias.
  EXPECT_FALSE(condition.at("config").at("network").at(2).contains("activation"));
  const auto& layers = condition.at("resolved").at("network");
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[0].at("in"), 4);  // CartPole's observation
  EXPECT_EQ(layers[0].at("activation"), "tanh");
  EXPECT_EQ(layers[2].at("in"), 64);
  EXPECT_EQ(layers[2].at("out"), 2);
  EXPECT_EQ(layers[2].at("activation"), "linear");
  EXPECT_EQ(layers[2].at("bias"), true);
  EXPECT_NE(positional.out.find("\"activation\": \"linear\""), std::string::npos) << positional.out;
}

TEST(DocsExamples, EsConditionsDoNotListTheGasOwnSettings) {
  testing::TempDir dir;
  const auto db = (dir / "es.db").string();
  const auto submit = testing::run_seedline(
      {"--db", db, "submit", (testing::source_dir() / "examples" / "es-vs-ga.json").string()});
  ASSERT_EQ(submit.exit_code, 0) << submit.err;
  const auto r = testing::run_seedline({"--db", db, "show", "es-vs-ga", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  for (const auto& c : doc.at("conditions")) {
    const bool es = c.at("config").contains("algorithm");
    if (es) {
      EXPECT_TRUE(c.at("config").at("ga").contains("mutation_rate")) << c.at("name");  // stored as resolved
      EXPECT_FALSE(c.at("resolved").at("ga").contains("mutation_rate")) << c.at("name");
    }
    EXPECT_EQ(c.at("resolved").at("ga").contains("elites"), !es) << c.at("name");
    EXPECT_TRUE(c.at("resolved").at("ga").contains("population")) << c.at("name");
  }
  // The GA's own settings may differ (the GA has them, ES does not), but an ES condition
  // never shows a value for them.
  for (const auto& d : doc.at("settings_differ")) {
    const std::string setting = d.at("setting");
    EXPECT_NE(setting, "ga.mutation_rate");
    if (setting == "ga.truncation" || setting == "ga.elites" || setting == "ga.sigma") {
      for (size_t i = 1; i < d.at("values").size(); ++i) EXPECT_TRUE(d.at("values")[i].is_null()) << d;
    }
  }
}

}  // namespace
}  // namespace seedline
