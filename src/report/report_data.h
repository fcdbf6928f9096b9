// defines: scalelab::report::ReportData and its parts
//
// Everything the HTML report draws, as plain numbers and strings. report_builder.h fills
// it from the run store and the stored fits (it owns the arithmetic: fitted curves,
// frontier, allocation); html_report.h only renders it, so rendering is testable on
// hand-made data and knows nothing of SQLite or of the fit library.
//
// The probes of the scaling hypothesis (emergence, in-context learning, n-gram baselines,
// ensembles) arrive as generic figures and tables (ProbeSection, filled by
// report/probe_section.h from the JSON each probe stores); the report draws them as they
// come, so a new probe needs no change here.
//
// Units: N parameters (non-embedding, Kaplan et al. 2020), D tokens, C FLOPs (6ND unless
// `flops_convention` says otherwise), losses nats/token.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "report/svg_plot.h"  // Marker, Dash, kNaN: the probe figures' drawing choices

namespace scalelab::report {

// One run's training curve (validation points; training loss optional).
struct RunCurve {
  std::string run;
  double N = 0;
  bool heldout = false;
  std::vector<double> tokens;      // x of the validation points
  std::vector<double> val_loss;    // same length as tokens
  std::vector<double> train_tokens;  // x of training-loss points (may be empty)
  std::vector<double> train_loss;
};

// One finished run as a point of the law.
struct RunPoint {
  std::string run;
  double N = 0, D = 0, C = 0;
  double loss = 0;            // final validation loss
  bool heldout = false;
  double fitted = 0;          // the fitted law at (N, D); NaN when no fit
  double residual = 0;        // log(loss) - log(fitted); NaN when no fit
};

// A line in a plot: (x, y) pairs, sorted by x.
struct Line {
  std::string label;
  std::vector<double> x, y;
};

// One IsoFLOP budget (approach 2): its points, the fitted parabola in log N and its minimum.
struct IsoFlopPanel {
  double C = 0;
  std::vector<double> N, loss;        // the runs at this budget
  Line parabola;                      // loss against N along the fit
  double N_opt = 0, loss_min = 0;     // the parabola's minimum
  bool usable = false;
};

// A fitted parameter or derived quantity with its bootstrap interval.
struct ParamRow {
  std::string name;         // "E", "A", "alpha", "a", ...
  double value = 0;
  bool has_ci = false;
  double lo = 0, hi = 0;
  std::string note;         // e.g. "loss exponent of N"
};

struct FitSummary {
  std::string kind;         // "approach3", "approach1", "approach2"
  std::string title;        // "Approach 3: parametric fit L(N, D) = E + A/N^alpha + B/D^beta"
  std::string formula;
  int points = 0, bootstrap = 0;
  double ci_level = 0.90;
  std::vector<ParamRow> params;
  std::string message;
};

// Held-out run: what was forecast before it trained, and what it reached.
struct ForecastRow {
  std::string run;
  double N = 0, D = 0, C = 0;
  double predicted = 0, lo = 0, hi = 0;  // forecast loss and its interval
  bool has_ci = false;
  double actual = 0;                     // NaN while the run has not finished
  double rel_error = 0;                  // (predicted - actual) / actual; NaN likewise
  std::string forecast_at;               // when the forecast was saved (ISO 8601)
};

// One held-out forecast of any experiment in the store, for the calibration table: did the
// intervals the tool gave cover what the runs reached, as often as their level says?
struct CalibrationRow {
  std::string experiment;
  ForecastRow forecast;
  // Whether the interval holds the actual loss: 1 yes, 0 no, -1 unknown (no interval, or
  // the run has not finished).
  int covered() const {
    if (!forecast.has_ci || !(forecast.actual == forecast.actual)) return -1;
    return forecast.lo <= forecast.actual && forecast.actual <= forecast.hi ? 1 : 0;
  }
};

// The compute-optimal split at one budget.
struct AllocationRow {
  double C = 0;
  double N = 0, N_lo = 0, N_hi = 0;
  double D = 0, D_lo = 0, D_hi = 0;
  double tokens_per_param = 0;
  double loss = 0, loss_lo = 0, loss_hi = 0;
  bool has_ci = false;
};

// ---- probes of the scaling hypothesis ---------------------------------------------------

struct ProbeAxis {
  std::string label;
  bool log = false;               // log10 axis
  bool counts = false;            // tick labels with SI suffixes (N, D)
  double min = kNaN, max = kNaN;  // fixed range; NaN: from the data
};

// One line and/or set of markers. Colour: `color` when set, else viridis on a log scale
// of `color_value` over the figure's colour values (with a colour bar), else the next
// colour of a categorical palette.
struct ProbeSeries {
  std::string label;
  std::vector<double> x, y;       // same length; NaN points are dropped when drawn
  std::string color;              // "#rrggbb" or empty
  double color_value = kNaN;      // > 0, e.g. N; NaN: none
  bool line = true;
  Marker marker = Marker::Circle;
  Dash dash = Dash::Solid;
};

// A horizontal reference line, e.g. an n-gram baseline's loss.
struct ProbeHLine {
  double y = 0;
  std::string label;
  std::string color;              // "#rrggbb" or empty (grey)
  Dash dash = Dash::Dotted;
};

struct ProbeFigure {
  std::string id;                 // the probe's name for it, e.g. "emergence-metrics"
  std::string title;
  ProbeAxis x, y;
  std::vector<ProbeSeries> series;
  std::vector<ProbeHLine> hlines;
  std::string colorbar;           // label of the colour bar of color_value; empty: none
  std::string sentence;           // what the data in this plot shows (measured by the probe)
};

struct ProbeTable {
  std::string title;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // each as long as `columns`; cells are text
};

struct ProbeSection {
  std::string probe;              // "emergence", "icl", "ngram", "ensemble", ...
  std::string title;              // "Emergence and its metrics"
  std::string experiment;         // the experiment the probe ran in
  std::vector<ProbeFigure> figures;
  std::vector<ProbeTable> tables;
  std::string unavailable;        // non-empty: the stored result could not be read (why)
};

struct ReportData {
  std::string title;          // "scalelab: demo"
  std::string experiment;
  std::string description;    // the spec's description, a paragraph
  std::vector<std::string> story;  // a few sentences of findings, shown first
  std::string flops_convention = "6ND";

