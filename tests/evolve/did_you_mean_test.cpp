// Experiment files get "did you mean" for misspelt fields and choices, as the command line
// does for its flags (issue 20, item 11: `trails`, `factorised`), through `seedline inspect`
// (which checks a file as submission does, without a database).
#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace seedline {
namespace {

TEST(ExperimentDidYouMean, FieldsAndChoicesNameTheNearestKnownOne) {
  const std::string network = R"("network": [{"type": "dense", "out": 4, "activation": "tanh"}, {"type": "dense"}])";
  const struct {
    const char* name;
    std::string file;
    std::string message;  // the whole message after "seedline: error: FILE: "
  } cases[] = {
      {"top-level field", R"({"trails": 3})", "trails: unknown field; did you mean 'trials'?"},
      {"ga field", R"({"ga": {"mutation_rat": 0.1}})", "ga.mutation_rat: unknown field; did you mean 'mutation_rate'?"},
      {"representation", R"({"representation": {"type": "factorised", "rank": 2}})",
       "representation.type: unknown representation 'factorised' (expected direct, factorized or lora); did you mean "
       "'factorized'?"},
      {"task type", R"({"task": {"type": "cartpol"}})",
       "task.type: unknown task 'cartpol' (one of cartpole, pendulum, sphere, rastrigin, external, language_model, mujoco); "
       "did you mean 'cartpole'?"},
      {"task field", R"({"task": {"type": "cartpole", "episode": 2}})", "did you mean 'episodes'?"},
      {"layer type", R"({"network": [{"type": "dens", "out": 2}]})", "did you mean 'dense'?"},
      {"activation", R"({"network": [{"type": "dense", "out": 4, "activation": "tahn"}, {"type": "dense"}]})",
       "did you mean 'tanh'?"},
      {"es choice", R"({"algorithm": {"type": "es", "optimizer": "adma"}})",
       "algorithm.optimizer: unknown value \"adma\" (expected \"sgd\" or \"adam\"); did you mean 'adam'?"},
      {"algorithm type", R"({"algorithm": {"type": "gaa"}})", "did you mean 'ga'?"},
  };
  testing::TempDir dir;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string file = c.file;
    if (file.find("\"network\"") == std::string::npos) file.insert(1, network + ", ");
    testing::write_file(dir / "e.json", file);
    const auto r = testing::run_seedline({"inspect", (dir / "e.json").string()});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  // Nothing near: no guess.
  testing::write_file(dir / "e.json", R"({"zzzzzzzz": 1})");
  const auto r = testing::run_seedline({"inspect", (dir / "e.json").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("zzzzzzzz: unknown field\n"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace seedline
