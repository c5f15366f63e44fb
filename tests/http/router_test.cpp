// The request handler as a pure function: every endpoint's status and JSON shape, bad
// parameters, unknown ids and paths, methods, tokens, path traversal and static files.
#include "http/router.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "http/http_fixture.hpp"
#include "store/lineage_repo.hpp"

namespace seedline::http {
namespace {

using beast_http::status;
using beast_http::verb;
using nlohmann::json;

class Router : public fixtures::ServedSuite {
 protected:
  Response get(const std::string& target, verb method = verb::get, const std::string& authorization = "") {
    Request req{method, target, 11};
    req.set(beast_http::field::host, "127.0.0.1");
    if (!authorization.empty()) req.set(beast_http::field::authorization, authorization);
    RouterContext ctx{db_, token_, web_, nullptr};
    return handle_request(req, ctx);
  }
  json get_json(const std::string& target, status expected = status::ok) {
    const auto res = get(target);
    EXPECT_EQ(res.result(), expected) << target << ": " << res.body();
    EXPECT_EQ(res[beast_http::field::content_type], "application/json") << target;
    return json::parse(res.body());
  }
  int64_t run(const std::string& condition, int trial) const { return served_->demo.runs.at({condition, trial}); }

  store::Database db_ = store::open_database(served_->path, store::OpenPurpose::kRead);
  std::string token_;
  StaticFiles web_{std::span<const EmbeddedFile>()};
};

void expect_keys(const json& j, std::initializer_list<const char*> keys, const std::string& what) {
  for (const char* k : keys) EXPECT_TRUE(j.contains(k)) << what << " lacks '" << k << "': " << j.dump();
}

TEST_F(Router, Health) {
  const auto j = get_json("/api/health");
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["version"], SEEDLINE_VERSION);
  EXPECT_EQ(j["schema_version"], store::latest_schema_version());
}

TEST_F(Router, ExperimentsListCountsRunsByState) {
  const auto j = get_json("/api/experiments");
  ASSERT_EQ(j["experiments"].size(), 2u);
  const auto& demo = j["experiments"][0];
  expect_keys(demo, {"id", "name", "created_at", "conditions", "runs", "states"}, "experiment");
  EXPECT_EQ(demo["id"], served_->demo.experiment);
  EXPECT_EQ(demo["name"], "demo");
  EXPECT_EQ(demo["conditions"], (json{"factorized", "direct", "small"}));
  EXPECT_EQ(demo["runs"], 6);
  EXPECT_EQ(demo["states"], (json{{"queued", 0}, {"running", 1}, {"paused", 0}, {"finished", 4}, {"failed", 1}}));
  EXPECT_EQ(j["experiments"][1]["states"]["queued"], 1);
}

TEST_F(Router, ExperimentDetailByIdOrName) {
  const auto j = get_json("/api/experiments/" + std::to_string(served_->demo.experiment));
  expect_keys(j, {"id", "name", "created_at", "spec", "conditions", "settings_differ", "metric_names", "runs"},
              "experiment");
  EXPECT_EQ(j["spec"]["name"], "demo");  // the stored spec, as an object
  ASSERT_EQ(j["conditions"].size(), 3u);
  expect_keys(j["conditions"][1], {"id", "name", "position", "config"}, "condition");
  EXPECT_EQ(j["conditions"][1]["position"], 1);
  EXPECT_EQ(j["conditions"][1]["config"]["ga"]["generations"], 5);
  EXPECT_TRUE(j["settings_differ"].empty()) << "the fixture's conditions share one config";
  ASSERT_EQ(j["runs"].size(), 6u);
  EXPECT_EQ(get_json("/api/experiments/demo"), j);
}

// A built-in task's run has no named metrics (an external evaluator's: external_edges_test).
TEST_F(Router, RunMetricsOfABuiltInTaskAreEmpty) {
  const auto j = get_json("/api/runs/1/metrics?members=1");
  EXPECT_EQ(j, json::parse(R"({"run": 1, "metrics": {}})"));
  EXPECT_EQ(get_json("/api/experiments/demo")["metric_names"], json::array());
  EXPECT_EQ(get_json("/api/experiments/demo/curves?metric=best")["metric"], "best");
}

TEST_F(Router, RunHasStatusFieldsAndExtras) {
  const int64_t id = run("direct", 1);
  const auto j = get_json("/api/runs/" + std::to_string(id));
  expect_keys(j, {"id", "experiment", "experiment_name", "condition", "trial", "state", "generation", "generations", "best_fitness",
                  "best_individual", "seed", "noise_version", "message", "heartbeat", "evaluators"},
              "run");
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["experiment"], served_->demo.experiment);
  EXPECT_EQ(j["experiment_name"], "demo");
  EXPECT_EQ(j["condition"], "direct");
  EXPECT_EQ(j["trial"], 1);
  EXPECT_EQ(j["state"], "running");
  EXPECT_EQ(j["generation"], 2);   // bests {0, 1, 3}: newest committed generation 2
  EXPECT_EQ(j["generations"], 5);  // configured
  EXPECT_EQ(j["best_fitness"], 3.0);
  EXPECT_EQ(j["best_individual"], served_->demo.best_individuals.at(id)[2]);
  EXPECT_EQ(j["seed"], std::to_string(0x5eed000000000001ULL));  // a string: above 2^53
  EXPECT_TRUE(j["message"].is_null());
  EXPECT_EQ(j["evaluators"], json::array());  // a built-in task

