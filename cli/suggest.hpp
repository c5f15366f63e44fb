// "Did you mean ...?" for the command line: when CLI11 refuses the arguments, main asks
// usage_hint() which word was not understood (a command or a --flag) and which known name
// is nearest to it by edit distance (util/suggest.hpp). Pure; no I/O.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "util/suggest.hpp"

namespace seedline::cli {

// edit_distance and nearest_names: util/suggest.hpp (shared with the experiment parser).
using seedline::edit_distance;
using seedline::nearest_names;

// Walks args (argv without the program name) through `app`'s subcommands and options and
// returns a message for the first word it cannot place: "unknown command 'statu'; did you
// mean 'status'?" or "unknown option '--jsn' for 'seedline status'; did you mean '--json'?".
// Empty when every word is known (the error was something else, e.g. a missing value).
std::string usage_hint(const CLI::App& app, const std::vector<std::string>& args);

// CLI11's message for a value outside a set ("--format: safetensor not in {safetensors,npy}")
// with "; did you mean 'safetensors'?" added when a choice is near; any other message as is.
std::string with_choice_hint(const std::string& message);

}  // namespace seedline::cli
