// seedline serve [--host 127.0.0.1] [--port 8080] [--token T] [--threads N]
// Serves the JSON API and the dashboard until SIGINT/SIGTERM, then exits 0 once the requests
// in flight are answered. Prints the URL first (with --port 0, the port the system chose).
#include <cstdlib>
#include <iostream>
#include <memory>

#include "common.hpp"
#include "http/server.hpp"
#include "read_only_note.hpp"

namespace seedline::cli {
namespace {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string token;  // empty: $SEEDLINE_TOKEN, if set
  int threads = 2;
};

void run_serve(const GlobalOptions& global, const ServeOptions& o) {
  http::ServerOptions options;
  options.db_path = resolve_db_path(global);
  options.host = o.host;
  options.port = static_cast<uint16_t>(o.port);
  options.token = o.token;
  if (options.token.empty()) {
    if (const char* env = std::getenv("SEEDLINE_TOKEN"); env != nullptr) options.token = env;
  }
  options.threads = o.threads;
  options.stop_on_signals = true;
  http::Server server(options);
  note_if_immutable(options.db_path);
  std::cout << "seedline: serving " << options.db_path.string() << " at " << server.url()
            << (options.token.empty() ? "" : " (token required for /api)") << std::endl;
  std::cout << "seedline: press Ctrl-C to stop" << std::endl;
  server.run();
  std::cout << "seedline: stopped" << std::endl;
}

}  // namespace

void register_serve_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("serve", "Serve the JSON API and the web dashboard (read-only)");
  auto o = std::make_shared<ServeOptions>();
  cmd->add_option("--host", o->host, "Address to bind; anything but loopback requires a token")->capture_default_str();
  cmd->add_option("--port", o->port, "TCP port; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--token", o->token, "Require 'Authorization: Bearer TOKEN' on /api (default: $SEEDLINE_TOKEN)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            const auto problem = http::token_problem(text);
            return problem ? *problem : std::string();
          },
          "TOKEN"));
  cmd->add_option("--threads", o->threads, "Worker threads, each with its own database connection")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->callback([&global, o] { run_serve(global, *o); });
}

}  // namespace seedline::cli
