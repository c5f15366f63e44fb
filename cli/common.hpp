// Shared pieces of the command-line front end: global options, database path resolution and
// output helpers. Subcommands live one per file (cli/<name>_cmd.cpp) and register themselves
// from main.cpp; each parses, calls src/, prints. Errors are thrown as seedline::Error and
// turned into a message and exit code 1 by main; usage errors exit 2.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "store/migrations.hpp"

namespace seedline::cli {

struct GlobalOptions {
  std::string db;  // --db; empty: $SEEDLINE_DB, then ./seedline.db
};

// --db PATH, then $SEEDLINE_DB, then ./seedline.db.
std::filesystem::path resolve_db_path(const GlobalOptions& global);

// Opens the resolved database for `purpose` (see store::open_database).
store::Database open_db(const GlobalOptions& global, store::OpenPurpose purpose);

// Prints JSON to stdout, indented, with a trailing newline.
void print_json(const nlohmann::json& value);

// Human-readable byte count, e.g. "1.4 MiB".
std::string format_bytes(int64_t bytes);

// Subcommand registration; one function per cli/<name>_cmd.cpp.
void register_db_command(CLI::App& app, const GlobalOptions& global);
// lineage, descendants, mrca, phylogeny (cli/lineage_cmd.cpp).
void register_lineage_commands(CLI::App& app, const GlobalOptions& global);
void register_stats_command(CLI::App& app, const GlobalOptions& global);
void register_genome_command(CLI::App& app, const GlobalOptions& global);
void register_submit_command(CLI::App& app, const GlobalOptions& global);
void register_status_command(CLI::App& app, const GlobalOptions& global);
// daemon and run (cli/daemon_cmd.cpp).
void register_daemon_commands(CLI::App& app, const GlobalOptions& global);
void register_compare_command(CLI::App& app, const GlobalOptions& global);
void register_serve_command(CLI::App& app, const GlobalOptions& global);

}  // namespace seedline::cli
