#include "http/router.hpp"

#include <functional>
#include <iostream>
#include <optional>
#include <vector>

#include "http/api.hpp"
#include "http/downloads.hpp"
#include "http/target.hpp"
#include "stats/experiment_curves.hpp"
#include "util/hex.hpp"
#include "util/utf8.hpp"

namespace seedline::http {
namespace {

using beast_http::status;

std::string_view sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

const std::string kServerName = std::string("seedline/") + SEEDLINE_VERSION;

Response make_response(const Request& req, status s, std::string_view content_type, std::string body) {
  Response res{s, req.version()};
  res.set(beast_http::field::server, kServerName);
  res.set(beast_http::field::content_type, boost::beast::string_view(content_type.data(), content_type.size()));
  res.set("X-Content-Type-Options", "nosniff");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response json_response(const Request& req, const Json& body) {
  // A stored string that is not UTF-8 (written by another program) becomes U+FFFD rather
  // than an exception.
  auto res = make_response(req, status::ok, "application/json", dump_json(body));
  res.set(beast_http::field::cache_control, "no-store");
  return res;
}

std::optional<std::string> bearer_token(const Request& req) {
  const auto it = req.find(beast_http::field::authorization);
  if (it == req.end()) return std::nullopt;
  const std::string_view value(it->value().data(), it->value().size());
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() < kScheme.size()) return std::string();
  for (size_t i = 0; i < kScheme.size(); ++i) {
    const char c = value[i] >= 'A' && value[i] <= 'Z' ? static_cast<char>(value[i] - 'A' + 'a') : value[i];
    if (c != kScheme[i]) return std::string();
  }
  std::string_view token = value.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return std::string(token);
}

// One request being routed; `id` is the path segment matched by "{id}", if any.
struct Call {
  const Request& req;
  const Target& target;
  RouterContext& ctx;
  std::string id;
};

// A route's handler, chosen before the method is checked so an unknown path is 404 and a
// known one with the wrong method is 405.
using Handler = std::function<Reply()>;

struct Route {
  std::vector<std::string_view> pattern;  // path segments; "{id}" matches any one segment
  std::vector<std::string_view> params;   // the query parameters it accepts
  std::function<Reply(const Call&, const QueryParams&)> handle;
};

// A route answering the JSON that `make(call, query)` returns.
template <typename F>
Route json_route(std::vector<std::string_view> pattern, std::vector<std::string_view> params, F make) {
  return {std::move(pattern), std::move(params),
          [make](const Call& c, const QueryParams& q) { return Reply{json_response(c.req, make(c, q)), nullptr}; }};
}

// The file's bytes go out as a shared body (see http/downloads.hpp): identical downloads in
// flight share one copy, and the bytes of all of them are bounded.
Reply genome_download(const Call& c, const QueryParams& q) {
  const int64_t id = parse_id(c.id, "individual");
  const std::string format = q.get("format").value_or("safetensors");
  const bool phenotype = q.flag("phenotype", false);
  const auto make = [&] { return genome_file(c.ctx.db, id, format, phenotype, c.ctx.genome_cache, c.ctx.rebuild_pool); };
  const std::string key = std::to_string(id) + "/" + format + "/" + (phenotype ? "phenotype" : "genotype");
  std::shared_ptr<const GenomeFile> file =
      c.ctx.downloads != nullptr ? c.ctx.downloads->acquire(key, make) : std::make_shared<const GenomeFile>(make());
  if (file == nullptr) {
    auto res = error_response(status::service_unavailable, "unavailable",
                              "too many genome downloads in progress (their bytes exceed " +
                                  std::to_string(c.ctx.downloads->max_bytes() >> 20) + " MiB); retry shortly",
                              c.req.version(), c.req.keep_alive());
    res.set(beast_http::field::retry_after, "2");
    return {std::move(res), nullptr};
  }
  auto res = make_response(c.req, status::ok, "application/octet-stream", std::string());
  res.set(beast_http::field::content_disposition, "attachment; filename=\"" + file->filename + "\"");
  res.set("X-Seedline-Checksum", hex16(file->checksum));
  res.set(beast_http::field::cache_control, "no-store");
  res.content_length(file->bytes.size());
  return {std::move(res), std::move(file)};
}

// metric=best|mean|median|evaluations|steps|seconds|NAME (an evaluator's metric), stage=S,
// cumulative=true|false
// (docs/http-api.md); the spec's own errors name the parameter.
stats::MetricSpec metric_spec(const QueryParams& q) {
  stats::MetricSpec spec;
  stats::set_metric(spec, q.get("metric").value_or("best"));
  if (const auto stage = q.integer("stage", std::nullopt, 0, 1'000'000)) spec.stage = static_cast<int>(*stage);
  spec.cumulative = q.flag("cumulative", false);
  stats::check_metric_spec(spec);
  return spec;
}

// Every /api endpoint of docs/http-api.md.
const std::vector<Route>& api_routes() {
  static const std::vector<Route> routes = {
      json_route({"api", "health"}, {}, [](const Call& c, const QueryParams&) { return health_json(c.ctx.db); }),
      json_route({"api", "experiments"}, {},
                 [](const Call& c, const QueryParams&) { return experiments_json(c.ctx.db); }),
      json_route({"api", "experiments", "{id}"}, {},
                 [](const Call& c, const QueryParams&) { return experiment_json(c.ctx.db, c.id); }),
      json_route({"api", "experiments", "{id}", "curves"}, {"metric", "stage", "cumulative", "max_points"},
                 [](const Call& c, const QueryParams& q) {
                   const auto spec = metric_spec(q);
                   const auto points =
                       q.integer("max_points", stats::kDefaultPoints, stats::kMinPoints, stats::kMaxPoints);
                   return curves_json(c.ctx.db, c.id, spec, static_cast<int>(*points));
                 }),
      json_route({"api", "experiments", "{id}", "compare"}, {"metric", "stage", "cumulative", "generation", "method"},
                 [](const Call& c, const QueryParams& q) {
                   const auto spec = metric_spec(q);
                   const auto g = q.integer("generation", std::nullopt, 0, 1'000'000'000);
                   const auto method = stats::parse_mwu_method(q.get("method").value_or("auto"));
                   return compare_json(c.ctx.db, c.id, spec,
                                       g ? std::optional<int>(static_cast<int>(*g)) : std::nullopt, method);
                 }),
      json_route({"api", "runs", "{id}"}, {},
                 [](const Call& c, const QueryParams&) { return run_detail_json(c.ctx.db, parse_id(c.id, "run")); }),
      json_route({"api", "runs", "{id}", "generations"}, {"max_points"},
                 [](const Call& c, const QueryParams& q) {
                   const auto points =
                       q.integer("max_points", stats::kMaxPoints, stats::kMinPoints, stats::kMaxPoints);
                   return run_generations_json(c.ctx.db, parse_id(c.id, "run"), static_cast<int>(*points));
                 }),
      json_route({"api", "runs", "{id}", "metrics"}, {"members"},
                 [](const Call& c, const QueryParams& q) {
                   return run_metrics_json(c.ctx.db, parse_id(c.id, "run"), q.flag("members", false));
                 }),
      json_route({"api", "runs", "{id}", "tree"}, {"extant"},
                 [](const Call& c, const QueryParams& q) {
                   return run_tree_json(c.ctx.db, parse_id(c.id, "run"), q.flag("extant", true));
                 }),
      json_route({"api", "individuals", "{id}"}, {},
                 [](const Call& c, const QueryParams&) {
                   return individual_json(c.ctx.db, parse_id(c.id, "individual"));
                 }),
      json_route({"api", "individuals", "{id}", "lineage"}, {},
                 [](const Call& c, const QueryParams&) {
                   return lineage_json(c.ctx.db, parse_id(c.id, "individual"));
                 }),
      Route{{"api", "individuals", "{id}", "genome"}, {"format", "phenotype"}, genome_download},
  };
  return routes;
}

Handler api_route(const Request& req, const Target& t, RouterContext& ctx) {
  for (const auto& route : api_routes()) {
    if (route.pattern.size() != t.segments.size()) continue;
    std::string id;
    bool match = true;
    for (size_t i = 0; match && i < route.pattern.size(); ++i) {
      if (route.pattern[i] == "{id}") id = t.segments[i];
      else match = route.pattern[i] == t.segments[i];
    }
    if (!match) continue;
    return [&req, &t, &ctx, &route, id] {
      const QueryParams q(t, route.params);
      return route.handle(Call{req, t, ctx, id}, q);
    };
  }
  return nullptr;
}

Handler static_route(const Request& req, const Target& t, RouterContext& ctx) {
  if (t.segments.empty() && ctx.web.empty()) {
    return [&req] {
      return Reply{make_response(req, status::ok, "text/html; charset=utf-8", std::string(no_dashboard_page())),
                   nullptr};
    };
  }
  std::string path;  // the normalised segments: "." and empty ones are gone
  for (const auto& segment : t.segments) path += (path.empty() ? "" : "/") + segment;
  const EmbeddedFile* file = ctx.web.find(path);
  if (file == nullptr) return nullptr;
  return [&req, file] {
    auto res = make_response(req, status::ok, content_type_for(file->path), std::string(file->data));
    res.set(beast_http::field::cache_control, "no-cache");
    return Reply{std::move(res), nullptr};
  };
}

Reply route(const Request& req, RouterContext& ctx) {
  const Target t = parse_target(std::string_view(req.target().data(), req.target().size()));
  const bool api = !t.segments.empty() && t.segments[0] == "api";
  if (api && !ctx.token.empty()) {
    const auto given = bearer_token(req);
    if (!given || !token_matches(ctx.token, *given)) {
      auto res = error_response(status::unauthorized, "unauthorized",
                                given ? "wrong token in the Authorization header"
                                      : "this server requires a token: send 'Authorization: Bearer TOKEN'",
                                req.version(), req.keep_alive());
      res.set(beast_http::field::www_authenticate, "Bearer");
      return {std::move(res), nullptr};
    }
  }
  const Handler handler = api ? api_route(req, t, ctx) : static_route(req, t, ctx);
  if (!handler) {
    return {error_response(status::not_found, "not_found", "no such path: " + t.path, req.version(),
                           req.keep_alive()),
            nullptr};
  }
  if (req.method() != beast_http::verb::get && req.method() != beast_http::verb::head) {
    auto res = error_response(status::method_not_allowed, "method_not_allowed",
                              "method " + std::string(req.method_string()) + " is not allowed (only GET and HEAD)",
                              req.version(), req.keep_alive());
    res.set(beast_http::field::allow, "GET, HEAD");
    return {std::move(res), nullptr};
  }
  return handler();
}

}  // namespace

beast_http::status status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return status::bad_request;
    case ErrorCode::kNotFound: return status::not_found;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition: return status::conflict;
    case ErrorCode::kUnimplemented: return status::not_implemented;
    case ErrorCode::kCorruption:
    case ErrorCode::kIOError:
    case ErrorCode::kInternal: return status::internal_server_error;
  }
  return status::internal_server_error;
}

