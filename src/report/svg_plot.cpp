// SVG plot rendering: number formatting, ticks, colour, and the Plot layout (title on top,
// plot area with gridlines, axis labels, legend and colour bar in a panel at the right).
#include "report/svg_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace scalelab::report {

// ---- text and numbers ----------------------------------------------------------------

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// "1.500" -> "1.5", "2.000" -> "2"; leaves strings without a '.' alone.
std::string strip_zeros(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// Compact e-notation: mantissa with up to `sig` significant digits, exponent without '+'
// or leading zeros: 1e5, 2.5e-3, -3.1e12.
std::string sci(double v, int sig) {
  std::string s = fmt::format("{:.{}e}", v, std::max(0, sig - 1));
  size_t e = s.find('e');
  std::string mant = strip_zeros(s.substr(0, e));
  int exp = std::atoi(s.c_str() + e + 1);
  return fmt::format("{}e{}", mant, exp);
}

// Fixed notation with `sig` significant digits (for moderate magnitudes).
std::string fixed_sig(double v, int sig) {
  if (v == 0) return "0";
  int mag = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  int decimals = std::max(0, sig - 1 - mag);
  std::string s = strip_zeros(fmt::format("{:.{}f}", v, decimals));
  return s == "-0" ? "0" : s;
}

bool non_finite(double v, std::string* out) {
  if (std::isnan(v)) *out = "n/a";
  else if (std::isinf(v)) *out = v > 0 ? "inf" : "-inf";
  else return false;
  return true;
}

}  // namespace

std::string format_sig(double v, int sig) {
  std::string s;
  if (non_finite(v, &s)) return s;
  double a = std::fabs(v);
  if (a != 0 && (a < 1e-3 || a >= 1e5)) return sci(v, sig);
  return fixed_sig(v, sig);
}

std::string format_si(double v, int sig) {
  std::string s;
  if (non_finite(v, &s)) return s;
  static constexpr std::array<std::pair<double, const char*>, 4> kSuffix = {
      {{1e3, "k"}, {1e6, "M"}, {1e9, "G"}, {1e12, "T"}}};
  double a = std::fabs(v);
  if (a < 1e3) return fixed_sig(v, sig);
  for (size_t i = 0; i < kSuffix.size(); ++i) {
    double scaled = v / kSuffix[i].first;
    std::string body = fixed_sig(scaled, sig);
    // Rounding may carry to 1000 (999.95k): then the next suffix is the right one.
    if (std::fabs(std::stod(body)) < 1000) return body + kSuffix[i].second;
  }
  return sci(v, sig);
}

std::string format_tick(double v, bool counts) {
  std::string s;
  if (non_finite(v, &s)) return s;
  if (counts) return format_si(v, 3);
  double a = std::fabs(v);
  if (a == 0) return "0";
  if (a < 1e-2 || a >= 1e4) return sci(v, 3);
  return fixed_sig(v, 4);
}

// ---- ticks ---------------------------------------------------------------------------

std::vector<Tick> linear_ticks(double lo, double hi, bool counts, int target) {
  std::vector<Tick> ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) return ticks;
  constexpr double kEps = 1e-9;
  int e0 = static_cast<int>(std::floor(std::log10(hi - lo)));
  double best_step = 0;
  int best_diff = 1 << 30;
  for (int e = e0 - 2; e <= e0 + 1; ++e) {
    for (double m : {1.0, 2.0, 5.0}) {
      double step = m * std::pow(10.0, e);
      long n = static_cast<long>(std::floor(hi / step + kEps) - std::ceil(lo / step - kEps)) + 1;
      int diff = static_cast<int>(std::labs(n - target));
      if (n >= 2 && diff <= best_diff) {  // ascending steps: ties go to the larger one
        best_diff = diff;
        best_step = step;
      }
    }
  }
  if (best_step == 0) return ticks;
  long i0 = static_cast<long>(std::ceil(lo / best_step - kEps));
  long i1 = static_cast<long>(std::floor(hi / best_step + kEps));
  // Plain decimals with as many places as the step needs (0.005, not 5e-3) while the
  // numbers stay short; e-notation or SI suffixes otherwise.
  const bool plain = !counts && best_step >= 1e-4 && std::max(std::fabs(lo), std::fabs(hi)) < 1e5;
  const int places = std::max(0, -static_cast<int>(std::floor(std::log10(best_step) + kEps)));
  for (long i = i0; i <= i1; ++i) {
    double v = static_cast<double>(i) * best_step;
    std::string label = plain ? strip_zeros(fmt::format("{:.{}f}", v, places)) : format_tick(v, counts);
    ticks.push_back({v, true, label == "-0" ? "0" : label});
  }
  return ticks;
}

