#include "comparison_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace seedline::cli {

std::string format_number(double v, const char* format) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// At least one space follows, so a value as wide as its column ("group", "4.9393e+09") does not
// run into the next one.
std::string pad(std::string s, size_t width) {
  s.append(s.size() < width ? width - s.size() : 1, ' ');
  return s;
}

void print_comparison_table(std::ostream& out, const stats::Comparison& c) {
  const auto fmt = [](double v, const char* format = "%.4g") { return format_number(v, format); };
  out << "Kruskal-Wallis  H = " << fmt(c.kruskal.H) << "  p = " << fmt(c.kruskal.p) << "  (" << c.groups.size()
      << " groups)\n\n";
  // Wider than every name and the "group" header: pad() gives a value as wide as its column
  // one extra space, which shifted the header past its rows.
  size_t name_width = std::string("group").size() + 2;
  for (const auto& g : c.groups) name_width = std::max(name_width, g.name.size() + 2);

  out << pad("group", name_width) << pad("n", 7) << pad("mean", 12) << "95% CI (Student t)\n";
  for (const auto& g : c.groups) {
    out << pad(g.name, name_width) << pad(std::to_string(g.mean_ci.n), 7) << pad(fmt(g.mean_ci.mean), 12) << "["
        << fmt(g.mean_ci.lo) << ", " << fmt(g.mean_ci.hi) << "]\n";
  }
  out << '\n'
      << pad("a", name_width) << pad("b", name_width) << pad("U", 10) << pad("p (MWU)", 12) << pad("method", 12)
      << pad("z", 9) << pad("p (z)", 12) << pad("glass", 9) << pad("A12", 7) << "p (Holm)\n";
  for (const auto& p : c.pairs) {
    out << pad(p.a, name_width) << pad(p.b, name_width) << pad(fmt(p.mwu.U, "%g"), 10) << pad(fmt(p.mwu.p), 12)
        << pad(std::string(stats::mwu_method_name(p.mwu.method_used)), 12) << pad(fmt(p.ranksums.z, "%.3f"), 9)
        << pad(fmt(p.ranksums.p), 12) << pad(fmt(p.glass_delta, "%.3f"), 9) << pad(fmt(p.a12, "%.3f"), 7)
        << fmt(p.p_holm) << '\n';
  }
}

}  // namespace seedline::cli
