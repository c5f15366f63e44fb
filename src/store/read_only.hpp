// When a database can be read as unchanging: read-only media and files nobody may write.
//
// A reader of a WAL database needs PATH-shm beside it (SQLite's shared index of the WAL) and
// creates it when missing. On read-only media, or in a directory this user cannot write, it
// cannot; SQLite's immutable=1 mode then reads the file without locks and without -shm. That
// is only safe when no writer can exist, now or while we read, since a commit under an
// immutable reader is not seen and a torn page could be: so it is used only when
//   - the file system is mounted read-only, or
//   - the file or its directory has no write permission for anyone (a writer must write the
//     file and create PATH-wal and PATH-shm beside it, so it would need a chmod first),
// and no -wal with content (commits an immutable reader would miss) is beside the file (an
// empty -wal and a -shm that readers leave behind are harmless). Otherwise a reader that
// cannot create the -shm can only use one a writer left; without one, or when SQLite cannot
// use it, Database::open refuses with the reason and the remedy.
//
// Pure functions of the file system; thread-safe; they do not throw.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace seedline::store {

// Why no process can write `path` (see above), or nullopt.
std::optional<std::string> immutable_reason(const std::filesystem::path& path);

// True when this user may write the directory of `path`, so SQLite can create PATH-shm.
bool can_create_shm(const std::filesystem::path& path);

// True when a read-only connection to `path` is opened immutable: !can_create_shm(path) and
// immutable_reason() holds.
bool opens_immutable(const std::filesystem::path& path);

// "file:PATH?immutable=1" (absolute path, special characters percent-encoded, RFC 3986).
std::string immutable_uri(const std::filesystem::path& path);

// The refusal for a reader that cannot create PATH-shm where the file is not immutable: why
// (the owner may still write it, or commits are still in its -wal) and the remedy.
std::string read_only_refusal(const std::filesystem::path& path);

}  // namespace seedline::store