std::vector<Tick> log_ticks(double lo, double hi, bool counts) {
  std::vector<Tick> ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo > 0) || !(hi > lo)) return ticks;
  constexpr double kEps = 1e-9;
  const double l0 = std::log10(lo), l1 = std::log10(hi);
  const int k0 = static_cast<int>(std::ceil(l0 - kEps));
  const int k1 = static_cast<int>(std::floor(l1 + kEps));
  auto inside = [&](double v) {
    double lv = std::log10(v);
    return lv >= l0 - kEps && lv <= l1 + kEps;
  };
  const int decades = k1 - k0 + 1;
  if (decades >= 2) {
    const int stride = decades > 8 ? 2 : 1;
    for (int k = k0 - 1; k <= k1; ++k) {
      double p = std::pow(10.0, k);
      if (k >= k0) {
        bool major = (k - k0) % stride == 0;
        ticks.push_back({p, major, major ? format_tick(p, counts) : ""});
      }
      if (stride == 1) {
        for (double m : {2.0, 5.0})
          if (inside(m * p)) ticks.push_back({m * p, false, ""});
      }
    }
  } else if (decades == 1) {
    for (int k = k0 - 1; k <= k1; ++k) {
      for (double m : {1.0, 2.0, 5.0}) {
        double v = m * std::pow(10.0, k);
        if (inside(v)) ticks.push_back({v, true, format_tick(v, counts)});
      }
    }
    if (ticks.size() < 3) return linear_ticks(lo, hi, counts, 5);
  } else {
    return linear_ticks(lo, hi, counts, 5);
  }
  std::sort(ticks.begin(), ticks.end(), [](const Tick& a, const Tick& b) { return a.value < b.value; });
  return ticks;
}

double AxisMap::operator()(double v) const {
  double t;
  if (log) {
    double a = std::log10(lo), b = std::log10(hi);
    t = b > a ? (std::log10(v) - a) / (b - a) : 0.5;
  } else {
    t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
  }
  return px0 + t * (px1 - px0);
}

// ---- colour --------------------------------------------------------------------------

std::string Rgb::hex() const { return fmt::format("#{:02x}{:02x}{:02x}", r, g, b); }

Rgb viridis(double t) {
  // Viridis sampled at t = 0, 0.1, ..., 1 (van der Walt and Smith 2015,
  // https://bids.github.io/colormap/; matplotlib's listed colormap "viridis").
  static constexpr std::array<std::array<uint8_t, 3>, 11> kStops = {{
      {0x44, 0x01, 0x54}, {0x48, 0x24, 0x75}, {0x41, 0x44, 0x87}, {0x35, 0x5f, 0x8d},
      {0x2a, 0x78, 0x8e}, {0x21, 0x91, 0x8c}, {0x22, 0xa8, 0x84}, {0x44, 0xbf, 0x70},
      {0x7a, 0xd1, 0x51}, {0xbd, 0xdf, 0x26}, {0xfd, 0xe7, 0x25},
  }};
  if (!std::isfinite(t)) t = 0.5;
  t = std::clamp(t, 0.0, 1.0) * 10.0;
  size_t i = std::min<size_t>(static_cast<size_t>(t), 9);
  double f = t - static_cast<double>(i);
  auto mix = [&](int c) {
    return static_cast<uint8_t>(std::lround(kStops[i][c] + f * (kStops[i + 1][c] - kStops[i][c])));
  };
  return {mix(0), mix(1), mix(2)};
}