  const auto queued = get_json("/api/runs/" + std::to_string(served_->other.runs.at({"b", 0})));
  EXPECT_EQ(queued["generation"], -1);
  EXPECT_TRUE(queued["best_fitness"].is_null());
  EXPECT_TRUE(queued["best_individual"].is_null());
}

TEST_F(Router, RunGenerations) {
  const int64_t id = run("factorized", 1);
  const auto j = get_json("/api/runs/" + std::to_string(id) + "/generations");
  EXPECT_EQ(j["run"], id);
  EXPECT_EQ(j["total"], 4);
  ASSERT_EQ(j["generations"].size(), 4u);
  // Downsampled: the first and the last generation are always kept.
  const auto two = get_json("/api/runs/" + std::to_string(id) + "/generations?max_points=2");
  EXPECT_EQ(two["total"], 4);
  ASSERT_EQ(two["generations"].size(), 2u);
  EXPECT_EQ(two["generations"][0]["generation"], 0);
  EXPECT_EQ(two["generations"][1]["generation"], 3);
  const auto& g = j["generations"][3];
  expect_keys(g, {"generation", "best", "mean", "median", "std", "best_individual", "evaluations", "steps",
                  "eval_seconds", "total_seconds"},
              "generation");
  EXPECT_EQ(g["generation"], 3);
  EXPECT_EQ(g["best"], 9.0);
  EXPECT_EQ(g["mean"], 8.0);
  EXPECT_EQ(g["median"], 8.5);
}

TEST_F(Router, Curves) {
  const std::string base = "/api/experiments/" + std::to_string(served_->demo.experiment) + "/curves";
  const auto j = get_json(base);
  EXPECT_EQ(j["experiment"], served_->demo.experiment);
  EXPECT_EQ(j["metric"], "best");
  ASSERT_EQ(j["conditions"].size(), 3u);
  const auto& direct = j["conditions"][1];
  expect_keys(direct, {"name", "generations", "mean", "lo", "hi", "n", "runs"}, "curve");
  EXPECT_EQ(direct["name"], "direct");
  EXPECT_EQ(direct["generations"], (json{0, 1, 2, 3}));
  EXPECT_EQ(direct["n"], (json{2, 2, 2, 1}));          // trial 1 is at generation 2
  EXPECT_EQ(direct["mean"], (json{0.5, 1.5, 2.5, 3.0}));  // {1,0} {2,1} {2,3} {3}
  EXPECT_EQ(direct["lo"][3], 3.0);
  ASSERT_EQ(direct["runs"].size(), 2u);
  expect_keys(direct["runs"][1], {"run", "trial", "values"}, "series");
  EXPECT_TRUE(direct["runs"][1]["values"][3].is_null());

  const auto median = get_json(base + "?metric=median&max_points=2");
  EXPECT_EQ(median["metric"], "median");
  EXPECT_EQ(median["conditions"][0]["generations"], (json{0, 3}));
  EXPECT_EQ(median["conditions"][0]["mean"], (json{1.0, 8.0}));  // median = best - 0.5
}

