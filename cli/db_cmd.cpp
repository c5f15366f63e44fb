// seedline db init | migrate | status
#include <iostream>

#include "common.hpp"
#include "read_only_note.hpp"
#include "store/info.hpp"

namespace seedline::cli {
namespace {

nlohmann::json info_json(const std::filesystem::path& path, const store::DatabaseInfo& info) {
  return {{"path", std::filesystem::absolute(path).string()},
          {"schema_version", info.schema_version},
          {"latest_schema_version", store::latest_schema_version()},
          {"experiments", info.experiments},
          {"runs", info.runs},
          {"individuals", info.individuals},
          {"file_bytes", info.file_bytes},
          {"wal_bytes", info.wal_bytes}};
}

void run_init(const GlobalOptions& global) {
  const auto path = resolve_db_path(global);
  const bool existed = std::filesystem::exists(path);
  auto db = store::open_database(path, store::OpenPurpose::kCreate);
  const int version = store::schema_version(db);
  if (existed && std::filesystem::file_size(path) > 0) {
    std::cout << "database " << path.string() << " already initialized (schema version " << version
              << ")\n";
  } else {
    std::cout << "initialized " << path.string() << " (schema version " << version << ")\n";
  }
}

void run_migrate(const GlobalOptions& global) {
  const auto path = resolve_db_path(global);
  auto db = store::open_database(path, store::OpenPurpose::kMigrate);
  const int before = store::schema_version(db);
  const int applied = store::migrate(db);
  std::cout << path.string() << ": schema version " << before << " -> " << store::schema_version(db)
            << " (" << applied << " migration" << (applied == 1 ? "" : "s") << " applied)\n";
}

void run_status(const GlobalOptions& global, bool json) {
  const auto path = resolve_db_path(global);
  auto db = store::open_database(path, store::OpenPurpose::kRead);
  note_if_immutable(path);
  const auto info = store::database_info(db);
  if (json) {
    print_json(info_json(path, info));
    return;
  }
  std::cout << "database      " << std::filesystem::absolute(path).string() << '\n'
            << "schema        version " << info.schema_version << '\n'
            << "experiments   " << info.experiments << '\n'
            << "runs          " << info.runs << '\n'
            << "individuals   " << info.individuals << '\n'
            << "file size     " << format_bytes(info.file_bytes);
  if (info.wal_bytes > 0) std::cout << " (+ " << format_bytes(info.wal_bytes) << " write-ahead log)";
  std::cout << '\n';
}

}  // namespace

void register_db_command(CLI::App& app, const GlobalOptions& global) {
  auto* db = app.add_subcommand("db", "Create, upgrade and inspect the database file");
  db->require_subcommand(1);

  auto* init = db->add_subcommand("init", "Create the database (or confirm it is initialized)");
  init->callback([&global] { run_init(global); });

  auto* migrate = db->add_subcommand("migrate", "Upgrade the database to this seedline's schema");
  migrate->callback([&global] { run_migrate(global); });

  auto* status = db->add_subcommand("status", "Print path, schema version, counts and file size");
  auto json = std::make_shared<bool>(false);
  status->add_flag("--json", *json, "Print JSON");
  status->callback([&global, json] { run_status(global, *json); });
}

}  // namespace seedline::cli
