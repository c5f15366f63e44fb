// The one-line note the read-only commands print when a database is read as unchanging
// (read-only media, a file nobody may write: see store/read_only.hpp).
#pragma once

#include <filesystem>

namespace seedline::cli {

// Prints "seedline: note: PATH is read as unchanging (WHY); nothing can be written to it" on
// stderr when a read-only connection to `path` is opened immutable; nothing otherwise.
void note_if_immutable(const std::filesystem::path& path);

}  // namespace seedline::cli
