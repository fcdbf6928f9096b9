// svg_plot: number formatting, tick placement on linear and log axes, the data-to-pixel
// mapping, the viridis scale, and rendered plots (positions, legend, NaN handling,
// well-formed markup).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "../core/core_testing.h"
#include "report/svg_plot.h"
#include "xml_check.h"

namespace scalelab::report {
namespace {

std::vector<double> values(const std::vector<Tick>& t, bool major) {
  std::vector<double> v;
  for (const auto& x : t)
    if (x.major == major) v.push_back(x.value);
  return v;
}
std::vector<std::string> labels(const std::vector<Tick>& t) {
  std::vector<std::string> v;
  for (const auto& x : t)
    if (x.major) v.push_back(x.label);
  return v;
}
void expect_values(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-9 * std::fabs(want[i]) + 1e-12) << i;
}

// All numbers of one attribute over the elements that match `element_regex`.
std::vector<double> attr_values(const std::string& svg, const std::string& element, const std::string& attr) {
  std::vector<double> out;
  std::regex re("<" + element + "[^>]*\\s" + attr + "=\"([-0-9.]+)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back(std::stod((*it)[1]));
  return out;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t i = s.find(what); i != std::string::npos; i = s.find(what, i + 1)) ++n;
  return n;
}

TEST(SvgText, EscapesXmlSpecials) {
  EXPECT_EQ(xml_escape("a<b & c>\"d\" 'e'"), "a&lt;b &amp; c&gt;&quot;d&quot; &#39;e&#39;");
  EXPECT_EQ(xml_escape("plain"), "plain");
  EXPECT_EQ(xml_escape("&amp;"), "&amp;amp;");  // escaping is not idempotent: escape once
}

TEST(SvgText, FormatsSignificantDigits) {
  EXPECT_EQ(format_sig(0.031234), "0.0312");
  EXPECT_EQ(format_sig(3.0), "3");
  EXPECT_EQ(format_sig(-0.5), "-0.5");
  EXPECT_EQ(format_sig(0), "0");
  EXPECT_EQ(format_sig(2.4137, 4), "2.414");
  EXPECT_EQ(format_sig(1.5e-5), "1.5e-5");
  EXPECT_EQ(format_sig(2.41e7), "2.41e7");
  EXPECT_EQ(format_sig(123456), "1.23e5");
  EXPECT_EQ(format_sig(12345.6), "12346");  // the integer part is kept whole below 1e5
  EXPECT_EQ(format_sig(std::nan("")), "n/a");
  EXPECT_EQ(format_sig(-INFINITY), "-inf");
}

TEST(SvgText, FormatsCountsWithSiSuffix) {
  EXPECT_EQ(format_si(950), "950");
  EXPECT_EQ(format_si(25300), "25.3k");
  EXPECT_EQ(format_si(1.2e6), "1.2M");
  EXPECT_EQ(format_si(999950), "1M");  // 999.95k rounds to 1000k: carried to the next suffix
  EXPECT_EQ(format_si(3.4e9), "3.4G");
  EXPECT_EQ(format_si(1.5e12), "1.5T");
  EXPECT_EQ(format_si(2e15), "2e15");
  EXPECT_EQ(format_si(-2.5e4), "-25k");
}

TEST(SvgText, TickLabelsAreCompact) {
  EXPECT_EQ(format_tick(1e5, false), "1e5");
  EXPECT_EQ(format_tick(3e-3, false), "3e-3");
  EXPECT_EQ(format_tick(1e-2, false), "0.01");
  EXPECT_EQ(format_tick(100, false), "100");
  EXPECT_EQ(format_tick(2.5, false), "2.5");
  EXPECT_EQ(format_tick(1e5, true), "100k");
  EXPECT_EQ(format_tick(1e6, true), "1M");
}

TEST(SvgAxis, LogMappingPutsDecadesAtEqualSteps) {
  AxisMap x{1e3, 1e6, 0, 300, true};
  EXPECT_NEAR(x(1e3), 0, 1e-9);
  EXPECT_NEAR(x(1e4), 100, 1e-9);
  EXPECT_NEAR(x(1e5), 200, 1e-9);
  EXPECT_NEAR(x(1e6), 300, 1e-9);
  EXPECT_NEAR(x(std::sqrt(10.0) * 1e3), 50, 1e-9);
  AxisMap y{1e3, 1e6, 400, 100, true};  // SVG y grows downward
  EXPECT_NEAR(y(1e4), 300, 1e-9);
  AxisMap lin{0, 10, 50, 150, false};
  EXPECT_NEAR(lin(2.5), 75, 1e-12);
}

TEST(SvgAxis, LogTicksOverTwoDecadesAreTheDecadesPlusMinors) {
  auto t = log_ticks(3e4, 2e6);
  expect_values(values(t, true), {1e5, 1e6});
  expect_values(values(t, false), {5e4, 2e5, 5e5, 2e6});
  EXPECT_EQ(labels(t), (std::vector<std::string>{"1e5", "1e6"}));
  for (const auto& x : t)
    if (!x.major) {
      EXPECT_EQ(x.label, "");
    }
  EXPECT_EQ(labels(log_ticks(3e4, 2e6, /*counts=*/true)), (std::vector<std::string>{"100k", "1M"}));
}

TEST(SvgAxis, LogTicksThinOutOverManyDecades) {
  auto t = log_ticks(1, 1e12);
  expect_values(values(t, true), {1, 1e2, 1e4, 1e6, 1e8, 1e10, 1e12});
  expect_values(values(t, false), {1e1, 1e3, 1e5, 1e7, 1e9, 1e11});  // odd decades, no 2x/5x
}

TEST(SvgAxis, LogTicksWithinOneDecadeUseOneTwoFive) {
  auto t = log_ticks(0.5, 8);
  expect_values(values(t, true), {0.5, 1, 2, 5});
  EXPECT_TRUE(values(t, false).empty());
}

TEST(SvgAxis, LogTicksBelowADecadeFallBackToLinear) {
  auto t = log_ticks(2.3, 4.1);  // a typical loss axis
  expect_values(values(t, true), {2.5, 3, 3.5, 4});
  EXPECT_EQ(labels(t), (std::vector<std::string>{"2.5", "3", "3.5", "4"}));
}

TEST(SvgAxis, NiceLinearTicks) {
  auto t = linear_ticks(0.93, 2.41);
  expect_values(values(t, true), {1, 1.5, 2});
  EXPECT_EQ(labels(t), (std::vector<std::string>{"1", "1.5", "2"}));
  auto r = linear_ticks(-0.012, 0.011);  // residuals: plain decimals, zero exactly "0"
  EXPECT_EQ(labels(r), (std::vector<std::string>{"-0.01", "-0.005", "0", "0.005", "0.01"}));
  auto big = linear_ticks(0, 4e6, /*counts=*/true);
  EXPECT_EQ(labels(big), (std::vector<std::string>{"0", "1M", "2M", "3M", "4M"}));
}

TEST(SvgAxis, DegenerateRangesGiveNoTicks) {
  EXPECT_TRUE(log_ticks(0, 10).empty());
  EXPECT_TRUE(log_ticks(10, 1).empty());
  EXPECT_TRUE(log_ticks(std::nan(""), 10).empty());
  EXPECT_TRUE(linear_ticks(1, 1).empty());
  EXPECT_TRUE(linear_ticks(0, INFINITY).empty());
}

TEST(SvgColor, ViridisStopsAndClamping) {
  EXPECT_EQ(viridis(0).hex(), "#440154");
  EXPECT_EQ(viridis(0.5).hex(), "#21918c");
  EXPECT_EQ(viridis(1).hex(), "#fde725");
  EXPECT_EQ(viridis(-3).hex(), "#440154");
  EXPECT_EQ(viridis(7).hex(), "#fde725");
  // Halfway between the stops at 0.0 (#440154) and 0.1 (#482475): rounded channel means.
  Rgb mid = viridis(0.05);
  EXPECT_EQ(mid.r, 0x46);
  EXPECT_EQ(mid.g, 0x13);  // (0x01 + 0x24) / 2 = 18.5 -> 19
  EXPECT_EQ(mid.b, 0x65);  // (0x54 + 0x75) / 2 = 100.5 -> 101
  EXPECT_EQ(viridis(std::nan("")).hex(), viridis(0.5).hex());
}

TEST(SvgColor, ScaleEndpointsAndLogMidpoint) {
  ColorScale s = ColorScale::viridis(1e4, 1e6, /*log=*/true);
  EXPECT_EQ(s.hex(1e4), "#440154");
  EXPECT_EQ(s.hex(1e6), viridis(ColorScale::kTop).hex());
  EXPECT_EQ(s.hex(1e9), s.hex(1e6));  // clamped
  EXPECT_EQ(s.hex(1), s.hex(1e4));
  EXPECT_NEAR(s.fraction(1e5), 0.5, 1e-12);  // log midpoint
  ColorScale lin = ColorScale::viridis(0, 10, /*log=*/false);
  EXPECT_NEAR(lin.fraction(2.5), 0.25, 1e-12);
  EXPECT_NEAR(ColorScale::viridis(5, 5, true).fraction(5), 0.5, 1e-12);  // one size: middle
}

Plot known_plot() {
  Plot p;
  p.id = "t";
  p.title = "Known <positions>";
  p.x = {"C", Scale::Log10, false, 1e3, 1e6};
  p.y = {"loss", Scale::Linear, false, 0, 1};
  Series s;
  s.label = "runs & co";
  s.line = false;
  s.marker = Marker::Circle;
  s.x = {1e3, 1e4, 1e5, 1e6};
  s.y = {0, 0.5, 0.5, 1};
  p.series.push_back(s);
  return p;
}

TEST(SvgPlot, MarkersLandWhereTheAxesSay) {
  Plot p = known_plot();
  std::string svg = p.render();
  auto cx = attr_values(svg, "circle", "cx");
  auto cy = attr_values(svg, "circle", "cy");
  ASSERT_EQ(cx.size(), 5u);  // four points, then the legend's sample marker
  EXPECT_GT(cx[4], 640 - 170);
  // The plot frame: the rect with fill="none" and a grey stroke, drawn after the grid.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, std::regex("<rect x=\"([0-9.]+)\" y=\"([0-9.]+)\" width=\"([0-9.]+)\" "
                                                   "height=\"([0-9.]+)\" fill=\"none\" stroke=\"#b5b5b5\"")));
  double fx = std::stod(m[1]), fy = std::stod(m[2]), fw = std::stod(m[3]), fh = std::stod(m[4]);
  EXPECT_NEAR(cx[0], fx, 0.051);
  EXPECT_NEAR(cx[3], fx + fw, 0.051);
  EXPECT_NEAR(cx[1], fx + fw / 3, 0.051);  // one decade of three
  EXPECT_NEAR(cx[2], fx + 2 * fw / 3, 0.051);
  EXPECT_NEAR(cy[0], fy + fh, 0.051);       // y = 0 at the bottom
  EXPECT_NEAR(cy[1], fy + fh / 2, 0.051);
  EXPECT_NEAR(cy[3], fy, 0.051);
  // Viewport and the range render() used.
  EXPECT_NE(svg.find("viewBox=\"0 0 640 400\""), std::string::npos);
  EXPECT_EQ(p.x_range()[0], 1e3);
  EXPECT_EQ(p.x_range()[1], 1e6);
}