TEST_F(Router, Compare) {
  const std::string base = "/api/experiments/" + std::to_string(served_->demo.experiment) + "/compare";
  const auto j = get_json(base);
  expect_keys(j, {"experiment", "metric", "generation", "method", "groups", "kruskal", "pairs"}, "compare");
  EXPECT_EQ(j["metric"], "best");
  EXPECT_EQ(j["method"], "auto");
  EXPECT_EQ(j["generation"], 2);  // the running run has reached 2
  ASSERT_EQ(j["groups"].size(), 3u);
  EXPECT_EQ(j["groups"][0]["name"], "factorized");
  EXPECT_EQ(j["groups"][0]["values"], (json{6.0, 5.0}));
  EXPECT_EQ(j["groups"][1]["values"], (json{2.0, 3.0}));
  ASSERT_EQ(j["pairs"].size(), 3u);
  const auto& p = j["pairs"][0];
  expect_keys(p, {"a", "b", "mwu", "ranksums", "glass_delta", "a12", "p_holm"}, "pair");
  EXPECT_EQ(p["a"], "factorized");
  EXPECT_EQ(p["b"], "direct");
  EXPECT_EQ(p["mwu"]["U"], 4.0);  // both factorized values beat both direct ones: U = 2·2
  EXPECT_EQ(p["a12"], 1.0);

  const auto g1 = get_json(base + "?metric=mean&generation=1&method=asymptotic");
  EXPECT_EQ(g1["generation"], 1);
  EXPECT_EQ(g1["method"], "asymptotic");
  EXPECT_EQ(g1["groups"][0]["values"], (json{2.0, 3.0}));  // mean = best - 1
  EXPECT_EQ(g1["pairs"][0]["mwu"]["method"], "asymptotic");

  // Generation 3 while direct trial 1 is still at 2: direct is reported with n = 1 of 2 and
  // left out of the tests; factorized and small are compared. Not an error (no 409).
  const auto g3 = get_json(base + "?generation=3");
  EXPECT_EQ(g3["generation"], 3);
  EXPECT_EQ(g3["groups"][1]["name"], "direct");
  EXPECT_EQ(g3["groups"][1]["n"], 1);
  EXPECT_EQ(g3["groups"][1]["runs_total"], 2);
  EXPECT_EQ(g3["groups"][1]["compared"], false);
  EXPECT_EQ(g3["groups"][1]["values"], (json{3.0}));
  EXPECT_EQ(g3["groups"][0]["compared"], true);
  ASSERT_EQ(g3["pairs"].size(), 1u);
  EXPECT_EQ(g3["pairs"][0]["a"], "factorized");
  EXPECT_EQ(g3["pairs"][0]["b"], "small");
  // Then 2 runs against 2: no pair can reach an exact p < 0.05, which a second note says.
  ASSERT_EQ(g3["notes"].size(), 2u);
  EXPECT_NE(g3["notes"][0].get<std::string>().find("condition 'direct': 1 run of 2 reached generation 3"),
            std::string::npos)
      << g3["notes"];
  EXPECT_NE(g3["notes"][1].get<std::string>().find("smallest exact Mann-Whitney p is 0.333"), std::string::npos)
      << g3["notes"];

  // "other": a has one run at generation 0, b is queued: no generation has 2 runs of every
  // condition, so nothing is compared.
  const auto other = get_json("/api/experiments/" + std::to_string(served_->other.experiment) + "/compare");
  EXPECT_TRUE(other["generation"].is_null());
  EXPECT_EQ(other["groups"][0]["n"], 0);
  EXPECT_EQ(other["groups"][1]["n"], 0);
  EXPECT_TRUE(other["kruskal"]["H"].is_null());
  EXPECT_TRUE(other["pairs"].empty());
}

// The fixture's run factorized/0: 3 individuals a generation, all children of the previous
// generation's first; its config carries no elites, so the final population is the 3 born in
// generation 3 and the pruned tree is the chain of firsts plus those 3.
TEST_F(Router, RunTreePrunedAndWholeAndChildren) {
  const int64_t r = run("factorized", 0);
  const auto& best = served_->demo.best_individuals.at(r);
  const auto pruned = get_json("/api/runs/" + std::to_string(r) + "/tree");
  EXPECT_EQ(pruned["extant_only"], true);
  EXPECT_EQ(pruned["last_generation"], 3);
  EXPECT_EQ(pruned["nodes"], 6);
  EXPECT_EQ(pruned["ids"], (json{best[0], best[1], best[2], best[3], best[3] + 1, best[3] + 2}));
  EXPECT_EQ(pruned["parents"], (json{-1, 0, 1, 2, 2, 2}));
  EXPECT_EQ(pruned["generations"], (json{0, 1, 2, 3, 3, 3}));
  EXPECT_EQ(pruned["fitness"], (json{1.0, 3.0, 6.0, 8.0, 7.0, 6.0}));  // best[g] - k
  EXPECT_EQ(pruned["extant"], (json{0, 0, 0, 1, 1, 1}));
  const auto whole = get_json("/api/runs/" + std::to_string(r) + "/tree?extant=0");
  EXPECT_EQ(whole["nodes"], 12);
  EXPECT_EQ(whole["parents"][4], 0);  // generation 1's second, a child of generation 0's first
  const auto parent = get_json("/api/individuals/" + std::to_string(best[2]));
  ASSERT_EQ(parent["children"].size(), 3u);
  EXPECT_EQ(parent["children"][0]["id"], best[3]);
  EXPECT_EQ(parent["children"][2]["fitness"], 6.0);
  EXPECT_EQ(parent["children"][1]["generation"], 3);
  EXPECT_TRUE(get_json("/api/individuals/" + std::to_string(best[3]))["children"].empty());
}