ColorScale ColorScale::viridis(double lo, double hi, bool log) {
  ColorScale s;
  s.lo = lo;
  s.hi = hi;
  s.log = log;
  return s;
}

double ColorScale::fraction(double v) const {
  if (!std::isfinite(v)) return 0.5;
  double a = lo, b = hi, x = v;
  if (log) {
    if (!(lo > 0) || !(hi > 0) || !(v > 0)) return 0.5;
    a = std::log10(lo), b = std::log10(hi), x = std::log10(v);
  }
  if (!(b > a)) return 0.5;
  return std::clamp((x - a) / (b - a), 0.0, 1.0);
}

Rgb ColorScale::at(double v) const { return report::viridis(kTop * fraction(v)); }

// ---- plot ----------------------------------------------------------------------------

namespace {

constexpr const char* kFont = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
constexpr const char* kInk = "#333333";      // text
constexpr const char* kMuted = "#666666";    // tick labels
constexpr const char* kGridMajor = "#e2e2e2";
constexpr const char* kGridMinor = "#f1f1f1";
constexpr double kPanel = 170;               // legend / colour bar panel width, px

bool usable(double v, Scale s) { return std::isfinite(v) && (s == Scale::Linear || v > 0); }

// Coordinates with one decimal: enough for screen SVG, keeps the text short.
std::string px(double v) { return fmt::format("{:.1f}", v); }

const char* dasharray(Dash d) {
  switch (d) {
    case Dash::Dashed: return " stroke-dasharray=\"6 4\"";
    case Dash::Dotted: return " stroke-dasharray=\"1.5 3\"";
    default: return "";
  }
}

// [lo, hi] of the values usable on this axis, padded (4% of the span, in log10 units on
// a log axis); a fixed Axis::min/max wins. Defaults when nothing is usable.
std::array<double, 2> resolve_range(const Axis& axis, const std::vector<double>& vals) {
  const bool log = axis.scale == Scale::Log10;
  double lo = INFINITY, hi = -INFINITY;
  for (double v : vals)
    if (usable(v, axis.scale)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!(lo <= hi)) {
    lo = log ? 1 : 0;
    hi = log ? 10 : 1;
  } else if (log) {
    double a = std::log10(lo), b = std::log10(hi);
    double pad = b > a ? 0.04 * (b - a) : 0.1;
    lo = std::pow(10.0, a - pad), hi = std::pow(10.0, b + pad);
  } else {
    double pad = hi > lo ? 0.05 * (hi - lo) : std::max(0.05 * std::fabs(lo), 1e-6);
    lo -= pad, hi += pad;
  }
  if (usable(axis.min, axis.scale)) lo = axis.min;
  if (usable(axis.max, axis.scale)) hi = axis.max;
  if (!(hi > lo)) hi = log ? lo * 10 : lo + 1;
  return {lo, hi};
}

// Splits a label into lines of at most `width` characters at spaces (legend panel text).
std::vector<std::string> wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  std::string cur;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t sp = text.find(' ', pos);
    std::string word = text.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
    if (!cur.empty() && cur.size() + 1 + word.size() > width) {
      lines.push_back(cur);
      cur.clear();
    }
    cur += (cur.empty() ? "" : " ") + word;
    if (sp == std::string::npos) break;
    pos = sp + 1;
  }
  if (!cur.empty()) lines.push_back(cur);
  return lines;
}

