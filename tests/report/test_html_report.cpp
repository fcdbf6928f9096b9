// html_report: a report from small hand-made ReportData is well-formed, self-contained,
// has the sections its data supports (and only those), puts the story first, never
// draws NaN, colours sizes consistently, and draws the probes' "Scaling hypothesis"
// section (only when there are probe results).
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <regex>
#include <set>

#include "../core/core_testing.h"
#include "core/atomic_file.h"
#include "report/html_report.h"
#include "report/svg_plot.h"
#include "xml_check.h"

namespace scalelab::report {
namespace {

using testing::bad_svg_numbers;
using testing::check_markup;
using testing::svg_fragments;

double law(double N, double D) { return 1.7 + 40 / std::pow(N, 0.3) + 60 / std::pow(D, 0.3); }

// Three sizes x two budgets, one held-out run, two IsoFLOP budgets, one fit.
ReportData sample() {
  ReportData d;
  d.title = "scalelab: test";
  d.experiment = "tiny";
  d.description = "A hand-made experiment.";
  d.story = {"First finding.", "Second finding."};
  for (double N : {2e4, 2e5, 2e6}) {
    RunCurve c;
    c.run = "c" + std::to_string(int(N));
    c.N = N;
    for (double D = 1e4; D <= 20 * N; D *= 2) c.tokens.push_back(D), c.val_loss.push_back(law(N, D));
    d.curves.push_back(c);
    Line l;
    l.label = "N = " + format_si(N);
    for (double tpp : {5.0, 10.0, 20.0, 40.0}) l.x.push_back(6 * N * tpp * N), l.y.push_back(law(N, tpp * N));
    d.law_by_size.push_back(l);
    for (double tpp : {10.0, 20.0}) {
      RunPoint p;
      p.run = c.run + "_" + std::to_string(int(tpp));
      p.N = N, p.D = tpp * N, p.C = 6 * p.N * p.D;
      p.fitted = law(p.N, p.D);
      p.loss = p.fitted * 1.004;
      p.residual = std::log(p.loss / p.fitted);
      d.points.push_back(p);
    }
  }
  RunPoint h;
  h.run = "big";
  h.N = 8e6, h.D = 1.6e8, h.C = 6 * h.N * h.D, h.heldout = true;
  h.fitted = law(h.N, h.D), h.loss = 0.995 * h.fitted, h.residual = std::log(0.995);
  d.points.push_back(h);
  for (double C = 1e9; C <= 1e16; C *= 10) {
    double N = std::sqrt(C / 120);
    d.frontier.x.push_back(C), d.frontier.y.push_back(law(N, 20 * N));
  }
  for (double C : {1e12, 1e13}) {
    IsoFlopPanel p;
    p.C = C;
    for (double N : {1e4, 1e5, 1e6}) p.N.push_back(N), p.loss.push_back(law(N, C / 6 / N));
    p.parabola.x = p.N, p.parabola.y = p.loss;
    p.N_opt = 1e5, p.loss_min = law(1e5, C / 6e5), p.usable = true;
    d.isoflop.push_back(p);
  }
  FitSummary f;
  f.kind = "approach3";
  f.title = "Approach 3";
  f.formula = "L = E + A/N^alpha + B/D^beta";
  f.points = 6, f.bootstrap = 100;
  f.params = {{"E", 1.7, true, 1.65, 1.75, "irreducible"}, {"alpha", 0.3012, true, 0.28, 0.33, "exponent of N"}};
  d.fits.push_back(f);
  ForecastRow r;
  r.run = "big", r.N = h.N, r.D = h.D, r.C = h.C;
  r.predicted = h.fitted, r.lo = h.fitted - 0.03, r.hi = h.fitted + 0.03, r.has_ci = true;
  r.actual = h.loss, r.rel_error = (r.predicted - r.actual) / r.actual, r.forecast_at = "2026-11-23T09:00:00Z";
  d.forecasts.push_back(r);
  d.calibration.push_back({"tiny", r});
  AllocationRow a;
  a.C = 1e18, a.N = 2.5e7, a.N_lo = 2e7, a.N_hi = 3e7, a.D = 5e8, a.D_lo = 4e8, a.D_hi = 6e8;
  a.tokens_per_param = 20, a.loss = 2.1, a.loss_lo = 2.05, a.loss_hi = 2.15, a.has_ci = true;
  d.allocation.push_back(a);
  d.tokens_per_param = 20, d.tokens_per_param_lo = 15, d.tokens_per_param_hi = 26;
  d.provenance = {{"scalelab commit", "abc123"}, {"host", "ci"}};
  d.spec_text = "[experiment]\nname = \"tiny\"  # a < b && c > d\n";
  return d;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Checks every report must pass: balanced markup, finite SVG numbers, no "nan"/"inf" word
// inside any plot, nothing fetched from outside, no script.
void expect_clean(const std::string& html) {
  auto c = check_markup(html, /*html_void=*/true);
  EXPECT_EQ(c.error, "");
  EXPECT_EQ(c.opened["html"], 1);
  for (const auto& svg : svg_fragments(html)) {
    EXPECT_EQ(bad_svg_numbers(svg), "");
    EXPECT_FALSE(std::regex_search(lower(svg), std::regex("\\bnan\\b|\\binf\\b"))) << svg.substr(0, 200);
    EXPECT_EQ(check_markup(svg, false).error, "");
  }
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex("href=\"[^#]")));  // in-page anchors only
  EXPECT_FALSE(std::regex_search(html, std::regex("url\\([^#]")));
}

// The text of a plot's <text> elements joined by spaces (legend labels wrap over lines).
std::string svg_text(const std::string& svg) {
  static const std::regex kText("<text[^>]*>([^<]*)</text>");
  std::string out;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kText); it != std::sregex_iterator(); ++it)
    out += (*it)[1].str() + " ";
  return out;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t i = s.find(what); i != std::string::npos; i = s.find(what, i + 1)) ++n;
  return n;
}