  std::vector<RunCurve> curves;   // training curves, coloured by N
  std::vector<RunPoint> points;   // finished runs

  // Loss against compute: fitted law along each ladder size (label "N = 25k") and the
  // compute-optimal frontier of the fit (label "compute-optimal frontier").
  std::vector<Line> law_by_size;
  Line frontier;

  std::vector<IsoFlopPanel> isoflop;          // empty when the design has no IsoFLOP budgets
  std::vector<FitSummary> fits;               // approach 3 first
  std::vector<ForecastRow> forecasts;         // held-out runs
  std::vector<CalibrationRow> calibration;    // every held-out forecast in the store, every experiment
  std::vector<AllocationRow> allocation;      // a few budgets
  // Compute-optimal tokens per parameter with its interval (NaN when no fit).
  double tokens_per_param = 0, tokens_per_param_lo = 0, tokens_per_param_hi = 0;

  // Runs that failed, with their error, and sweep totals.
  std::vector<std::pair<std::string, std::string>> failed_runs;
  // Provenance rows, in order: scalelab commit, host, store path, spec hash, started, ended, ...
  std::vector<std::pair<std::string, std::string>> provenance;
  std::string spec_text;      // shown in a collapsed <details>

  // Every probe result in the store (of every experiment, not only this one), in the
  // order emergence, icl, ngram, ensemble, then any other; empty: no such section.
  std::vector<ProbeSection> probes;
};

}  // namespace scalelab::report