TEST(SvgPlot, AutoRangeCoversTheDataWithPadding) {
  Plot p;
  p.x = {"N", Scale::Log10};
  p.y = {"loss", Scale::Linear};
  Series s;
  s.x = {1e4, 1e6};
  s.y = {2, 4};
  s.y_lo = {1.5, 3.9};
  s.y_hi = {2.2, 4.5};
  p.series.push_back(s);
  auto xr = p.x_range(), yr = p.y_range();
  EXPECT_NEAR(std::log10(xr[0]), 4 - 0.08, 1e-12);  // 4% of two decades each side
  EXPECT_NEAR(std::log10(xr[1]), 6 + 0.08, 1e-12);
  EXPECT_NEAR(yr[0], 1.5 - 0.15, 1e-12);  // error bars are included
  EXPECT_NEAR(yr[1], 4.5 + 0.15, 1e-12);
  Series wide;  // a fitted curve over a far wider span leaves the ranges alone
  wide.x = {1, 1e9};
  wide.y = {100, 0.1};
  wide.affects_range = false;
  p.series.push_back(wide);
  EXPECT_EQ(p.x_range(), xr);
  EXPECT_EQ(p.y_range(), yr);
  EXPECT_EQ(p.drawable_points(), 4);  // still drawn (clipped to the plot area)
  Plot only_curve;  // with nothing else to draw, such a series sets the ranges after all
  only_curve.x = {"N", Scale::Log10};
  only_curve.series.push_back(wide);
  EXPECT_NEAR(std::log10(only_curve.x_range()[0]), -0.36, 1e-12);
}

