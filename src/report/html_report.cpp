// The HTML report: one page, sections in reading order, each a figure (Plot::render) and/or
// a table, or a "not available: why" line when its data is missing.
#include "report/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <set>

#include "core/atomic_file.h"
#include "report/svg_plot.h"

namespace scalelab::report {
namespace {

constexpr const char* kHeldout = "#d1495b";   // held-out runs and their forecasts
constexpr const char* kNeutral = "#3b528b";   // single-colour points (viridis blue)

const char* kCss = R"css(
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       background: #fafafa; margin: 0; line-height: 1.45; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 48px; background: #fff;
       box-shadow: 0 0 0 1px #e6e6e6; }
header h1 { margin: 0 0 4px; font-size: 1.7em; }
.meta { color: #666; font-size: 0.92em; margin: 0 0 8px; }
nav { font-size: 0.9em; margin: 12px 0 4px; }
nav a { color: #3b528b; text-decoration: none; margin-right: 12px; white-space: nowrap; }
h2 { border-bottom: 1px solid #e3e3e3; padding-bottom: 4px; margin-top: 36px; font-size: 1.3em; }
h3 { font-size: 1.05em; margin: 20px 0 6px; }
.story { background: #f3f6fb; border-left: 4px solid #3b528b; padding: 10px 14px 10px 30px;
         margin: 8px 0; }
.story li { margin: 3px 0; }
figure { margin: 12px 0; }
figcaption { color: #555; font-size: 0.9em; margin-top: 4px; }
svg.plot { max-width: 100%; height: auto; border: 1px solid #eee; }
table { border-collapse: collapse; font-size: 0.9em; margin: 8px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { background: #f4f4f4; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.heldout td { background: #fdf1f2; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.88em; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; }
.na { color: #888; font-style: italic; }
.note { color: #555; font-size: 0.9em; }
.finding { margin: 0 0 16px; padding: 6px 12px; border-left: 3px solid #5ec962; background: #f4faf2; }
h4 { font-size: 0.95em; margin: 14px 0 4px; color: #444; }
footer { color: #999; font-size: 0.85em; margin-top: 40px; }
)css";

std::string esc(const std::string& s) { return xml_escape(s); }
bool finite(double v) { return std::isfinite(v); }
bool positive(double v) { return std::isfinite(v) && v > 0; }

std::string num(double v) { return format_sig(v, 4); }
std::string count(double v) { return format_si(v, 3); }
std::string flops(double v) { return format_sig(v, 3); }
std::string interval(bool has, double lo, double hi, std::string (*f)(double)) {
  if (!has || (!finite(lo) && !finite(hi))) return "&ndash;";
  return "[" + f(lo) + ", " + f(hi) + "]";
}
std::string percent(double v) { return finite(v) ? fmt::format("{:+.2f}%", 100 * v) : "n/a"; }

std::string na(const std::string& why) { return "<p class=\"na\">not available: " + esc(why) + "</p>\n"; }

std::string figure(const Plot& p, const std::string& caption) {
  return "<figure>" + p.render() + "<figcaption>" + esc(caption) + "</figcaption></figure>\n";
}

// A table from a header row and body rows; cells are already HTML. `align[c]` is 'n' for a
// numeric (right-aligned) column, anything else for text. `classes[r]`: class of row r.
std::string table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows,
                  const std::string& align, const std::vector<std::string>& classes = {}) {
  std::string o = "<table><thead><tr>";
  for (const auto& h : head) o += "<th>" + h + "</th>";
  o += "</tr></thead><tbody>";
  for (size_t r = 0; r < rows.size(); ++r) {
    o += r < classes.size() && !classes[r].empty() ? "<tr class=\"" + classes[r] + "\">" : "<tr>";
    for (size_t c = 0; c < rows[r].size(); ++c)
      o += (c < align.size() && align[c] == 'n' ? "<td class=\"num\">" : "<td>") + rows[r][c] + "</td>";
    o += "</tr>";
  }
  return o + "</tbody></table>\n";
}

std::string section(const std::string& id, const std::string& title, const std::string& body) {
  return "<section id=\"" + id + "\"><h2>" + esc(title) + "</h2>\n" + body + "</section>\n";
}

// The N of a law_by_size line from its label ("N = 25k", "N=1.2M"); NaN if none.
double n_from_label(const std::string& label) {
  size_t eq = label.find('=');
  if (eq == std::string::npos) return kNaN;
  const char* s = label.c_str() + eq + 1;
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end == s) return kNaN;
  while (*end == ' ') ++end;
  switch (*end) {
    case 'k': v *= 1e3; break;
    case 'M': v *= 1e6; break;
    case 'G': case 'B': v *= 1e9; break;
    case 'T': v *= 1e12; break;
    default: break;
  }
  return v;
}

// One colour scale for N shared by every plot, so a size has the same colour everywhere.
ColorScale n_scale(const ReportData& d) {
  double lo = INFINITY, hi = -INFINITY;
  auto add = [&](double n) {
    if (positive(n)) lo = std::min(lo, n), hi = std::max(hi, n);
  };
  for (const auto& c : d.curves) add(c.N);
  for (const auto& p : d.points) add(p.N);
  for (const auto& f : d.forecasts) add(f.N);
  if (!(lo <= hi)) lo = hi = 1;
  return ColorScale::viridis(lo, hi, true);
}

// Hover text of a run's marker; a non-finite value reads "n/a".
std::string point_title(const RunPoint& p) {
  auto f = [](double v, std::string (*g)(double)) { return finite(v) ? g(v) : std::string("n/a"); };
  return fmt::format("{}: N={} D={} C={} loss={}", p.run, f(p.N, count), f(p.D, count), f(p.C, flops),
                     f(p.loss, num));
}

Series scatter(const std::string& label, Marker m, const std::string& color) {
  Series s;
  s.label = label;
  s.line = false;
  s.marker = m;
  s.color = color;
  return s;
}

// ---- sections ------------------------------------------------------------------------

std::string training_section(const ReportData& d, const ColorScale& cn) {
  Plot p;
  p.id = "fig-training";
  p.title = "Validation loss during training";
  p.x = {"tokens seen D", Scale::Log10, true};
  p.y = {"validation loss (nats/token)", Scale::Log10};
  for (const auto& c : d.curves) {
    Series s;
    s.x = c.tokens;
    s.y = c.val_loss;
    s.color = cn.hex(c.N);
    s.width = 1.5;
    s.dash = c.heldout ? Dash::Dashed : Dash::Solid;
    p.series.push_back(std::move(s));
  }
  if (p.drawable_points() == 0) return na("no validation points recorded");
  p.colorbar = ColorBar{cn, "non-embedding N (params)", true};
  p.extra_legend = {{"trained run", "#555555", true, Dash::Solid, 1.5},
                    {"held-out run", "#555555", true, Dash::Dashed, 1.5}};
  return figure(p, "Each line is one run's validation loss against tokens seen, log-log, coloured by model size.");
}

std::string compute_section(const ReportData& d, const ColorScale& cn) {
  Plot p;
  p.id = "fig-compute";
  p.title = "Loss against compute";
  p.x = {fmt::format("training compute C (FLOP, {})", d.flops_convention), Scale::Log10};
  p.y = {"final validation loss (nats/token)", Scale::Log10};
  bool any_law = false;
  for (const auto& l : d.law_by_size) {
    Series s;
    s.x = l.x;
    s.y = l.y;
    double n = n_from_label(l.label);
    s.color = finite(n) ? cn.hex(n) : "#999999";
    s.width = 1;
    s.opacity = 0.75;
    s.affects_range = false;  // drawn over a wide span of C; the runs set the axes
    p.series.push_back(std::move(s));
    any_law = true;
  }
  Series runs = scatter("trained runs", Marker::Circle, cn.hex(std::sqrt(cn.lo * cn.hi)));
  Series actual = scatter("held-out: actual", Marker::Diamond, kHeldout);
  actual.marker_size = 4.5;
  std::set<std::string> heldout_runs;
  for (const auto& r : d.points) {
    Series& s = r.heldout ? actual : runs;
    s.x.push_back(r.C);
    s.y.push_back(r.loss);
    s.point_colors.push_back(r.heldout ? kHeldout : cn.hex(r.N));
    s.point_titles.push_back(point_title(r));
    if (r.heldout) heldout_runs.insert(r.run);
  }
  Series forecast = scatter("held-out: forecast", Marker::OpenCircle, kHeldout);
  for (const auto& f : d.forecasts) {
    forecast.x.push_back(f.C);
    forecast.y.push_back(f.predicted);
    forecast.y_lo.push_back(f.has_ci ? f.lo : kNaN);
    forecast.y_hi.push_back(f.has_ci ? f.hi : kNaN);
    forecast.point_titles.push_back(fmt::format("{}: forecast {} {}", f.run, num(f.predicted),
                                                interval(f.has_ci, f.lo, f.hi, num)));
    if (finite(f.actual) && !heldout_runs.count(f.run)) {
      actual.x.push_back(f.C);
      actual.y.push_back(f.actual);
      actual.point_colors.push_back(kHeldout);
      actual.point_titles.push_back(fmt::format("{}: actual {}", f.run, num(f.actual)));
    }
  }
  Series frontier;
  frontier.label = "compute-optimal frontier";
  frontier.x = d.frontier.x;
  frontier.y = d.frontier.y;
  frontier.color = "#111111";
  frontier.width = 2.8;
  frontier.affects_range = false;  // the runs set the axes; a fit far off them is clipped
  p.series.push_back(std::move(frontier));
  forecast.marker_size = 6;  // a ring around the actual's diamond when they agree
  for (Series* s : {&runs, &actual, &forecast})
    if (!s->x.empty()) p.series.push_back(std::move(*s));
  if (p.drawable_points() == 0) return na("no finished runs with a positive loss and compute");
  if (any_law) p.extra_legend.push_back({"fitted law along each size", "#777777", true, Dash::Solid, 1});
  p.colorbar = ColorBar{cn, "non-embedding N (params)", true};
  return figure(p, "Final loss of each run against its training compute, coloured by N; thin lines: the fitted "
                   "law along each size; bold: the compute-optimal frontier of the fit; red: held-out runs, the "
                   "forecast (ring, bar: its interval) and the loss reached (diamond).");
}

std::string isoflop_section(const ReportData& d) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& panel : d.isoflop)
    if (positive(panel.C)) lo = std::min(lo, panel.C), hi = std::max(hi, panel.C);
  if (!(lo <= hi)) lo = hi = 1;
  const ColorScale cc = ColorScale::viridis(lo, hi, true);
  Plot p;
  p.id = "fig-isoflop";
  p.title = "IsoFLOP profiles";
  p.x = {"non-embedding N (params)", Scale::Log10, true};
  p.y = {"final validation loss (nats/token)", Scale::Log10};
  Series minima = scatter("parabola minimum", Marker::Cross, "#111111");
  std::vector<std::vector<std::string>> rows;
  for (const auto& panel : d.isoflop) {
    Series pts = scatter("", Marker::Circle, cc.hex(panel.C));
    pts.x = panel.N;
    pts.y = panel.loss;
    p.series.push_back(std::move(pts));
    if (panel.usable) {
      Series par;
      par.x = panel.parabola.x;
      par.y = panel.parabola.y;
      par.color = cc.hex(panel.C);
      par.width = 1.3;
      p.series.push_back(std::move(par));
      minima.x.push_back(panel.N_opt);
      minima.y.push_back(panel.loss_min);
      minima.point_titles.push_back(fmt::format("C={}: N_opt={} loss={}", flops(panel.C), count(panel.N_opt),
                                                num(panel.loss_min)));
    }
    rows.push_back({flops(panel.C), std::to_string(panel.N.size()), panel.usable ? count(panel.N_opt) : "&ndash;",
                    panel.usable ? num(panel.loss_min) : "&ndash;", panel.usable ? "yes" : "no (no interior minimum)"});
  }
  p.series.push_back(std::move(minima));
  std::string body;
  if (p.drawable_points() == 0) {
    body = na("no IsoFLOP runs have finished");
  } else {
    p.colorbar = ColorBar{cc, "budget C (FLOP)", false};
    p.extra_legend = {{"runs at one budget", "#555555", false, Dash::Solid, 1, Marker::Circle},
                      {"parabola in log N", "#555555", true, Dash::Solid, 1.3}};
    body = figure(p, "Loss against size at fixed compute (approach 2, Hoffmann et al. 2022): a parabola in log N "
                     "per budget, its minimum marked.");
  }
  return body + table({"budget C (FLOP)", "runs", "N at minimum", "loss at minimum", "usable"}, rows, "nnnnt");
}

std::string fits_section(const ReportData& d) {
  if (d.fits.empty()) return na("no fit is stored with this experiment");
  std::string o;
  for (const auto& f : d.fits) {
    o += "<h3>" + esc(f.title.empty() ? f.kind : f.title) + "</h3>\n";
    if (!f.formula.empty()) o += "<p><code>" + esc(f.formula) + "</code></p>\n";
    if (f.points > 0)
      o += fmt::format("<p class=\"meta\">{} points, {} bootstrap fits, {} intervals</p>\n", f.points, f.bootstrap,
                       finite(f.ci_level) && f.bootstrap > 1 ? fmt::format("{:g}%", 100 * f.ci_level) : "no");
    if (!f.message.empty()) o += "<p class=\"note\">" + esc(f.message) + "</p>\n";
    if (f.params.empty()) {
      o += na("the fit gave no parameters");
      continue;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : f.params)
      rows.push_back({esc(r.name), num(r.value), interval(r.has_ci, r.lo, r.hi, num), esc(r.note)});
    o += table({"parameter", "value", "interval", "meaning"}, rows, "tnnt");
  }
  return o;
}

std::string forecast_section(const ReportData& d) {
  if (d.forecasts.empty()) return na("the spec has no held-out runs");
  std::vector<std::vector<std::string>> rows;
  Plot p;
  p.id = "fig-forecast";
  p.title = "Forecast against actual (held-out runs)";
  p.x = {"actual final loss (nats/token)", Scale::Linear};
  p.y = {"forecast loss (nats/token)", Scale::Linear};
  Series pts = scatter("forecast with interval", Marker::Diamond, kHeldout);
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& f : d.forecasts) {
    rows.push_back({esc(f.run), count(f.N), count(f.D), flops(f.C), num(f.predicted),
                    interval(f.has_ci, f.lo, f.hi, num), finite(f.actual) ? num(f.actual) : "pending",
                    percent(f.rel_error), esc(f.forecast_at)});
    if (!finite(f.actual) || !finite(f.predicted)) continue;
    pts.x.push_back(f.actual);
    pts.y.push_back(f.predicted);
    pts.y_lo.push_back(f.has_ci ? f.lo : kNaN);
    pts.y_hi.push_back(f.has_ci ? f.hi : kNaN);
    pts.point_titles.push_back(fmt::format("{}: forecast {} actual {} ({})", f.run, num(f.predicted), num(f.actual),
                                           percent(f.rel_error)));
    for (double v : {f.actual, f.predicted, f.has_ci ? f.lo : kNaN, f.has_ci ? f.hi : kNaN})
      if (finite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  std::string o = table({"run", "N", "D", "C (FLOP)", "forecast", "interval", "actual", "error", "forecast saved"},
                        rows, "tnnnnnnnt");
  if (pts.x.empty()) return o + na("plot: no held-out run has finished yet");
  // Equal ranges on both axes so the diagonal y = x is at 45 degrees.
  double pad = std::max(0.08 * (hi - lo), 0.01 * std::fabs(hi));
  lo -= pad, hi += pad;
  p.x.min = p.y.min = lo;
  p.x.max = p.y.max = hi;
  Series diag;
  diag.label = "y = x: perfect forecast";
  diag.x = diag.y = {lo, hi};
  diag.color = "#888888";
  diag.dash = Dash::Dashed;
  diag.width = 1.2;
  p.series.push_back(std::move(diag));
  p.series.push_back(std::move(pts));
  return o + figure(p, "Each held-out run's forecast (saved before it trained) against the loss it reached; "
                       "bars: the forecast interval.");
}

// Every held-out forecast the store holds, of every experiment: how often the intervals
// covered what the runs reached. A tool whose 90% intervals cover far less than 90% of
// the time is overconfident, whatever one forecast's error says.
std::string calibration_section(const ReportData& d) {
  if (d.calibration.empty()) return na("no held-out run in the store has a forecast yet");
  std::vector<std::vector<std::string>> rows;
  int judged = 0, covered = 0;
  double abs_error = 0;
  int finished = 0;
  for (const CalibrationRow& c : d.calibration) {
    const ForecastRow& f = c.forecast;
    const int cov = c.covered();
    judged += cov >= 0;
    covered += cov == 1;
    if (finite(f.rel_error)) abs_error += std::fabs(f.rel_error), ++finished;
    rows.push_back({esc(c.experiment), esc(f.run), flops(f.C), num(f.predicted), interval(f.has_ci, f.lo, f.hi, num),
                    finite(f.actual) ? num(f.actual) : "pending", percent(f.rel_error),
                    cov < 0 ? (finite(f.actual) ? "no interval" : "pending") : (cov ? "yes" : "no")});
  }
  std::string o = "<p>" +
                  (judged > 0 ? fmt::format("{} of {} finished held-out runs with an interval fell inside it ({:.0f}%)",
                                            covered, judged, 100.0 * covered / judged)
                              : std::string("no finished held-out run has an interval yet")) +
                  (finished > 0 ? fmt::format("; mean absolute error {:.2f}% over {} runs", 100 * abs_error / finished,
                                              finished)
                                : std::string()) +
                  ".</p>\n";
  return o + table({"experiment", "run", "C (FLOP)", "forecast", "interval", "actual", "error", "covered"}, rows,
                   "ttnnnnnt");
}

std::string residual_section(const ReportData& d, const ColorScale& cn) {
  Plot p;
  p.id = "fig-residuals";
  p.title = "Residuals of the fitted law";
  p.x = {fmt::format("training compute C (FLOP, {})", d.flops_convention), Scale::Log10};
  p.y = {"residual ln(loss) - ln(fit)", Scale::Linear};
  Series runs = scatter("trained runs", Marker::Circle, cn.hex(std::sqrt(cn.lo * cn.hi)));
  Series held = scatter("held-out runs", Marker::Diamond, kHeldout);
  for (const auto& r : d.points) {
    if (!finite(r.residual)) continue;
    Series& s = r.heldout ? held : runs;
    s.x.push_back(r.C);
    s.y.push_back(r.residual);
    s.point_colors.push_back(r.heldout ? kHeldout : cn.hex(r.N));
    s.point_titles.push_back(point_title(r) + fmt::format(" residual={}", num(r.residual)));
  }
  for (Series* s : {&runs, &held})
    if (!s->x.empty()) p.series.push_back(std::move(*s));
  if (p.drawable_points() == 0) return na("no run has a fitted value (no loss-law fit)");
  p.hlines.push_back({0.0, kNaN, kNaN, "#555555", Dash::Solid, ""});
  p.colorbar = ColorBar{cn, "non-embedding N (params)", true};
  return figure(p, "Log residual of each run against the fitted law; 0.01 is a 1% miss. A trend with C or N "
                   "means the law's form misses something.");
}

std::string tokens_section(const ReportData& d) {
  Plot p;
  p.id = "fig-tokens";
  p.title = "Tokens per parameter";
  p.x = {"non-embedding N (params)", Scale::Log10, true};
  p.y = {"tokens per parameter D/N", Scale::Log10};
  Series runs = scatter("trained runs", Marker::Circle, kNeutral);
  Series held = scatter("held-out runs", Marker::Diamond, kHeldout);
  for (const auto& r : d.points) {
    if (!positive(r.N) || !positive(r.D)) continue;
    Series& s = r.heldout ? held : runs;
    s.x.push_back(r.N);
    s.y.push_back(r.D / r.N);
    s.point_titles.push_back(point_title(r) + " D/N=" + num(r.D / r.N));
  }
  for (Series* s : {&runs, &held})
    if (!s->x.empty()) p.series.push_back(std::move(*s));
  if (p.drawable_points() == 0) return na("no finished runs");
  std::string note;
  if (positive(d.tokens_per_param)) {
    bool ci = positive(d.tokens_per_param_lo) && positive(d.tokens_per_param_hi);
    auto sig3 = [](double v) { return format_sig(v, 3); };  // a legend line stays short
    std::string label = "compute-optimal D/N = " + sig3(d.tokens_per_param);
    if (ci) label += " [" + sig3(d.tokens_per_param_lo) + ", " + sig3(d.tokens_per_param_hi) + "]";
    p.hlines.push_back({d.tokens_per_param, ci ? d.tokens_per_param_lo : kNaN, ci ? d.tokens_per_param_hi : kNaN,
                        "#e08a00", Dash::Dashed, label});
  } else {
    note = na("compute-optimal tokens per parameter (no allocation fit)");
  }
  return figure(p, "D/N of each run against its size; the band is the compute-optimal ratio of the fit with its "
                   "interval (about 20 in Hoffmann et al. 2022).") +
         note;
}

std::string allocation_section(const ReportData& d) {
  if (d.allocation.empty()) return na("no allocation fit");
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : d.allocation)
    rows.push_back({flops(a.C), count(a.N), interval(a.has_ci, a.N_lo, a.N_hi, count), count(a.D),
                    interval(a.has_ci, a.D_lo, a.D_hi, count), num(a.tokens_per_param), num(a.loss),
                    interval(a.has_ci, a.loss_lo, a.loss_hi, num)});
  return table({"budget C (FLOP)", "N opt", "N interval", "D opt", "D interval", "D/N", "loss", "loss interval"},
               rows, "nnnnnnnn");
}

// ---- scaling hypothesis (probe results) -----------------------------------------------

// Categorical colours for probe series without a colour of their own (Tableau 10).
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

// A table cell that reads as a number ("1.2e5", "25.3k", "-0.31", "12%"), for alignment.
bool numeric_cell(const std::string& c) {
  if (c.empty() || c == "n/a") return true;  // neutral: does not make a column text
  char* end = nullptr;
  std::strtod(c.c_str(), &end);
  if (end == c.c_str()) return false;
  const std::string rest(end);
  return rest.empty() || rest == "k" || rest == "M" || rest == "G" || rest == "T" || rest == "B" || rest == "%";
}

// One probe figure as a Plot: given colours first, then viridis over the figure's colour
// values (log scale, with a colour bar), then the palette in order.
Plot probe_plot(const ProbeFigure& f, const std::string& id) {
  Plot p;
  p.id = id;
  p.title = f.title;
  p.x = {f.x.label, f.x.log ? Scale::Log10 : Scale::Linear, f.x.counts, f.x.min, f.x.max};
  p.y = {f.y.label, f.y.log ? Scale::Log10 : Scale::Linear, f.y.counts, f.y.min, f.y.max};
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : f.series)
    if (positive(s.color_value)) lo = std::min(lo, s.color_value), hi = std::max(hi, s.color_value);
  const bool by_value = lo <= hi;
  const ColorScale cs = ColorScale::viridis(by_value ? lo : 1, by_value ? hi : 1, true);
  size_t next = 0;
  for (const auto& in : f.series) {
    Series s;
    s.label = in.label;
    s.x = in.x;
    s.y = in.y;
    s.color = !in.color.empty()            ? in.color
              : positive(in.color_value) ? cs.hex(in.color_value)
                                         : kPalette[next++ % std::size(kPalette)];
    s.line = in.line;
    s.marker = !in.line && in.marker == Marker::None ? Marker::Circle : in.marker;  // never invisible
    s.dash = in.dash;
    p.series.push_back(std::move(s));
  }
  for (const auto& h : f.hlines)
    p.hlines.push_back({h.y, kNaN, kNaN, h.color.empty() ? "#555555" : h.color, h.dash, h.label});
  if (by_value) p.colorbar = ColorBar{cs, f.colorbar.empty() ? "colour value" : f.colorbar, true};
  return p;
}

// Per probe: a heading with its title and experiment, each figure with the probe's
// sentence under it, then its tables.
std::string probes_section(const ReportData& d) {
  std::string o;
  for (size_t i = 0; i < d.probes.size(); ++i) {
    const ProbeSection& pr = d.probes[i];
    o += "<h3>" + esc(pr.title.empty() ? pr.probe : pr.title) + " <span class=\"note\">(probe " + esc(pr.probe) +
         ", experiment " + esc(pr.experiment) + ")</span></h3>\n";
    if (!pr.unavailable.empty()) {
      o += na(pr.unavailable);
      continue;
    }
    if (pr.figures.empty() && pr.tables.empty()) o += na("the probe stored no figures or tables");
    for (size_t j = 0; j < pr.figures.size(); ++j) {
      const ProbeFigure& f = pr.figures[j];
      const Plot p = probe_plot(f, fmt::format("fig-probe{}-{}", i, j));
      if (p.drawable_points() == 0)
        o += na(fmt::format("{}: no finite points to draw", f.title.empty() ? f.id : f.title));
      else
        o += "<figure>" + p.render() + "</figure>\n";
      if (!f.sentence.empty()) o += "<p class=\"finding\">" + esc(f.sentence) + "</p>\n";
    }
    for (const ProbeTable& t : pr.tables) {
      if (!t.title.empty()) o += "<h4>" + esc(t.title) + "</h4>\n";
      std::vector<std::string> head;
      for (const auto& c : t.columns) head.push_back(esc(c));
      std::string align(t.columns.size(), 'n');
      std::vector<std::vector<std::string>> rows;
      for (const auto& r : t.rows) {
        std::vector<std::string> row;
        for (size_t c = 0; c < r.size(); ++c) {
          if (c < align.size() && !numeric_cell(r[c])) align[c] = 't';
          row.push_back(esc(r[c]));
        }
        rows.push_back(std::move(row));
      }
      o += rows.empty() ? na(t.title.empty() ? "an empty table" : t.title + ": no rows") : table(head, rows, align);
    }
  }
  return o;
}

std::string pairs_table(const std::vector<std::pair<std::string, std::string>>& rows_in, const char* k,
                        const char* v) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [a, b] : rows_in) rows.push_back({esc(a), "<code>" + esc(b) + "</code>"});
  return table({k, v}, rows, "tt");
}

}  // namespace

std::string render_report_html(const ReportData& d) {
  const ColorScale cn = n_scale(d);
  std::vector<std::pair<std::string, std::string>> sections;  // (id, title) for the nav
  std::string body;
  auto add = [&](const std::string& id, const std::string& title, const std::string& content) {
    sections.emplace_back(id, title);
    body += section(id, title, content);
  };

  std::string story;
  if (d.story.empty()) {
    story = na("no findings were recorded");
  } else {
    story = "<ul class=\"story\">";
    for (const auto& s : d.story) story += "<li>" + esc(s) + "</li>";
    story += "</ul>\n";
  }
  add("summary", "Summary", story);
  add("training", "Training curves", training_section(d, cn));
  add("compute", "Loss against compute", compute_section(d, cn));
  if (!d.isoflop.empty()) add("isoflop", "IsoFLOP profiles", isoflop_section(d));
  add("fits", "Fitted parameters", fits_section(d));
  add("forecast", "Forecast against actual", forecast_section(d));
  add("calibration", "Calibration: every held-out forecast in the store", calibration_section(d));
  add("residuals", "Residuals", residual_section(d, cn));
  add("tokens", "Tokens per parameter", tokens_section(d));
  add("allocation", "Compute-optimal allocation", allocation_section(d));
  if (!d.probes.empty()) add("scaling-hypothesis", "Scaling hypothesis", probes_section(d));
  if (!d.failed_runs.empty())
    add("failed", fmt::format("Failed runs ({})", d.failed_runs.size()), pairs_table(d.failed_runs, "run", "error"));
  add("provenance", "Provenance", d.provenance.empty() ? na("no provenance recorded")
                                                         : pairs_table(d.provenance, "item", "value"));
  add("spec", "Experiment spec",
      d.spec_text.empty() ? na("the spec text was not stored")
                          : "<details><summary>show the spec (TOML)</summary><pre>" + esc(d.spec_text) +
                                "</pre></details>\n");

  const std::string title = d.title.empty() ? "scalelab report" : d.title;
  std::string o = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
                  esc(title) + "</title>\n<style>" + kCss + "</style>\n</head>\n<body>\n<main>\n<header>\n<h1>" +
                  esc(title) + "</h1>\n";
  o += "<p class=\"meta\">experiment <b>" + esc(d.experiment) + "</b> &middot; compute counted as " +
       esc(d.flops_convention) + " &middot; losses in nats/token</p>\n";
  if (!d.description.empty()) o += "<p>" + esc(d.description) + "</p>\n";
  o += "<nav>";
  for (const auto& [id, t] : sections) o += "<a href=\"#" + id + "\">" + esc(t) + "</a> ";
  o += "</nav>\n</header>\n" + body;
  o += "<footer>Written by scalelab. Self-contained: no scripts, no external resources.</footer>\n"
       "</main>\n</body>\n</html>\n";
  return o;
}

void write_report_html(const ReportData& data, const std::filesystem::path& path) {
  write_file_atomic(path, render_report_html(data));
}

}  // namespace scalelab::report
