// "Did you mean ...?" for any name the user typed against a known list: the command line's
// commands, flags and choices (cli/suggest.hpp) and an experiment file's fields and choices
// (util/json_fields.hpp, evolve/, genome/, tasks/). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace seedline {

// Levenshtein distance (insert, delete, substitute; each costs 1).
size_t edit_distance(std::string_view a, std::string_view b);

// The names in `known` close enough to `word` to be a typo of it (distance at most
// max(2, |word| / 3), or `word` a prefix of the name), nearest first.
std::vector<std::string> nearest_names(std::string_view word, const std::vector<std::string>& known);

// "'a'", "'a' or 'b'", "'a', 'b' or 'c'".
std::string quoted_names(const std::vector<std::string>& names);

// "; did you mean 'trials'?" when a name in `known` is near `word`, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& known);

}  // namespace seedline
