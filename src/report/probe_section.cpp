// Probe results (JSON) to report data (probe_section.h). Every field is checked where it
// is read; a failure names the probe and the field's path, e.g. "figures[0].series[1].x".
#include "report/probe_section.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/error.h"
#include "report/svg_plot.h"

namespace scalelab::report {
namespace {

// The probe being read and how to fail on one of its fields.
struct Reader {
  std::string probe;  // empty until the "probe" field has been read

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    const std::string who = probe.empty() ? "probe result" : fmt::format("probe result '{}'", probe);
    throw InputError(path.empty() ? fmt::format("{}: {}", who, what) : fmt::format("{}: {}: {}", who, path, what));
  }

  // The member `key` of `obj`; nullptr when absent or null (an optional field not given).
  static const Json* find(const Json& obj, const char* key) {
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
  }

  const Json& object(const Json& j, const std::string& path) const {
    if (!j.is_object()) fail(path, fmt::format("expected a JSON object, got {}", j.type_name()));
    return j;
  }

  // An optional array member (absent: empty).
  const Json& array(const Json& obj, const char* key, const std::string& path, bool required) const {
    static const Json kEmpty = Json::array();
    const Json* v = find(obj, key);
    if (!v) {
      if (required) fail(path + key, "missing (expected an array)");
      return kEmpty;
    }
    if (!v->is_array()) fail(path + key, fmt::format("expected an array, got {}", v->type_name()));
    return *v;
  }

  std::string text(const Json& obj, const char* key, const std::string& path, const std::string& dflt = "") const {
    const Json* v = find(obj, key);
    if (!v) return dflt;
    if (!v->is_string()) fail(path + key, fmt::format("expected a string, got {}", v->type_name()));
    return v->get<std::string>();
  }

  bool flag(const Json& obj, const char* key, const std::string& path, bool dflt) const {
    const Json* v = find(obj, key);
    if (!v) return dflt;
    if (!v->is_boolean()) fail(path + key, fmt::format("expected true or false, got {}", v->dump()));
    return v->get<bool>();
  }

  // An optional number; NaN when absent or null.
  double number(const Json& obj, const char* key, const std::string& path) const {
    const Json* v = find(obj, key);
    if (!v) return kNaN;
    if (!v->is_number()) fail(path + key, fmt::format("expected a number, got {}", v->dump()));
    return v->get<double>();
  }