TEST(SvgPlot, LegendListsLabelledSeriesAndExtras) {
  Plot p = known_plot();
  Series unlabelled;
  unlabelled.x = {1e4, 1e5};
  unlabelled.y = {0.2, 0.3};
  p.series.push_back(unlabelled);
  p.hlines.push_back({0.4, kNaN, kNaN, "#ff0000", Dash::Dashed, "target"});
  p.extra_legend.push_back({"held-out run", "#555555", true, Dash::Dashed});
  std::string svg = p.render();
  EXPECT_NE(svg.find(">runs &amp; co</text>"), std::string::npos);
  EXPECT_NE(svg.find(">target</text>"), std::string::npos);
  EXPECT_NE(svg.find(">held-out run</text>"), std::string::npos);
  EXPECT_NE(svg.find("Known &lt;positions&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("<positions>"), std::string::npos);
  // Legend samples sit right of the plot frame, never over it.
  double frame_right = 640 - 170;
  for (double x : attr_values(svg, "text", "x"))
    if (x > frame_right) {
      EXPECT_LT(x, 640);
    }
  Plot bare = known_plot();
  bare.series[0].label.clear();
  EXPECT_EQ(bare.render().find("runs &amp; co"), std::string::npos);
}

TEST(SvgPlot, NonFiniteAndNonPositivePointsAreDroppedAndBreakTheLine) {
  Plot p;
  p.id = "p1";
  p.x = {"x", Scale::Log10};
  p.y = {"y", Scale::Log10};
  Series s;
  s.x = {1, 2, 3, 4, 5, 6, 7};
  s.y = {1, 2, std::nan(""), 4, 5, -1, 7};  // y <= 0 is not on a log axis
  s.marker = Marker::Diamond;
  s.y_lo = {0.5, std::nan(""), 1, 1, 1, 1, 1};
  s.y_hi = {2, 3, 3, INFINITY, 6, 1, 8};
  p.series.push_back(s);
  EXPECT_EQ(p.drawable_points(), 5);
  std::string svg = p.render();
  EXPECT_EQ(count(svg, "<polyline"), 2u);  // {1,2} and {4,5}; the lone 7 draws no line
  EXPECT_EQ(count(svg, "stroke=\"#222222\""), 5u);  // five diamonds
  EXPECT_EQ(testing::bad_svg_numbers(svg), "");
  std::string lower = svg;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_FALSE(std::regex_search(lower, std::regex("\\bnan\\b|\\binf\\b")));
  Plot empty;
  EXPECT_EQ(empty.drawable_points(), 0);
  EXPECT_EQ(testing::bad_svg_numbers(empty.render()), "");
}

TEST(SvgPlot, ColorBarShowsTheScaleWithLogTicks) {
  Plot p = known_plot();
  p.colorbar = ColorBar{ColorScale::viridis(2e4, 3e6, true), "N (params)", true};
  std::string svg = p.render();
  EXPECT_NE(svg.find(">N (params)</text>"), std::string::npos);
  EXPECT_NE(svg.find(">100k</text>"), std::string::npos);
  EXPECT_NE(svg.find(">1M</text>"), std::string::npos);
  EXPECT_NE(svg.find("fill=\"" + viridis(0.5 / 32 * ColorScale::kTop).hex() + "\""), std::string::npos);
}

TEST(SvgPlot, MarkupIsBalanced) {
  Plot p = known_plot();
  p.series[0].point_titles = {"a", "b<c", "", "d"};
  p.series[0].y_lo = {0, 0.4, 0.4, 0.9};
  p.series[0].y_hi = {0.1, 0.6, 0.6, 1};
  for (Marker m : {Marker::OpenCircle, Marker::Diamond, Marker::Cross}) {
    Series s = p.series[0];
    s.marker = m;
    s.line = true;
    s.dash = Dash::Dotted;
    s.label = "";
    p.series.push_back(s);
  }
  p.colorbar = ColorBar{ColorScale::viridis(1, 100, true), "C", false};
  std::string svg = p.render();
  auto c = testing::check_markup(svg, /*html_void=*/false);
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.opened["svg"], 1);
  EXPECT_EQ(c.opened["title"], 3 * 4);  // three titled points per series of four
  EXPECT_EQ(testing::bad_svg_numbers(svg), "");
}

// The checks the report tests lean on must themselves catch what they claim to.
TEST(SvgPlot, MarkupCheckerCatchesBrokenMarkup) {
  EXPECT_EQ(testing::check_markup("<svg><g><circle r=\"1\"/></g></svg>", false).error, "");
  EXPECT_NE(testing::check_markup("<svg><g></svg>", false).error, "");
  EXPECT_NE(testing::check_markup("<svg>", false).error, "");
  EXPECT_NE(testing::check_markup("<svg width=3></svg>", false).error, "");
  EXPECT_NE(testing::check_markup("<svg><text>a & b</text></svg>", false).error, "");
  EXPECT_NE(testing::check_markup("<meta charset=\"utf-8\">", false).error, "");
  EXPECT_EQ(testing::check_markup("<meta charset=\"utf-8\">", true).error, "");
  EXPECT_EQ(testing::bad_svg_numbers("<circle cx=\"1.5\" cy=\"-2\" r=\"3\"/><path d=\"M1 2L3 4Z\"/>"), "");
  EXPECT_NE(testing::bad_svg_numbers("<circle cx=\"nan\" cy=\"2\"/>"), "");
  EXPECT_NE(testing::bad_svg_numbers("<polyline points=\"1,2 inf,3\"/>"), "");
  EXPECT_NE(testing::bad_svg_numbers("<path d=\"M1 2L-nan 4\"/>"), "");
  EXPECT_NE(testing::bad_svg_numbers("<path d=\"M1 2Lnan 4\"/>"), "");
  EXPECT_NE(testing::bad_svg_numbers("<path d=\"M1 2Linf 4Z\"/>"), "");
  EXPECT_NE(testing::bad_svg_numbers("<rect width=\"\"/>"), "");
}

// xmllint (libxml2-utils), when present, checks the same output with a real XML parser.
TEST(SvgPlot, XmllintAcceptsThePlot) {
  if (std::system("command -v xmllint > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "xmllint not installed (Debian package libxml2-utils); the self-written "
                    "markup check in MarkupIsBalanced still ran";
  core_testing::ScratchDir dir;
  Plot p = known_plot();
  p.colorbar = ColorBar{ColorScale::viridis(1, 100, true), "C & <N>", false};
  std::ofstream(dir.path() / "p.svg") << p.render();
  std::string cmd = "xmllint --noout '" + (dir.path() / "p.svg").string() + "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace scalelab::report
