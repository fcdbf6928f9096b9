#include "probe/figures.h"

#include <array>
#include <cmath>

#include "core/error.h"

namespace scalelab::probe {

namespace {

Json axis_json(const Axis& a) {
  Json j = {{"label", a.label}, {"log", a.log}, {"counts", a.counts}};
  if (std::isfinite(a.min)) j["min"] = a.min;
  if (std::isfinite(a.max)) j["max"] = a.max;
  return j;
}

}  // namespace

Json figure_json(const std::string& id, const std::string& title, const Axis& x, const Axis& y) {
  return {{"id", id},         {"title", title},           {"x", axis_json(x)},
          {"y", axis_json(y)}, {"series", Json::array()}, {"hlines", Json::array()},
          {"sentence", ""}};
}

Json series_json(const std::string& label, std::span<const double> x, std::span<const double> y,
                 const SeriesStyle& style) {
  SL_ASSERT(x.size() == y.size());
  Json xs = Json::array(), ys = Json::array();
  for (size_t i = 0; i < x.size(); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) {
      xs.push_back(x[i]);
      ys.push_back(y[i]);
    }
  Json j = {{"label", label}, {"x", xs}, {"y", ys}, {"line", style.line}, {"marker", style.marker},
            {"dash", style.dash}};
  if (!style.color.empty()) j["color"] = style.color;
  if (std::isfinite(style.color_value)) j["color_value"] = style.color_value;
  return j;
}

Json hline_json(double y, const std::string& label, const std::string& dash) {
  SL_ASSERT(std::isfinite(y));
  return {{"y", y}, {"label", label}, {"dash", dash}};
}

Json table_json(const std::string& title, const std::vector<std::string>& columns,
                const std::vector<std::vector<std::string>>& rows) {
  return {{"title", title}, {"columns", columns}, {"rows", rows}};
}

const std::string& category_color(size_t i) {
  static const std::array<std::string, 7> colors = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                    "#E69F00", "#56B4E9", "#000000"};
  return colors[i % colors.size()];
}

}  // namespace scalelab::probe
