// Checks on a path the user names for output (--out), before anything is computed or written.
//
// Output files are written to a temporary sibling and renamed into place. Renaming onto a
// path that is not a regular file would replace it: run as root, `--out /dev/full` turned the
// device node into a regular file. So a target that exists must be a regular file (or a
// symlink to one). Pure function of the file system; thread-safe.
// Failure: seedline::Error kInvalidArgument naming the path and what it is.
#pragma once

#include <filesystem>

namespace seedline {

void check_output_path(const std::filesystem::path& path);

}  // namespace seedline
