// The request handler: a pure function from one HTTP request to its response. It checks the
// target (path traversal, malformed escapes), the token on /api requests, routes to the JSON
// endpoints of docs/http-api.md or the embedded dashboard, and turns every failure into
// {"error": {"code", "message"}} with its status:
//   400 bad parameter or target   401 missing/wrong token   404 unknown id or path
//   405 method other than GET/HEAD   409 nothing to compare yet (failed precondition)
//   500 damaged database or a bug   501 feature missing from this build
// (413 and 431 come from the session, which enforces the size limits while reading.)
//
// Thread-safety: handle_request uses only the context's Database (one per thread) and
// thread-safe shared state (StaticFiles, GenotypeCache). It never throws.
#pragma once

#include <boost/beast/http.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "http/static_files.hpp"
#include "lineage/genotype_cache.hpp"
#include "runner/thread_pool.hpp"
#include "store/database.hpp"
#include "util/error.hpp"

namespace seedline::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;

class Downloads;
struct GenomeFile;

struct RouterContext {
  store::Database& db;
  std::string_view token;                       // empty: /api needs no token
  const StaticFiles& web;
  lineage::GenotypeCache* genome_cache = nullptr;
  Downloads* downloads = nullptr;               // null: each download builds its own body, unbounded
  runner::ThreadPool* rebuild_pool = nullptr;  // splits genome rebuilds over threads; may be null
};

// A response as the server sends it: `message` with its own body, or, for a genome download,
// the head in `message` (Content-Length set) and the bytes in the shared `body`, which the
// session writes in chunks without copying (http/downloads.hpp).
struct Reply {
  Response message;
  std::shared_ptr<const GenomeFile> body;
};

// Routes one request; never throws.
Reply route_request(const Request& request, RouterContext& context);
// route_request with any shared body copied into the message (in-process callers, tests).
Response handle_request(const Request& request, RouterContext& context);

// An error response with the JSON body {"error": {"code", "message"}}. Any message bytes are
// accepted (invalid UTF-8 becomes U+FFFD); it does not throw for any input.
Response error_response(beast_http::status status, std::string_view code, std::string_view message,
                        unsigned version = 11, bool keep_alive = false);

// The HTTP status an Error code is answered with.
beast_http::status status_for(ErrorCode code);

// Compares a presented token with the expected one in time independent of where they differ.
bool token_matches(std::string_view expected, std::string_view given);

}  // namespace seedline::http