TEST_F(Router, IndividualAndLineage) {
  const int64_t r = run("factorized", 0);
  const auto& best = served_->demo.best_individuals.at(r);
  const auto j = get_json("/api/individuals/" + std::to_string(best[2]));
  expect_keys(j, {"id", "run", "experiment", "condition", "generation", "parent", "seed", "fitness", "checksum",
                  "snapshot"},
              "individual");
  EXPECT_EQ(j["run"], r);
  EXPECT_EQ(j["experiment"], served_->demo.experiment);
  EXPECT_EQ(j["condition"], "factorized");
  EXPECT_EQ(j["generation"], 2);
  EXPECT_EQ(j["parent"], best[1]);
  EXPECT_TRUE(j["seed"].is_string());
  EXPECT_EQ(j["fitness"], 6.0);
  EXPECT_EQ(j["checksum"], "9f8e7d6c5b4a3923");  // the fixture's 0x9f8e7d6c5b4a3921 + generation
  EXPECT_EQ(j["snapshot"], true);
  EXPECT_TRUE(j["es_role"].is_null());  // a GA run's individual
  EXPECT_EQ(get_json("/api/individuals/" + std::to_string(best[1]))["snapshot"], false);
  EXPECT_TRUE(get_json("/api/individuals/" + std::to_string(best[1] + 1))["checksum"].is_null());

  const auto lineage = get_json("/api/individuals/" + std::to_string(best[3]) + "/lineage");
  EXPECT_EQ(lineage["individual"], best[3]);
  ASSERT_EQ(lineage["path"].size(), 4u);
  for (size_t g = 0; g < 4; ++g) {
    const auto& e = lineage["path"][g];
    expect_keys(e, {"id", "generation", "parent", "seed", "fitness"}, "path entry");
    EXPECT_EQ(e["id"], best[g]);  // root first, the individual last
    EXPECT_EQ(e["generation"], g);
    EXPECT_TRUE(e["seed"].is_string());
  }
  EXPECT_TRUE(lineage["path"][0]["parent"].is_null());
}

TEST_F(Router, GenomeParametersAreChecked) {
  // Downloads themselves are tested on real run configs in genome_route_test.cpp.
  const int64_t id = served_->demo.best_individuals.at(run("direct", 0))[1];
  const std::string base = "/api/individuals/" + std::to_string(id) + "/genome";
  const std::pair<std::string, const char*> cases[] = {
      {base + "?format=zip", "unknown export format 'zip'"},
      {base + "?phenotype=maybe", "'phenotype' must be 0, 1, true or false"},
      {base + "?compress=1", "unknown query parameter 'compress'"},
  };
  for (const auto& [target, message] : cases) {
    const auto j = get_json(target, status::bad_request);
    EXPECT_NE(j["error"]["message"].get<std::string>().find(message), std::string::npos) << j;
  }
  EXPECT_EQ(get_json("/api/individuals/99999/genome", status::not_found)["error"]["code"], "not_found");
}