  // A required array of numbers; null elements read as NaN.
  std::vector<double> numbers(const Json& obj, const char* key, const std::string& path) const {
    const Json& a = array(obj, key, path, /*required=*/true);
    std::vector<double> out;
    out.reserve(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].is_null()) {
        out.push_back(kNaN);
        continue;
      }
      if (!a[i].is_number())
        fail(fmt::format("{}{}[{}]", path, key, i), fmt::format("expected a number, got {}", a[i].dump()));
      out.push_back(a[i].get<double>());
    }
    return out;
  }

  // "#rgb" or "#rrggbb": the text goes into an SVG attribute as it is.
  std::string color(const Json& obj, const char* key, const std::string& path) const {
    const std::string c = text(obj, key, path);
    if (c.empty()) return c;
    const bool hex = (c.size() == 4 || c.size() == 7) && c[0] == '#' &&
                     std::all_of(c.begin() + 1, c.end(), [](unsigned char ch) { return std::isxdigit(ch) != 0; });
    if (!hex) fail(path + key, fmt::format("\"{}\" is not a colour (expected \"#rrggbb\")", c));
    return c;
  }

  Marker marker(const Json& obj, const std::string& path) const {
    const std::string m = text(obj, "marker", path, "circle");
    if (m == "circle") return Marker::Circle;
    if (m == "open") return Marker::OpenCircle;
    if (m == "diamond") return Marker::Diamond;
    if (m == "cross") return Marker::Cross;
    if (m == "none") return Marker::None;
    fail(path + "marker", fmt::format("\"{}\": expected circle, open, diamond, cross or none", m));
  }

  Dash dash(const Json& obj, const std::string& path, const std::string& dflt) const {
    const std::string d = text(obj, "dash", path, dflt);
    if (d == "solid") return Dash::Solid;
    if (d == "dashed") return Dash::Dashed;
    if (d == "dotted") return Dash::Dotted;
    fail(path + "dash", fmt::format("\"{}\": expected solid, dashed or dotted", d));
  }

  ProbeAxis axis(const Json& fig, const char* key, const std::string& path) const {
    ProbeAxis a;
    const Json* v = find(fig, key);
    if (!v) return a;
    const std::string p = path + key + ".";
    object(*v, path + key);
    a.label = text(*v, "label", p);
    a.log = flag(*v, "log", p, false);
    a.counts = flag(*v, "counts", p, false);
    a.min = number(*v, "min", p);
    a.max = number(*v, "max", p);
    if (a.log && std::isfinite(a.min) && a.min <= 0)
      fail(p + "min", fmt::format("{} on a log axis (expected > 0)", a.min));
    if (std::isfinite(a.min) && std::isfinite(a.max) && !(a.min < a.max))
      fail(p + "max", fmt::format("{} is not above min {}", a.max, a.min));
    return a;
  }

  ProbeSeries series(const Json& j, const std::string& path) const {
    object(j, path);
    const std::string p = path + ".";
    ProbeSeries s;
    s.label = text(j, "label", p);
    s.x = numbers(j, "x", p);
    s.y = numbers(j, "y", p);
    if (s.x.size() != s.y.size())
      fail("", fmt::format("{}.x and .y differ in length ({} and {})", path, s.x.size(), s.y.size()));
    s.color = color(j, "color", p);
    s.color_value = number(j, "color_value", p);
    if (std::isfinite(s.color_value) ? s.color_value <= 0 : find(j, "color_value") != nullptr)
      fail(p + "color_value",
           fmt::format("{} (expected a positive number: colours follow a log scale)", s.color_value));
    s.line = flag(j, "line", p, true);
    s.marker = marker(j, p);
    s.dash = dash(j, p, "solid");
    return s;
  }

  ProbeHLine hline(const Json& j, const std::string& path) const {
    object(j, path);
    const std::string p = path + ".";
    ProbeHLine h;
    h.y = number(j, "y", p);
    if (!std::isfinite(h.y)) fail(p + "y", "missing or not finite (expected a number)");
    h.label = text(j, "label", p);
    h.color = color(j, "color", p);
    h.dash = dash(j, p, "dotted");
    return h;
  }

  ProbeFigure figure(const Json& j, size_t index) const {
    const std::string path = fmt::format("figures[{}]", index), p = path + ".";
    object(j, path);
    ProbeFigure f;
    f.id = text(j, "id", p);
    f.title = text(j, "title", p);
    f.x = axis(j, "x", p);
    f.y = axis(j, "y", p);
    const Json& series_json = array(j, "series", p, false);
    for (size_t i = 0; i < series_json.size(); ++i)
      f.series.push_back(series(series_json[i], fmt::format("{}series[{}]", p, i)));
    const Json& hlines_json = array(j, "hlines", p, false);
    for (size_t i = 0; i < hlines_json.size(); ++i)
      f.hlines.push_back(hline(hlines_json[i], fmt::format("{}hlines[{}]", p, i)));
    f.colorbar = text(j, "colorbar", p);
    f.sentence = text(j, "sentence", p);
    return f;
  }

  // Cells are shown as text: strings as they are, numbers with 4 significant digits.
  std::string cell(const Json& c, const std::string& path) const {
    if (c.is_string()) return c.get<std::string>();
    if (c.is_number()) return format_sig(c.get<double>(), 4);
    if (c.is_boolean()) return c.get<bool>() ? "yes" : "no";
    if (c.is_null()) return "n/a";
    fail(path, fmt::format("expected a string or a number, got {}", c.type_name()));
  }

  ProbeTable table(const Json& j, size_t index) const {
    const std::string path = fmt::format("tables[{}]", index), p = path + ".";
    object(j, path);
    ProbeTable t;
    t.title = text(j, "title", p);
    const Json& cols = array(j, "columns", p, true);
    for (size_t c = 0; c < cols.size(); ++c) {
      if (!cols[c].is_string()) fail(fmt::format("{}columns[{}]", p, c), "expected a string");
      t.columns.push_back(cols[c].get<std::string>());
    }
    const Json& rows = array(j, "rows", p, true);
    for (size_t r = 0; r < rows.size(); ++r) {
      const std::string rp = fmt::format("{}rows[{}]", p, r);
      if (!rows[r].is_array()) fail(rp, fmt::format("expected an array, got {}", rows[r].type_name()));
      if (rows[r].size() != t.columns.size())
        fail(rp, fmt::format("has {} cells for {} columns", rows[r].size(), t.columns.size()));
      std::vector<std::string> row;
      for (size_t c = 0; c < rows[r].size(); ++c) row.push_back(cell(rows[r][c], fmt::format("{}[{}]", rp, c)));
      t.rows.push_back(std::move(row));
    }
    return t;
  }
};

}  // namespace

ProbeSection probe_section_from_json(const Json& j) {
  Reader rd;
  rd.object(j, "");
  const Json* probe = Reader::find(j, "probe");
  if (!probe || !probe->is_string() || probe->get<std::string>().empty())
    rd.fail("probe", "missing (expected the probe's name, e.g. \"emergence\")");
  ProbeSection s;
  s.probe = rd.probe = probe->get<std::string>();
  s.title = rd.text(j, "title", "", s.probe);
  s.experiment = rd.text(j, "experiment", "");
  const Json& figures = rd.array(j, "figures", "", false);
  for (size_t i = 0; i < figures.size(); ++i) s.figures.push_back(rd.figure(figures[i], i));
  const Json& tables = rd.array(j, "tables", "", false);
  for (size_t i = 0; i < tables.size(); ++i) s.tables.push_back(rd.table(tables[i], i));
  return s;
}

int probe_rank(const std::string& probe) {
  static const char* kOrder[] = {"emergence", "icl", "ngram", "ensemble"};
  for (int i = 0; i < 4; ++i)
    if (probe == kOrder[i]) return i;
  return 4;
}

std::vector<ProbeSection> probe_sections(const sweep::RunStore& store) {
  std::vector<ProbeSection> out;
  for (const sweep::ProbeRecord& r : store.probe_results()) {
    ProbeSection s;
    try {
      s = probe_section_from_json(r.result);
    } catch (const InputError& e) {
      s = ProbeSection{};
      s.probe = s.title = r.probe;
      s.unavailable = fmt::format("the stored result of experiment '{}' cannot be read: {}", r.experiment, e.what());
    }
    s.experiment = r.experiment;
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](const ProbeSection& a, const ProbeSection& b) {
    return probe_rank(a.probe) < probe_rank(b.probe);
  });
  return out;
}

}  // namespace scalelab::report
