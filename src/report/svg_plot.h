// defines: scalelab::report::Plot, Series, Axis, Tick, AxisMap, ColorScale, Rgb,
//          xml_escape, format_sig, format_si, format_tick, log_ticks, linear_ticks, viridis
//
// A small plotting library that writes SVG text: one Plot is one <svg> element with a
// title, two axes (linear or log10) with "nice" ticks and gridlines, polylines and
// markers, error bars, horizontal reference lines and bands, a legend to the right of the
// plot area (it never covers data) and, for "coloured by N", a colour bar on a log scale.
// Everything is static SVG (no script, no external resource), so it inlines into HTML.
//
//   Plot p;
//   p.title = "Loss against compute";
//   p.x = {"compute C (FLOP)", Scale::Log10};
//   p.y = {"validation loss (nats/token)", Scale::Log10};
//   ColorScale by_n = ColorScale::viridis(1e5, 1e7, /*log=*/true);
//   Series s;  s.x = {1e12, 1e13};  s.y = {4.1, 3.6};  s.color = by_n.hex(3e5);
//   s.marker = Marker::Circle;  s.line = false;  s.label = "runs";
//   p.series.push_back(s);
//   p.colorbar = ColorBar{by_n, "N (params)", /*counts=*/true};
//   std::string svg = p.render();   // "<svg ...>...</svg>"
//
// Non-finite values, and values <= 0 on a log axis, are dropped point by point (a
// polyline breaks there); no NaN ever reaches an SVG coordinate. Plot::drawable_points()
// tells a caller whether anything is left to draw.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scalelab::report {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- text and numbers ----------------------------------------------------------------

// Escapes & < > " ' for XML text and attribute values.
std::string xml_escape(std::string_view s);

// `sig` significant digits, trailing zeros dropped, the integer part kept whole (12346);
// e-notation ("1.5e-5", "2.41e7") when |v| < 1e-3 or |v| >= 1e5; "n/a" for NaN,
// "inf"/"-inf" for infinities.
std::string format_sig(double v, int sig = 3);
// Counts with an SI suffix: 950, 25.3k, 1.2M, 3.4G, 1.5T; e-notation beyond 1e15.
std::string format_si(double v, int sig = 3);
// Axis tick label: SI suffix when `counts`, otherwise plain for 1e-2 <= |v| < 1e4 and
// compact e-notation ("1e5", "3e-2") outside.
std::string format_tick(double v, bool counts);

// ---- axes ----------------------------------------------------------------------------

enum class Scale { Linear, Log10 };

struct Axis {
  std::string label;
  Scale scale = Scale::Linear;
  bool counts = false;          // tick labels with SI suffixes (N, D)
  double min = kNaN, max = kNaN;  // fixed range; NaN: from the data, padded
};

struct Tick {
  double value = 0;
  bool major = true;   // majors get a label and a darker gridline
  std::string label;   // empty for minor ticks
};

// Log10 ticks over [lo, hi] (0 < lo < hi):
//  - with at least two powers of ten inside: the decades are major, 2x and 5x minor
//    (beyond 8 decades every other decade is major and minors are dropped);
//  - with one power of ten inside: 1x, 2x, 5x all major;
//  - with none (less than a decade): nice linear ticks placed on the log axis.
std::vector<Tick> log_ticks(double lo, double hi, bool counts = false);
// Linear ticks at multiples of a step from {1, 2, 5} x 10^k, the step whose tick count
// inside [lo, hi] is closest to `target` (ties: the larger step).
std::vector<Tick> linear_ticks(double lo, double hi, bool counts = false, int target = 5);

// Data -> pixel along one axis; px0 is where `lo` lands, px1 where `hi` lands (px1 < px0
// for a y axis, since SVG's y grows downward).
struct AxisMap {
  double lo = 0, hi = 1, px0 = 0, px1 = 1;
  bool log = false;
  double operator()(double v) const;
};

// ---- colour --------------------------------------------------------------------------

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  std::string hex() const;  // "#rrggbb"
};

// Viridis (van der Walt and Smith 2015, matplotlib's default colormap) at t in [0, 1],
// piecewise linear between 11 stops sampled from its published definition; t is clamped.
Rgb viridis(double t);

// A continuous colour scale: a value in [lo, hi] (log10-normalised when `log`) maps to
// viridis on [0, kTop]; kTop < 1 keeps the lightest colour visible on white.
struct ColorScale {
  static constexpr double kTop = 0.9;
  double lo = 1, hi = 10;
  bool log = true;
  static ColorScale viridis(double lo, double hi, bool log);
  // The scale's position of v in [0, 1] (clamped; 0.5 for NaN or a degenerate range).
  double fraction(double v) const;
  Rgb at(double v) const;
  std::string hex(double v) const { return at(v).hex(); }
};

struct ColorBar {
  ColorScale scale;
  std::string label;
  bool counts = true;  // tick labels with SI suffixes
};

// ---- plot elements -------------------------------------------------------------------

enum class Marker { None, Circle, OpenCircle, Diamond, Cross };
enum class Dash { Solid, Dashed, Dotted };

struct Series {
  std::string label;            // empty: no legend entry
  std::vector<double> x, y;
  std::string color = "#444444";
  double width = 1.6;           // stroke width of the line, px
  Dash dash = Dash::Solid;
  bool line = true;             // draw a polyline through the points
  Marker marker = Marker::None;
  double marker_size = 4;       // radius, px
  double opacity = 1;
  std::vector<std::string> point_colors;  // per-point marker colour (overrides `color`)
  std::vector<std::string> point_titles;  // per-point hover text (<title>)
  std::vector<double> y_lo, y_hi;         // per-point error bars (both or neither)
  // false: the series does not widen the automatic axis ranges (a fitted curve drawn over
  // a wider span than the data); it is clipped to the plot area instead.
  bool affects_range = true;
};

// A horizontal line at y, optionally with a shaded band [lo, hi] behind it.
struct HLine {
  double y = 0;
  double band_lo = kNaN, band_hi = kNaN;  // NaN: no band
  std::string color = "#444444";
  Dash dash = Dash::Dashed;
  std::string label;                      // legend entry; empty: none
};

// A legend entry that is not a series (e.g. "dashed: held-out run").
struct LegendEntry {
  std::string label;
  std::string color = "#444444";
  bool line = true;
  Dash dash = Dash::Solid;
  double width = 1.6;
  Marker marker = Marker::None;
};

struct Plot {
  std::string id = "plot";      // prefix of element ids (clip path); unique per page
  std::string title;
  Axis x, y;
  int width = 640, height = 400;  // px, the whole <svg>
  std::vector<HLine> hlines;      // drawn below the series
  std::vector<Series> series;     // drawn in order
  std::vector<LegendEntry> extra_legend;  // after the series' entries
  std::optional<ColorBar> colorbar;

  // Points of all series that survive the finite / positive-on-log filter.
  int drawable_points() const;
  // The whole <svg> element. Axis ranges come from Axis::min/max or the data.
  std::string render() const;
  // The resolved data ranges render() uses: {lo, hi}.
  std::array<double, 2> x_range() const;
  std::array<double, 2> y_range() const;

 private:
  bool ranges_from_all() const;
};

}  // namespace scalelab::report
