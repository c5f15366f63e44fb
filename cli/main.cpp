// seedline: the command-line entry point. Wires the subcommands and turns errors into
// messages and exit codes: 0 ok, 1 runtime error, 2 usage error.
#include <iostream>

#include "common.hpp"
#include "kernels/dispatch.hpp"
#include "suggest.hpp"
#include "util/error.hpp"

int main(int argc, char** argv) {
  using namespace seedline;
  CLI::App app{"seedline: an experiment database and lineage tracker for seed-based neuroevolution"};
  app.name("seedline");
  app.set_version_flag("--version", std::string("seedline ") + SEEDLINE_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  cli::GlobalOptions global;
  // An empty --db (e.g. from an unset shell variable) must not quietly mean ./seedline.db.
  app.add_option("--db", global.db, "Database file (default: $SEEDLINE_DB, then ./seedline.db)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return text.empty() ? "must name a database file (got an empty string)" : std::string();
          },
          "PATH"));

  cli::register_db_command(app, global);
  cli::register_lineage_commands(app, global);
  cli::register_stats_command(app, global);
  cli::register_genome_command(app, global);
  cli::register_submit_command(app, global);
  cli::register_inspect_command(app, global);
  cli::register_tokenize_command(app, global);
  cli::register_status_command(app, global);
  cli::register_daemon_commands(app, global);
  cli::register_compare_command(app, global);
  cli::register_serve_command(app, global);
  cli::register_evaluate_command(app, global);
  cli::register_export_command(app, global);
  cli::register_show_command(app, global);

  try {
    // A bad SEEDLINE_KERNELS is refused before any command runs (docs/kernels.md).
    kernels::check_environment();
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 says "A subcommand is required" for a mistyped command and lists the words it did
    // not expect for a mistyped flag; the hint names the word and the nearest known name.
    const std::string hint = cli::usage_hint(app, std::vector<std::string>(argv + 1, argv + argc));
    std::cerr << "seedline: usage error: " << (hint.empty() ? cli::with_choice_hint(e.what()) : hint)
              << "\n(see `seedline --help`)\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "seedline: error: " << cli::with_db_hints(e.what(), global) << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "seedline: internal error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
