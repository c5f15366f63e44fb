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

// Thrown by a command that has printed its outcome and must end with `code` (not an error:
// main prints nothing more), e.g. 130 when `run` was stopped by a signal and paused its runs.
struct ExitStatus {
  int code = 0;
};

// Prints an error to stderr and returns `code`: "seedline: KIND: MESSAGE" then `footer` (if
// any) on its own line, or with `json` the single line {"error": MESSAGE, "code": CODE}.
int report_error(const std::string& message, const std::string& kind, int code, bool json,
                 const std::string& footer = "");

// --db PATH, then $SEEDLINE_DB, then ./seedline.db.
std::filesystem::path resolve_db_path(const GlobalOptions& global);

// "seedline", or "seedline --db PATH" when --db was given: the start of every command a hint
// prints, so a user who named a database is never pointed at another one. PATH is quoted for
// a POSIX shell when it holds anything but [A-Za-z0-9/._+-].
std::string seedline_command(const GlobalOptions& global);

// `text` with every "`seedline " (the start of a command hint, as the library's error
// messages write them) completed with --db PATH when --db was given.
std::string with_db_hints(const std::string& text, const GlobalOptions& global);

// Opens the resolved database for `purpose` (see store::open_database).
store::Database open_db(const GlobalOptions& global, store::OpenPurpose purpose);

// Adds a required positional or named id option (individual, run): a decimal integer from 1
// to 2^63-1. CLI11 alone accepts 0x10 as 16, clamps 9223372036854775808 to 2^63-1 and takes 0
// and negatives; this refuses them as usage errors naming the value.
CLI::Option* add_id_option(CLI::App* cmd, const std::string& name, int64_t& id, const std::string& description);

// A validator for a number of seconds or similar: finite and within [lo, hi]. CLI::Range
// lets "nan" through (every comparison with NaN is false); `daemon --poll nan` then spun a
// core polling the database.
CLI::Validator finite_range(double lo, double hi);

// Writes `bytes` to a temporary file beside `path`, syncs it and renames it into place, so a
// reader never sees a half-written file; the temporary file is removed on failure (kIOError).
void write_file_atomically(const std::filesystem::path& path, const std::string& bytes);

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
void register_inspect_command(CLI::App& app, const GlobalOptions& global);
void register_tokenize_command(CLI::App& app, const GlobalOptions& global);
void register_status_command(CLI::App& app, const GlobalOptions& global);
// daemon and run (cli/daemon_cmd.cpp).
void register_daemon_commands(CLI::App& app, const GlobalOptions& global);
void register_compare_command(CLI::App& app, const GlobalOptions& global);
void register_serve_command(CLI::App& app, const GlobalOptions& global);
void register_evaluate_command(CLI::App& app, const GlobalOptions& global);
void register_export_command(CLI::App& app, const GlobalOptions& global);
void register_show_command(CLI::App& app, const GlobalOptions& global);
void register_delete_command(CLI::App& app, const GlobalOptions& global);

}  // namespace seedline::cli