TEST_F(Router, ErrorsHaveTheirStatusAndShape) {
  const std::string exp = "/api/experiments/" + std::to_string(served_->demo.experiment);
  struct Case {
    std::string target;
    status expected;
    const char* code;
    const char* message;  // a part of the message
  };
  const Case cases[] = {
      {"/api/runs/abc", status::bad_request, "invalid_argument", "run id must be a positive integer (got 'abc')"},
      {"/api/runs/0", status::bad_request, "invalid_argument", "run id must be a positive integer"},
      {"/api/runs/99999999999999999999", status::bad_request, "invalid_argument", "run id"},
      {"/api/runs/999", status::not_found, "not_found", "run 999 does not exist"},
      {"/api/runs/999/generations", status::not_found, "not_found", "run 999 does not exist"},
      {"/api/runs/999/metrics", status::not_found, "not_found", "run 999 does not exist"},
      {"/api/runs/1/metrics?members=maybe", status::bad_request, "invalid_argument", "members"},
      {"/api/runs/1/generations?max_points=1", status::bad_request, "invalid_argument",
       "'max_points' must be an integer in 2..10000"},
      {"/api/individuals/999999", status::not_found, "not_found", "individual 999999 does not exist"},
      {"/api/individuals/999999/lineage", status::not_found, "not_found", "individual 999999"},
      {"/api/individuals/x/lineage", status::bad_request, "invalid_argument", "individual id"},
      {"/api/experiments/999", status::not_found, "not_found", "no experiment with id 999"},
      {"/api/experiments/nosuch/curves", status::not_found, "not_found", "no experiment named 'nosuch'"},
      {exp + "/curves?metric=worst", status::bad_request, "invalid_argument", "unknown metric 'worst'"},
      {exp + "/curves?max_points=1", status::bad_request, "invalid_argument", "'max_points' must be an integer in 2..10000"},
      {exp + "/curves?max_points=ten", status::bad_request, "invalid_argument", "(got 'ten')"},
      {exp + "/curves?max_points=5&max_points=6", status::bad_request, "invalid_argument", "more than once"},
      {exp + "/curves?colour=red", status::bad_request, "invalid_argument", "unknown query parameter 'colour'"},
      {exp + "/compare?generation=-1", status::bad_request, "invalid_argument", "'generation' must be an integer"},
      {exp + "/compare?method=fast", status::bad_request, "invalid_argument", "unknown Mann-Whitney method 'fast'"},
      {"/api/health?x=1", status::bad_request, "invalid_argument", "this endpoint takes none"},
      {"/api/nope", status::not_found, "not_found", "no such path: /api/nope"},
      {"/api/runs", status::not_found, "not_found", "no such path"},
      {"/api/runs/1/other", status::not_found, "not_found", "no such path"},
      {"/nope.js", status::not_found, "not_found", "no such path: /nope.js"},
      {"/api/%zz", status::bad_request, "invalid_argument", "malformed percent-escape"},
  };
  for (const auto& c : cases) {
    const auto res = get(c.target);
    EXPECT_EQ(res.result(), c.expected) << c.target << ": " << res.body();
    const auto j = json::parse(res.body());
    EXPECT_EQ(j["error"]["code"], c.code) << c.target;
    EXPECT_NE(j["error"]["message"].get<std::string>().find(c.message), std::string::npos)
        << c.target << ": " << j["error"]["message"];
  }
}

TEST_F(Router, PathTraversalIsRefused) {
  const char* targets[] = {"/../etc/passwd",      "/api/../../etc/passwd", "/%2e%2e/etc/passwd",
                           "/%2E%2E%2Fetc/passwd", "/.%2e/x",              "/a/..",
                           "/..\\etc",            "/x%5c..%5cetc",         "/index.html%00.js"};
  for (const char* t : targets) {
    const auto res = get(t);
    EXPECT_EQ(res.result(), status::bad_request) << t << ": " << res.body();
  }
}

TEST_F(Router, OnlyGetAndHeadAreAllowed) {
  for (verb v : {verb::post, verb::put, verb::delete_, verb::patch}) {
    const auto res = get("/api/health", v);
    EXPECT_EQ(res.result(), status::method_not_allowed) << res.body();
    EXPECT_EQ(res[beast_http::field::allow], "GET, HEAD");
    EXPECT_EQ(json::parse(res.body())["error"]["code"], "method_not_allowed");
  }
  EXPECT_EQ(get("/api/health", verb::head).result(), status::ok);
  // An unknown path stays 404 whatever the method.
  EXPECT_EQ(get("/api/nope", verb::post).result(), status::not_found);
}

