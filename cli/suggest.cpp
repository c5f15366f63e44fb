#include "suggest.hpp"

#include <algorithm>

namespace seedline::cli {
namespace {

// The command path of `app` as a user types it, e.g. "seedline db status".
std::string command_path(const CLI::App* app) {
  std::string path;
  for (; app != nullptr; app = app->get_parent()) path = app->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

std::string quoted_list(const std::vector<std::string>& names) { return quoted_names(names); }

const CLI::App* find_subcommand(const CLI::App* app, const std::string& name) {
  const auto subs = app->get_subcommands([&name](const CLI::App* s) { return s->check_name(name); });
  return subs.empty() ? nullptr : subs.front();
}

std::vector<std::string> subcommand_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const auto* s : app->get_subcommands([](const CLI::App*) { return true; })) names.push_back(s->get_name());
  return names;
}

// The option `name` ("--db", "-x") of `app` or of a parent (main falls through to them).
const CLI::Option* find_option(const CLI::App* app, const std::string& name) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const auto* o = app->get_option_no_throw(name); o != nullptr) return o;
  }
  return nullptr;
}

std::vector<std::string> option_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (; app != nullptr; app = app->get_parent()) {
    for (const auto* o : app->get_options()) {
      for (const auto& l : o->get_lnames()) names.push_back("--" + l);
    }
  }
  return names;
}

}  // namespace

std::string with_choice_hint(const std::string& message) {
  const size_t colon = message.find(": ");
  const size_t not_in = message.find(" not in {");
  if (colon == std::string::npos || not_in == std::string::npos || not_in < colon || message.back() != '}') {
    return message;
  }
  const std::string value = message.substr(colon + 2, not_in - colon - 2);
  std::vector<std::string> choices;
  const std::string list = message.substr(not_in + 9, message.size() - not_in - 10);
  for (size_t at = 0; at <= list.size();) {
    const size_t comma = std::min(list.find(',', at), list.size());
    choices.push_back(list.substr(at, comma - at));
    at = comma + 1;
  }
  const auto near = nearest_names(value, choices);
  return near.empty() ? message : message + "; did you mean " + quoted_list(near) + "?";
}

std::string usage_hint(const CLI::App& app, const std::vector<std::string>& args) {
  const CLI::App* current = &app;
  bool value_next = false;
  for (const auto& arg : args) {
    if (value_next) {
      value_next = false;
      continue;
    }
    if (arg == "--") break;
    if (arg.size() > 1 && arg[0] == '-') {
      const std::string name = arg.substr(0, arg.find('='));
      if (const auto* o = find_option(current, name); o != nullptr) {
        value_next = o->get_type_size_max() > 0 && name.size() == arg.size();
        continue;
      }
      if (name == "-h" || name == "--help" || name == "--version") continue;
      const auto near = nearest_names(name, option_names(current));
      return "unknown option '" + name + "' for '" + command_path(current) + "'" +
             (near.empty() ? "; see `" + command_path(current) + " --help`" : "; did you mean " + quoted_list(near) + "?");
    }
    if (const auto* sub = find_subcommand(current, arg); sub != nullptr) {
      current = sub;
      continue;
    }
    // A word where a command was expected: the app has subcommands and takes no positionals.
    const bool takes_positional =
        !current->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
    const auto names = subcommand_names(current);
    if (names.empty() || takes_positional) continue;
    const auto near = nearest_names(arg, names);
    const std::string where = current->get_parent() == nullptr ? "" : " of '" + command_path(current) + "'";
    return "unknown command '" + arg + "'" + where +
           (near.empty() ? "; the commands are " + quoted_list(names) : "; did you mean " + quoted_list(near) + "?");
  }
  return {};
}

}  // namespace seedline::cli
