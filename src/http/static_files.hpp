// The dashboard's static files, compiled into the binary from web/dist/ when it was built
// before configuring (cmake/embed_web.cmake), and looked up by request path.
//
// Immutable after construction; thread-safe. Nothing here touches the file system at run
// time, so a request path can never reach a file outside the embedded set.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>

namespace seedline::http {

struct EmbeddedFile {
  std::string_view path;  // relative to web/dist, '/'-separated, e.g. "index.html", "assets/app.js"
  std::string_view data;
};

// Every file of web/dist/ at configure time (generated); empty when no dashboard was built.
std::span<const EmbeddedFile> embedded_web_files();

// The Content-Type for a file name by its extension; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view path);

class StaticFiles {
 public:
  explicit StaticFiles(std::span<const EmbeddedFile> files);
  // The file at `path` (decoded, with or without the leading '/'; "/" means index.html), or nullptr.
  const EmbeddedFile* find(std::string_view path) const;
  bool empty() const { return files_.empty(); }

 private:
  std::map<std::string, EmbeddedFile, std::less<>> files_;
};

// The page GET / answers when the binary holds no dashboard: how to build one.
std::string_view no_dashboard_page();

}  // namespace seedline::http