TEST_F(Router, TokenGuardsTheApiOnly) {
  token_ = "s3cret-token";
  struct Case {
    const char* authorization;
    status expected;
  };
  const Case cases[] = {
      {"", status::unauthorized},
      {"Bearer wrong", status::unauthorized},
      {"Bearer s3cret-toke", status::unauthorized},
      {"Bearer s3cret-token-and-more", status::unauthorized},
      {"Basic s3cret-token", status::unauthorized},
      {"Bearer s3cret-token", status::ok},
      {"bearer  s3cret-token ", status::ok},
  };
  for (const auto& c : cases) {
    const auto res = get("/api/health", verb::get, c.authorization);
    EXPECT_EQ(res.result(), c.expected) << "'" << c.authorization << "'";
    if (c.expected == status::unauthorized) {
      EXPECT_EQ(res[beast_http::field::www_authenticate], "Bearer");
      EXPECT_EQ(json::parse(res.body())["error"]["code"], "unauthorized");
    }
  }
  // Unknown /api paths do not reveal themselves without the token.
  EXPECT_EQ(get("/api/nope").result(), status::unauthorized);
  EXPECT_EQ(get("/").result(), status::ok);  // the dashboard page itself is public
}

TEST(TokenMatches, ComparesWholeTokens) {
  struct Case {
    const char* expected;
    const char* given;
    bool match;
  };
  const Case cases[] = {{"abc", "abc", true},  {"abc", "abd", false}, {"abc", "ab", false},
                        {"abc", "abcabc", false}, {"abc", "", false},  {"", "", false}};
  for (const auto& c : cases) EXPECT_EQ(token_matches(c.expected, c.given), c.match) << c.expected << " " << c.given;
}

TEST_F(Router, StaticFilesFromTheEmbeddedTable) {
  static const EmbeddedFile files[] = {
      {"index.html", "<html>dash</html>"},
      {"app.js", "console.log(1)"},
      {"assets/logo.svg", "<svg/>"},
      {"data.bin", std::string_view("\0\1\2", 3)},
  };
  web_ = StaticFiles(files);
  struct Case {
    const char* target;
    const char* content_type;
    std::string body;
  };
  const Case cases[] = {
      {"/", "text/html; charset=utf-8", "<html>dash</html>"},
      {"/index.html", "text/html; charset=utf-8", "<html>dash</html>"},
      {"/app.js", "text/javascript; charset=utf-8", "console.log(1)"},
      {"/assets/logo.svg", "image/svg+xml", "<svg/>"},
      {"/assets/./logo.svg", "image/svg+xml", "<svg/>"},
      {"/data.bin", "application/octet-stream", std::string("\0\1\2", 3)},
      {"/app.js?v=3", "text/javascript; charset=utf-8", "console.log(1)"},
  };
  for (const auto& c : cases) {
    const auto res = get(c.target);
    EXPECT_EQ(res.result(), status::ok) << c.target;
    EXPECT_EQ(res[beast_http::field::content_type], c.content_type) << c.target;
    EXPECT_EQ(res.body(), c.body) << c.target;
  }
  EXPECT_EQ(get("/missing.css").result(), status::not_found);
  EXPECT_EQ(get("/assets").result(), status::not_found);
}

TEST_F(Router, WithoutADashboardTheRootSaysHowToBuildIt) {
  const auto res = get("/");
  EXPECT_EQ(res.result(), status::ok);
  EXPECT_EQ(res[beast_http::field::content_type], "text/html; charset=utf-8");
  EXPECT_NE(res.body().find("bash scripts/setup.sh"), std::string::npos);
  EXPECT_EQ(get("/app.js").result(), status::not_found);
}

TEST(ContentTypeFor, ByExtension) {
  const std::pair<const char*, const char*> cases[] = {
      {"a.html", "text/html; charset=utf-8"}, {"a.CSS", "text/css; charset=utf-8"},
      {"x/y.mjs", "text/javascript; charset=utf-8"}, {"a.json", "application/json"},
      {"a.png", "image/png"}, {"a.woff2", "font/woff2"}, {"noext", "application/octet-stream"},
      {"dir.v1/file", "application/octet-stream"}};
  for (const auto& [path, type] : cases) EXPECT_EQ(content_type_for(path), type) << path;
}

TEST(StatusFor, EveryErrorCode) {
  const std::pair<ErrorCode, status> cases[] = {
      {ErrorCode::kInvalidArgument, status::bad_request},   {ErrorCode::kNotFound, status::not_found},
      {ErrorCode::kAlreadyExists, status::conflict},        {ErrorCode::kFailedPrecondition, status::conflict},
      {ErrorCode::kCorruption, status::internal_server_error}, {ErrorCode::kIOError, status::internal_server_error},
      {ErrorCode::kUnimplemented, status::not_implemented}, {ErrorCode::kInternal, status::internal_server_error}};
  for (const auto& [code, s] : cases) EXPECT_EQ(status_for(code), s) << error_code_name(code);
}

}  // namespace
}  // namespace seedline::http