void marker_svg(std::string& o, Marker m, double x, double y, double r, const std::string& color,
                const std::string& title) {
  std::string open, close = title.empty() ? "/>" : "><title>" + xml_escape(title) + "</title>";
  switch (m) {
    case Marker::None: return;
    case Marker::Circle:
      o += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"0.8\"",
                       px(x), px(y), px(r), color);
      o += close + (title.empty() ? "" : "</circle>");
      break;
    case Marker::OpenCircle:
      o += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"",
                       px(x), px(y), px(r), color);
      o += close + (title.empty() ? "" : "</circle>");
      break;
    case Marker::Diamond: {
      double d = r * 1.45;
      o += fmt::format("<path d=\"M{} {}L{} {}L{} {}L{} {}Z\" fill=\"{}\" stroke=\"#222222\" stroke-width=\"0.9\"",
                       px(x), px(y - d), px(x + d), px(y), px(x), px(y + d), px(x - d), px(y), color);
      o += close + (title.empty() ? "" : "</path>");
      break;
    }
    case Marker::Cross: {
      double d = r * 1.1;
      o += fmt::format("<path d=\"M{} {}L{} {}M{} {}L{} {}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"",
                       px(x - d), px(y - d), px(x + d), px(y + d), px(x - d), px(y + d), px(x + d), px(y - d), color);
      o += close + (title.empty() ? "" : "</path>");
      break;
    }
  }
}

void text_svg(std::string& o, double x, double y, const std::string& text, const char* anchor,
              int size, const char* fill, const char* extra = "") {
  o += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" font-size=\"{}\" fill=\"{}\"{}>{}</text>",
                   px(x), px(y), anchor, size, fill, extra, xml_escape(text));
}

}  // namespace

int Plot::drawable_points() const {
  int n = 0;
  for (const auto& s : series) {
    size_t m = std::min(s.x.size(), s.y.size());
    for (size_t i = 0; i < m; ++i) n += usable(s.x[i], x.scale) && usable(s.y[i], y.scale);
  }
  return n;
}

// Series with affects_range = false count only when no other series has a usable point.
bool Plot::ranges_from_all() const {
  for (const auto& s : series) {
    if (!s.affects_range) continue;
    size_t m = std::min(s.x.size(), s.y.size());
    for (size_t i = 0; i < m; ++i)
      if (usable(s.x[i], x.scale) && usable(s.y[i], y.scale)) return false;
  }
  return true;
}

std::array<double, 2> Plot::x_range() const {
  const bool all = ranges_from_all();
  std::vector<double> v;
  for (const auto& s : series) {
    if (!s.affects_range && !all) continue;
    size_t m = std::min(s.x.size(), s.y.size());
    for (size_t i = 0; i < m; ++i)
      if (usable(s.y[i], y.scale)) v.push_back(s.x[i]);
  }
  return resolve_range(x, v);
}

std::array<double, 2> Plot::y_range() const {
  const bool all = ranges_from_all();
  std::vector<double> v;
  for (const auto& s : series) {
    if (!s.affects_range && !all) continue;
    size_t m = std::min(s.x.size(), s.y.size());
    for (size_t i = 0; i < m; ++i) {
      if (!usable(s.x[i], x.scale)) continue;
      v.push_back(s.y[i]);
      if (i < s.y_lo.size() && i < s.y_hi.size() && usable(s.y[i], y.scale))
        v.push_back(s.y_lo[i]), v.push_back(s.y_hi[i]);
    }
  }
  for (const auto& h : hlines) v.insert(v.end(), {h.y, h.band_lo, h.band_hi});
  return resolve_range(y, v);
}

