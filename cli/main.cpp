// seedline: the command-line entry point. Wires the subcommands and turns errors into
// messages and exit codes: 0 ok, 1 runtime error, 2 usage error, 130 `run` stopped by a
// signal (its runs paused). With --json an error is one JSON object on stderr,
// {"error": MESSAGE, "code": EXIT_CODE}, and stdout stays empty.
#include <algorithm>
#include <cerrno>
#include <cstring>
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
  cli::register_delete_command(app, global);

  const std::vector<std::string> args(argv + 1, argv + argc);
  // Decided from the words, not the parse, so a usage error of a --json command is JSON too.
  const auto end_of_options = std::find(args.begin(), args.end(), std::string("--"));
  const bool json = std::find(args.begin(), end_of_options, std::string("--json")) != end_of_options;
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
    const std::string hint = cli::usage_hint(app, args);
    const std::string message = hint.empty() ? cli::with_choice_hint(e.what()) : hint;
    return cli::report_error(message, "usage error", 2, json, "(see `seedline --help`)");
  } catch (const cli::ExitStatus& e) {
    return e.code;
  } catch (const Error& e) {
    return cli::report_error(cli::with_db_hints(e.what(), global), "error", 1, json);
  } catch (const std::exception& e) {
    return cli::report_error(e.what(), "internal error", 1, json);
  }
  // Output that cannot be written whole is an error, not a silent success (`seedline export >
  // /dev/full`, a full disk): the stream's state after the final flush says whether every
  // byte went out.
  errno = 0;
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "seedline: error: cannot write the output to standard output"
              << (errno != 0 ? std::string(": ") + std::strerror(errno) : std::string()) << '\n';
    return 1;
  }
  return 0;
}
