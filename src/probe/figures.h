// defines: scalelab::probe::Axis, SeriesStyle, figure_json, series_json, hline_json,
//          table_json, finite_pairs
//
// Probe results carry their figures as data (the run store keeps them; the report draws
// them, report/probe_section.h): each figure is a JSON object with a title, two axes,
// series of (x, y) points, optional horizontal reference lines, and the sentence that
// says what the plotted data shows. Non-finite points are dropped here, so the JSON
// never holds a NaN.
//
//   Json f = figure_json("icl-score", "In-context-learning score", {"N (params)", true, true},
//                        {"score (nats)", false});
//   f["series"].push_back(series_json("final", Ns, scores, {.marker = "circle"}));
//   f["sentence"] = "Larger models gain more from context: ...";
#pragma once

#include <limits>
#include <span>
#include <string>
#include <vector>

#include "core/json.h"

namespace scalelab::probe {

struct Axis {
  std::string label;
  bool log = false;
  bool counts = false;  // tick labels with SI suffixes
  double min = std::numeric_limits<double>::quiet_NaN(), max = std::numeric_limits<double>::quiet_NaN();
};

struct SeriesStyle {
  std::string color;        // "#rrggbb"; empty: the report picks
  double color_value = std::numeric_limits<double>::quiet_NaN();  // coloured by N on a viridis scale
  bool line = true;
  std::string marker = "none";  // "circle" | "open" | "diamond" | "cross" | "none"
  std::string dash = "solid";   // "solid" | "dashed" | "dotted"
};

Json figure_json(const std::string& id, const std::string& title, const Axis& x, const Axis& y);
Json series_json(const std::string& label, std::span<const double> x, std::span<const double> y,
                 const SeriesStyle& style = {});
Json hline_json(double y, const std::string& label, const std::string& dash = "dotted");  // y finite
Json table_json(const std::string& title, const std::vector<std::string>& columns,
                const std::vector<std::vector<std::string>>& rows);

// Categorical colours for a handful of series (metrics, n-gram orders), colour-blind safe
// (Okabe and Ito 2008).
const std::string& category_color(size_t i);

}  // namespace scalelab::probe