std::string Plot::render() const {
  std::vector<LegendEntry> legend;
  for (const auto& s : series)
    if (!s.label.empty()) legend.push_back({s.label, s.color, s.line, s.dash, s.width, s.marker});
  for (const auto& h : hlines)
    if (!h.label.empty()) legend.push_back({h.label, h.color, true, h.dash, 1.6, Marker::None});
  legend.insert(legend.end(), extra_legend.begin(), extra_legend.end());
  const bool panel = !legend.empty() || colorbar.has_value();

  const double left = 66, right = width - (panel ? kPanel : 20), top = title.empty() ? 14 : 38;
  const double bottom = height - 48;
  const auto xr = x_range(), yr = y_range();
  const AxisMap mx{xr[0], xr[1], left, right, x.scale == Scale::Log10};
  const AxisMap my{yr[0], yr[1], bottom, top, y.scale == Scale::Log10};
  const std::string clip = id + "-clip";

  std::string o;
  o += fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"{}\" height=\"{}\" "
                   "viewBox=\"0 0 {} {}\" font-family=\"{}\" role=\"img\" aria-label=\"{}\">",
                   width, height, width, height, kFont, xml_escape(title));
  o += fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>", width, height);
  o += fmt::format("<defs><clipPath id=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath></defs>",
                   xml_escape(clip), px(left), px(top), px(right - left), px(bottom - top));
  if (!title.empty()) text_svg(o, left, 22, title, "start", 15, kInk, " font-weight=\"600\"");

  // Gridlines and tick labels; minor ticks first so majors draw on top.
  auto xt = x.scale == Scale::Log10 ? log_ticks(xr[0], xr[1], x.counts) : linear_ticks(xr[0], xr[1], x.counts);
  auto yt = y.scale == Scale::Log10 ? log_ticks(yr[0], yr[1], y.counts) : linear_ticks(yr[0], yr[1], y.counts);
  for (bool major : {false, true}) {
    for (const auto& t : xt) {
      if (t.major != major) continue;
      double X = mx(t.value);
      o += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"{3}\"/>", px(X), px(top),
                       px(bottom), major ? kGridMajor : kGridMinor);
      if (major) text_svg(o, X, bottom + 16, t.label, "middle", 11, kMuted);
    }
    for (const auto& t : yt) {
      if (t.major != major) continue;
      double Y = my(t.value);
      o += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\"/>", px(left), px(Y),
                       px(right), major ? kGridMajor : kGridMinor);
      if (major) text_svg(o, left - 6, Y + 4, t.label, "end", 11, kMuted);
    }
  }
  o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#b5b5b5\"/>",
                   px(left), px(top), px(right - left), px(bottom - top));
  text_svg(o, (left + right) / 2, height - 10, x.label, "middle", 12, kInk);
  o += fmt::format("<text transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\" "
                   "fill=\"{}\">{}</text>",
                   px((top + bottom) / 2), kInk, xml_escape(y.label));

  // Data, clipped to the plot area.
  o += fmt::format("<g clip-path=\"url(#{})\">", xml_escape(clip));
  for (const auto& h : hlines) {
    if (usable(h.band_lo, y.scale) && usable(h.band_hi, y.scale)) {
      double y0 = my(std::max(h.band_lo, h.band_hi)), y1 = my(std::min(h.band_lo, h.band_hi));
      o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" fill-opacity=\"0.15\"/>",
                       px(left), px(y0), px(right - left), px(y1 - y0), h.color);
    }
    if (usable(h.y, y.scale))
      o += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"1.4\"{4}/>",
                       px(left), px(my(h.y)), px(right), h.color, dasharray(h.dash));
  }
  for (const auto& s : series) {
    const size_t n = std::min(s.x.size(), s.y.size());
    auto ok = [&](size_t i) { return usable(s.x[i], x.scale) && usable(s.y[i], y.scale); };
    std::string op = s.opacity < 1 ? fmt::format(" stroke-opacity=\"{:.2f}\"", s.opacity) : "";
    if (s.line) {  // one polyline per run of usable points
      std::string pts;
      int count = 0;
      auto flush = [&] {
        if (count >= 2)
          o += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" "
                           "stroke-linejoin=\"round\"{}{}/>",
                           pts, s.color, s.width, dasharray(s.dash), op);
        pts.clear();
        count = 0;
      };
      for (size_t i = 0; i < n; ++i) {
        if (!ok(i)) { flush(); continue; }
        if (count) pts += ' ';
        pts += px(mx(s.x[i]));
        pts += ',';
        pts += px(my(s.y[i]));
        ++count;
      }
      flush();
    }
    for (size_t i = 0; i < n && i < s.y_lo.size() && i < s.y_hi.size(); ++i) {
      if (!ok(i) || !usable(s.y_lo[i], y.scale) || !usable(s.y_hi[i], y.scale)) continue;
      double X = mx(s.x[i]), y0 = my(s.y_lo[i]), y1 = my(s.y_hi[i]);
      const std::string& c = i < s.point_colors.size() ? s.point_colors[i] : s.color;
      o += fmt::format("<path d=\"M{0} {1}V{2}M{3} {1}H{4}M{3} {2}H{4}\" stroke=\"{5}\" stroke-width=\"1.5\" fill=\"none\"/>",
                       px(X), px(y0), px(y1), px(X - 4), px(X + 4), c);
    }
    if (s.marker != Marker::None) {
      for (size_t i = 0; i < n; ++i) {
        if (!ok(i)) continue;
        const std::string& c = i < s.point_colors.size() ? s.point_colors[i] : s.color;
        marker_svg(o, s.marker, mx(s.x[i]), my(s.y[i]), s.marker_size, c,
                   i < s.point_titles.size() ? s.point_titles[i] : "");
      }
    }
  }
  o += "</g>";

  // Right panel: colour bar, then legend entries.
  double px0 = right + 16, cy = top + 4;
  if (colorbar) {
    for (const auto& line : wrap(colorbar->label, 22)) {
      text_svg(o, px0, cy + 10, line, "start", 12, kInk);
      cy += 15;
    }
    cy += 10;
    const ColorScale& cs = colorbar->scale;
    const double bar_h = std::min(130.0, bottom - cy - 20), bar_w = 14;
    constexpr int kSteps = 32;
    for (int i = 0; i < kSteps; ++i) {  // bottom = lo, top = hi
      double f = (i + 0.5) / kSteps;
      o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>", px(px0),
                       px(cy + bar_h * (1 - double(i + 1) / kSteps)), px(bar_w), px(bar_h / kSteps + 0.3),
                       viridis(ColorScale::kTop * f).hex());
    }
    o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999999\"/>",
                     px(px0), px(cy), px(bar_w), px(bar_h));
    const AxisMap mb{cs.lo, cs.hi, cy + bar_h, cy, cs.log};
    std::vector<Tick> bt;
    if (cs.hi > cs.lo) bt = cs.log ? log_ticks(cs.lo, cs.hi, colorbar->counts) : linear_ticks(cs.lo, cs.hi, colorbar->counts);
    if (bt.empty() || (cs.hi > cs.lo && std::count_if(bt.begin(), bt.end(), [](const Tick& t) { return t.major; }) < 2)) {
      bt = {{cs.lo, true, colorbar->counts ? format_si(cs.lo) : format_tick(cs.lo, false)}};
      if (cs.hi > cs.lo) bt.push_back({cs.hi, true, colorbar->counts ? format_si(cs.hi) : format_tick(cs.hi, false)});
    }
    for (const auto& t : bt) {
      double Y = cs.hi > cs.lo ? mb(t.value) : cy + bar_h / 2;
      if (!std::isfinite(Y)) continue;
      o += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#555555\"/>", px(px0 + bar_w),
                       px(Y), px(px0 + bar_w + (t.major ? 5 : 3)));
      if (t.major) text_svg(o, px0 + bar_w + 8, Y + 4, t.label, "start", 11, kMuted);
    }
    cy += bar_h + 22;
  }
  // About 6.8 px per character of 12 px text.
  const size_t chars = static_cast<size_t>(std::max(8.0, (width - px0 - 31 - 4) / 6.8));
  for (const auto& e : legend) {
    if (cy > height - 14) break;  // out of room: the panel never spills over the plot
    auto lines = wrap(e.label, chars);
    double mid = cy + 6;
    if (e.line)
      o += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"{4}\"{5}/>",
                       px(px0), px(px0 + 24), px(mid), e.color, e.width, dasharray(e.dash));
    marker_svg(o, e.marker, px0 + 12, mid, 4, e.color, "");
    for (size_t i = 0; i < lines.size(); ++i) text_svg(o, px0 + 31, mid + 4 + 14 * i, lines[i], "start", 12, kInk);
    cy += 8 + 14 * std::max<size_t>(1, lines.size());
  }
  o += "</svg>";
  return o;
}

}  // namespace scalelab::report