Response error_response(status s, std::string_view code, std::string_view message, unsigned version, bool keep_alive) {
  Response res{s, version};
  res.set(beast_http::field::server, kServerName);
  res.set(beast_http::field::content_type, "application/json");
  res.set(beast_http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.keep_alive(keep_alive);
  // The message may quote client or stored bytes that are not UTF-8: dump_json replaces them
  // instead of throwing, so building an error never fails with another error (which used to
  // escape the handler and drop the connection unanswered).
  try {
    res.body() = dump_json(Json{{"error", {{"code", code}, {"message", message}}}});
  } catch (const std::exception&) {
    res.body() = R"({"error":{"code":"internal","message":"the error message could not be built"}})";
  }
  res.prepare_payload();
  return res;
}

bool token_matches(std::string_view expected, std::string_view given) {
  // Every byte of `given` is compared (against expected cyclically), and the length
  // difference is folded in, so the time depends only on the length of what was sent.
  unsigned diff = expected.size() == given.size() ? 0u : 1u;
  if (expected.empty()) return false;
  for (size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i]) ^ static_cast<unsigned char>(expected[i % expected.size()]);
  }
  return diff == 0 && !given.empty();
}

Response handle_request(const Request& req, RouterContext& ctx) {
  Reply reply = route_request(req, ctx);
  if (reply.body != nullptr) {
    reply.message.body() = reply.body->bytes;
    reply.message.prepare_payload();
  }
  return std::move(reply.message);
}

Reply route_request(const Request& req, RouterContext& ctx) {
  try {
    return route(req, ctx);
  } catch (const Error& e) {
    const auto s = status_for(e.code());
    if (s == status::internal_server_error) {
      std::cerr << "seedline serve: " << escape_bytes(sv(req.method_string())) << ' ' << escape_bytes(sv(req.target()))
                << ": " << escape_bytes(e.what()) << '\n';
    }
    return {error_response(s, error_code_name(e.code()), e.what(), req.version(), req.keep_alive()), nullptr};
  } catch (const std::exception& e) {
    std::cerr << "seedline serve: " << escape_bytes(sv(req.method_string())) << ' ' << escape_bytes(sv(req.target()))
              << ": internal error: " << escape_bytes(e.what()) << '\n';
    return {error_response(status::internal_server_error, "internal", std::string("internal error: ") + e.what(),
                           req.version(), req.keep_alive()),
            nullptr};
  }
}

}  // namespace seedline::http
