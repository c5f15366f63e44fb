#include "http/static_files.hpp"

#include <utility>

namespace seedline::http {

std::string_view content_type_for(std::string_view path) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  };
  const size_t slash = path.rfind('/');
  const size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  const std::string_view ext = path.substr(dot);
  for (const auto& [e, type] : kTypes) {
    if (ext.size() != e.size()) continue;
    bool same = true;
    for (size_t i = 0; i < e.size(); ++i) {
      const char c = ext[i] >= 'A' && ext[i] <= 'Z' ? static_cast<char>(ext[i] - 'A' + 'a') : ext[i];
      same = same && c == e[i];
    }
    if (same) return type;
  }
  return "application/octet-stream";
}

StaticFiles::StaticFiles(std::span<const EmbeddedFile> files) {
  for (const auto& f : files) files_.emplace(std::string(f.path), f);
}

const EmbeddedFile* StaticFiles::find(std::string_view path) const {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.empty()) path = "index.html";
  const auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

std::string_view no_dashboard_page() {
  return R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>seedline</title></head>
<body style="font-family: sans-serif; max-width: 42em; margin: 3em auto; line-height: 1.5">
<h1>seedline</h1>
<p>The server is running, but this binary was built without the web dashboard.</p>
<p>To build it: run <code>bash scripts/setup.sh</code> (it builds <code>web/dist/</code>), then
reconfigure and rebuild seedline (<code>bash scripts/build.sh</code>) so the files are embedded.</p>
<p>The JSON API works without it: try <a href="/api/health">/api/health</a> and
<a href="/api/experiments">/api/experiments</a> (see docs/http-api.md).</p>
</body></html>
)";
}

}  // namespace seedline::http