TEST(HtmlReport, FullReportIsWellFormedAndSelfContained) {
  std::string html = render_report_html(sample());
  expect_clean(html);
  auto c = check_markup(html, true);
  // training, compute, IsoFLOP, forecast, residuals, tokens per parameter
  EXPECT_EQ(c.opened["svg"], 6);
  EXPECT_EQ(count(html, "</svg>"), 6u);
  EXPECT_EQ(c.opened["table"], 6);  // IsoFLOP minima, fit, forecast, calibration, allocation, provenance
  for (const char* id : {"summary", "training", "compute", "isoflop", "fits", "forecast", "calibration", "residuals",
                         "tokens", "allocation", "provenance", "spec"})
    EXPECT_NE(html.find(std::string("<section id=\"") + id + "\""), std::string::npos) << id;
  EXPECT_EQ(html.find("id=\"failed\""), std::string::npos);
  EXPECT_EQ(html.find("not available"), std::string::npos);
}

TEST(HtmlReport, StoryComesFirstAndTextIsEscaped) {
  ReportData d = sample();
  d.title = "<script>alert(1)</script> & co";
  d.story = {"Loss < 3 & falling.", "Second."};
  std::string html = render_report_html(d);
  expect_clean(html);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"), std::string::npos);
  size_t first = html.find("Loss &lt; 3 &amp; falling."), second = html.find("Second.");
  ASSERT_NE(first, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_LT(second, html.find("<svg"));
  EXPECT_NE(html.find("# a &lt; b &amp;&amp; c &gt; d"), std::string::npos);  // the spec, in <details>
  EXPECT_LT(html.find("<details>"), html.find("name = &quot;tiny&quot;"));
}

TEST(HtmlReport, SectionsFollowTheData) {
  ReportData d = sample();
  d.isoflop.clear();
  d.failed_runs = {{"r7", "loss became NaN at step 120"}};
  std::string html = render_report_html(d);
  expect_clean(html);
  EXPECT_EQ(html.find("id=\"isoflop\""), std::string::npos);
  EXPECT_EQ(html.find("IsoFLOP"), std::string::npos);
  EXPECT_EQ(check_markup(html, true).opened["svg"], 5);
  EXPECT_NE(html.find("<section id=\"failed\"><h2>Failed runs (1)</h2>"), std::string::npos);
  EXPECT_NE(html.find("loss became NaN at step 120"), std::string::npos);
}

TEST(HtmlReport, MissingAndNonFiniteDataSaysNotAvailable) {
  ReportData d = sample();
  for (auto& p : d.points) p.fitted = p.residual = kNaN;
  d.points[0].loss = kNaN;
  d.points[1].C = INFINITY;
  d.curves[0].val_loss.assign(d.curves[0].val_loss.size(), kNaN);
  d.frontier = {};
  d.law_by_size.clear();
  d.forecasts[0].actual = d.forecasts[0].rel_error = kNaN;
  d.tokens_per_param = d.tokens_per_param_lo = d.tokens_per_param_hi = kNaN;
  d.allocation.clear();
  d.isoflop[0].N_opt = kNaN;
  std::string html = render_report_html(d);
  expect_clean(html);
  EXPECT_NE(html.find("not available: no run has a fitted value"), std::string::npos);
  EXPECT_NE(html.find("not available: plot: no held-out run has finished yet"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">pending</td>"), std::string::npos);
  EXPECT_NE(html.find("not available: compute-optimal tokens per parameter"), std::string::npos);
  EXPECT_NE(html.find("not available: no allocation fit"), std::string::npos);
  // training, compute, IsoFLOP and tokens per parameter still draw from what is finite
  EXPECT_EQ(check_markup(html, true).opened["svg"], 4);
  // Loss against compute: the four finite runs spread over the axis (four distinct x
  // positions), plus the legend's sample; the NaN-loss and infinite-C runs are left out.
  const std::string compute = svg_fragments(html)[1];
  std::regex filled("<circle cx=\"([-0-9.]+)\"[^>]*stroke=\"#ffffff\"");
  std::set<std::string> cx;
  int circles = 0;
  for (auto it = std::sregex_iterator(compute.begin(), compute.end(), filled); it != std::sregex_iterator(); ++it)
    ++circles, cx.insert((*it)[1]);
  EXPECT_EQ(circles, 5);
  EXPECT_EQ(cx.size(), 5u);
}

TEST(HtmlReport, EmptyDataRendersEverySectionAsNotAvailable) {
  std::string html = render_report_html(ReportData{});
  expect_clean(html);
  EXPECT_EQ(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<title>scalelab report</title>"), std::string::npos);
  for (const char* why : {"no findings were recorded", "no validation points recorded",
                          "no finished runs with a positive loss", "no fit is stored", "the spec has no held-out runs",
                          "no provenance recorded", "the spec text was not stored"})
    EXPECT_NE(html.find(std::string("not available: ") + why), std::string::npos) << why;
}

TEST(HtmlReport, SizesShareOneColourScaleAndLegendsNameTheMarks) {
  ReportData d = sample();
  std::string html = render_report_html(d);
  auto svgs = svg_fragments(html);
  ASSERT_EQ(svgs.size(), 6u);
  const std::string& training = svgs[0];
  const std::string& compute = svgs[1];
  // N spans [2e4, 8e6]: the smallest size is viridis(0), the largest viridis(kTop).
  const std::string small = viridis(0).hex(), large = viridis(ColorScale::kTop).hex();
  EXPECT_NE(training.find("stroke=\"" + small + "\""), std::string::npos);
  // The held-out curve is absent from `curves` here; the largest trained size is 2e6.
  ColorScale cn = ColorScale::viridis(2e4, 8e6, true);
  EXPECT_NE(training.find("stroke=\"" + cn.hex(2e6) + "\""), std::string::npos);
  // The law along "N = 20k" is coloured like the 20k runs (the size parsed from the label).
  EXPECT_NE(compute.find("<polyline points=\"") , std::string::npos);
  EXPECT_TRUE(std::regex_search(compute, std::regex("<polyline [^>]*stroke=\"" + small + "\" stroke-width=\"1\"")));
  EXPECT_NE(compute.find("fill=\"" + small + "\""), std::string::npos);  // 20k run markers
  EXPECT_EQ(large, cn.hex(8e6));
  for (const char* entry : {"compute-optimal frontier", "trained runs", "held-out: actual", "held-out: forecast",
                            "fitted law along", "non-embedding N"})
    EXPECT_NE(svg_text(compute).find(entry), std::string::npos) << entry;
  EXPECT_NE(training.find(">held-out run</text>"), std::string::npos);
  EXPECT_NE(svg_text(svgs[5]).find("compute-optimal D/N = 20 [15, 26]"), std::string::npos);
}

TEST(HtmlReport, TablesUseCompactNumbers) {
  std::string html = render_report_html(sample());
  // allocation: C, N with interval, D with interval, D/N, loss with interval
  EXPECT_NE(html.find("<td class=\"num\">1e18</td><td class=\"num\">25M</td><td class=\"num\">[20M, 30M]</td>"
                      "<td class=\"num\">500M</td><td class=\"num\">[400M, 600M]</td><td class=\"num\">20</td>"
                      "<td class=\"num\">2.1</td><td class=\"num\">[2.05, 2.15]</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td>alpha</td><td class=\"num\">0.3012</td><td class=\"num\">[0.28, 0.33]</td>"),
            std::string::npos);
  ReportData d = sample();
  const ForecastRow& r = d.forecasts[0];
  EXPECT_NE(html.find(fmt::format("<td class=\"num\">{:+.2f}%</td>", 100 * r.rel_error)), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">8M</td><td class=\"num\">160M</td><td class=\"num\">7.68e15</td>"),
            std::string::npos);
}

// Two probes, three figures: a plain one, one coloured by N with a colour bar and a
// reference line, and one of nothing but NaN; plus a table and a probe whose stored
// result could not be read.
std::vector<ProbeSection> sample_probes() {
  ProbeSection em;
  em.probe = "emergence";
  em.title = "Emergence & its metrics";
  em.experiment = "em<1>";
  ProbeFigure metrics;
  metrics.id = "emergence-metrics";
  metrics.title = "Four metrics of one task";
  metrics.x = {"training compute C (FLOP)", true, false};
  metrics.y = {"score", false, false, 0, 1};
  ProbeSeries exact;
  exact.label = "exact match";
  exact.x = {1e12, 1e13, 1e14, 1e15};
  exact.y = {0, 0.01, kNaN, 0.8};
  ProbeSeries tokens = exact;
  tokens.label = "per-token accuracy";
  tokens.y = {0.2, 0.4, 0.6, 0.85};
  tokens.dash = Dash::Dashed;
  metrics.series = {exact, tokens};
  metrics.sentence = "Exact match rises from 0 to 0.8 while per-token accuracy climbs smoothly (< 1 decade).";
  ProbeFigure by_n;
  by_n.id = "loss-by-position";
  by_n.title = "Loss per position";
  by_n.x = {"position t", true, false};
  by_n.y = {"loss (nats/token)", true, false};
  for (double N : {1e4, 1e5, 1e6}) {
    ProbeSeries s;
    s.label = "N = " + format_si(N);
    s.x = {1, 10, 100};
    s.y = {5.0, 5.0 - 0.1 * std::log10(N), 5.0 - 0.2 * std::log10(N)};
    s.color_value = N;
    by_n.series.push_back(s);
  }
  by_n.hlines = {{4.4, "5-gram", "", Dash::Dotted}};
  by_n.colorbar = "N (params)";
  by_n.sentence = "Later positions gain more in larger models.";
  ProbeFigure empty;
  empty.id = "nothing";
  empty.title = "Edit distance";
  empty.x = {"C", true, false};
  empty.y = {"distance", true, false};
  ProbeSeries bad;
  bad.x = {1, 2, 3};
  bad.y = {kNaN, -1, 0};  // nothing positive on a log axis
  empty.series = {bad};
  empty.sentence = "No run produced an answer of the right length.";
  em.figures = {metrics, by_n, empty};
  em.tables = {{"Scores by run", {"run", "N", "exact"}, {{"r<1>", "25.3k", "0.01"}, {"r2", "1.2e5", "n/a"}}}};
  ProbeSection broken;
  broken.probe = broken.title = "icl";
  broken.experiment = "icl-demo";
  broken.unavailable = "the stored result cannot be read: figures: expected an array";
  return {em, broken};
}

TEST(HtmlReport, ScalingHypothesisSectionDrawsEveryProbeFigureWithItsSentence) {
  ReportData d = sample();
  d.probes = sample_probes();
  d.failed_runs = {{"r7", "diverged"}};
  const std::string html = render_report_html(d);
  expect_clean(html);
  const size_t at = html.find("<section id=\"scaling-hypothesis\"><h2>Scaling hypothesis</h2>");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GT(at, html.find("<section id=\"allocation\""));
  EXPECT_LT(at, html.find("<section id=\"failed\""));
  EXPECT_LT(at, html.find("<section id=\"provenance\""));
  EXPECT_NE(html.find("<a href=\"#scaling-hypothesis\">Scaling hypothesis</a>"), std::string::npos);
  const std::string part = html.substr(at, html.find("</section>", at) - at);

  // One <svg> per drawable figure: six of the main report and two of the probe.
  auto svgs = svg_fragments(html);
  ASSERT_EQ(svgs.size(), 8u);
  EXPECT_EQ(svg_fragments(part).size(), 2u);
  EXPECT_NE(part.find("<h3>Emergence &amp; its metrics <span class=\"note\">(probe emergence, experiment "
                      "em&lt;1&gt;)</span></h3>"),
            std::string::npos);
  // Each sentence under its figure, escaped; the undrawable figure says why and keeps its sentence.
  const size_t s1 = part.find("<p class=\"finding\">Exact match rises from 0 to 0.8 while per-token accuracy climbs "
                              "smoothly (&lt; 1 decade).</p>");
  const size_t s2 = part.find("<p class=\"finding\">Later positions gain more in larger models.</p>");
  const size_t na = part.find("<p class=\"na\">not available: Edit distance: no finite points to draw</p>");
  const size_t s3 = part.find("<p class=\"finding\">No run produced an answer of the right length.</p>");
  ASSERT_NE(s1, std::string::npos);
  ASSERT_NE(s2, std::string::npos);
  ASSERT_NE(na, std::string::npos);
  ASSERT_NE(s3, std::string::npos);
  EXPECT_LT(part.find("<svg"), s1);
  EXPECT_LT(s1, part.find("<svg", s1));
  EXPECT_LT(part.find("<svg", s1), s2);
  EXPECT_LT(s2, na);
  EXPECT_LT(na, s3);
  EXPECT_EQ(count(part, "class=\"finding\""), 3u);
  EXPECT_NE(part.find("not available: the stored result cannot be read: figures: expected an array"),
            std::string::npos);

  // The metrics plot: fixed score range [0, 1], both legend entries, the palette's first
  // two colours, the dashed series dashed; the NaN point breaks the line.
  const std::string& metrics = svgs[6];
  for (const char* label : {"Four metrics of one task", "exact match", "per-token accuracy", "score"})
    EXPECT_NE(svg_text(metrics).find(label), std::string::npos) << label;
  EXPECT_NE(metrics.find("stroke=\"#1f77b4\""), std::string::npos);
  EXPECT_NE(metrics.find("stroke=\"#ff7f0e\""), std::string::npos);
  EXPECT_TRUE(std::regex_search(metrics, std::regex("<text[^>]*>1</text>")));  // the fixed y max is a tick
  // Coloured by N on a log scale over the figure's values, with the colour bar and the hline.
  const std::string& by_n = svgs[7];
  EXPECT_NE(by_n.find("stroke=\"" + viridis(0).hex() + "\""), std::string::npos);
  EXPECT_NE(by_n.find("stroke=\"" + viridis(ColorScale::kTop / 2).hex() + "\""), std::string::npos);
  EXPECT_NE(by_n.find("stroke=\"" + viridis(ColorScale::kTop).hex() + "\""), std::string::npos);
  for (const char* label : {"N (params)", "5-gram", "N = 10k", "N = 1M"})
    EXPECT_NE(svg_text(by_n).find(label), std::string::npos) << label;

  // The table, escaped, numbers right-aligned and text left.
  EXPECT_NE(part.find("<h4>Scores by run</h4>"), std::string::npos);
  EXPECT_NE(part.find("<tr><td>r&lt;1&gt;</td><td class=\"num\">25.3k</td><td class=\"num\">0.01</td></tr>"),
            std::string::npos);

  // Element ids (clip paths) stay unique across the page.
  std::set<std::string> ids;
  const std::regex id_attr("\\sid=\"([^\"]+)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), id_attr); it != std::sregex_iterator(); ++it)
    EXPECT_TRUE(ids.insert((*it)[1]).second) << "duplicate id " << (*it)[1];
}

TEST(HtmlReport, NoScalingHypothesisSectionWithoutProbes) {
  const std::string html = render_report_html(sample());
  EXPECT_EQ(html.find("scaling-hypothesis"), std::string::npos);
  EXPECT_EQ(html.find("Scaling hypothesis"), std::string::npos);
  EXPECT_EQ(html.find("class=\"finding\""), std::string::npos);
  // A probe that stored only numbers gets its heading and a not-available line.
  ReportData d;
  d.probes.push_back(ProbeSection{"ngram", "n-gram baselines", "ng", {}, {}, ""});
  const std::string only = render_report_html(d);
  expect_clean(only);
  EXPECT_NE(only.find("<h3>n-gram baselines"), std::string::npos);
  EXPECT_NE(only.find("not available: the probe stored no figures or tables"), std::string::npos);
  EXPECT_EQ(only.find("<svg"), std::string::npos);
}

TEST(HtmlReport, WriteIsAtomicAndMatchesRender) {
  core_testing::ScratchDir dir;
  ReportData d = sample();
  write_report_html(d, dir.path() / "r.html");
  EXPECT_EQ(read_file(dir.path() / "r.html"), render_report_html(d));
}

}  // namespace
}  // namespace scalelab::report
