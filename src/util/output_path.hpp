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

// A fresh name for the temporary sibling of `target` (same directory, so the rename stays on
// one file system): ".seedline-PID-N.tmp", short whatever the target's name, so a target
// name near NAME_MAX (255 bytes) still gets one. Unique within the process (N counts up).
std::filesystem::path temporary_sibling(const std::filesystem::path& target);

}  // namespace seedline
