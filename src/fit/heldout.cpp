// Held-out rows forecast by a fit (and an error law), their JSON and table (see heldout.h).
#include "fit/heldout.h"

#include <fmt/format.h>

#include <cmath>

namespace scalelab::fit {

std::vector<HeldoutForecast> forecast_heldout(const FitResult& fit, const Observations& rows,
                                              const ErrorLawFit* error_law) {
  std::vector<HeldoutForecast> out;
  for (const Observation& o : rows) {
    HeldoutForecast h;
    h.row = o;
    h.loss = forecast_loss(fit, o.N, o.D, o.U)[0];
    h.rel_error = std::fabs(h.loss.value - o.loss) / o.loss;
    if (error_law) {
      h.has_error = true;
      h.predicted_error = error_law->predict(h.loss.value);
      h.error_lo = h.loss.has_ci ? error_law->predict(h.loss.lo) : h.predicted_error;
      h.error_hi = h.loss.has_ci ? error_law->predict(h.loss.hi) : h.predicted_error;
      h.error_rel_error = std::fabs(h.predicted_error - o.error) / o.error;  // NaN when o.error is
    }
    out.push_back(std::move(h));
  }
  return out;
}

namespace {

Json num(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

std::string row_label(const Observation& o) { return o.name.empty() ? fmt::format("row {}", o.row) : o.name; }

}  // namespace

Json heldout_to_json(const std::vector<HeldoutForecast>& hs) {
  Json a = Json::array();
  for (const auto& h : hs) {
    Json j;
    j["row"] = h.row.name.empty() ? Json(h.row.row) : Json(h.row.name);
    j["N"] = h.row.N;
    j["D"] = h.row.D;
    j["predicted"] = num(h.loss.value);
    j["lo"] = h.loss.has_ci ? num(h.loss.lo) : Json(nullptr);
    j["hi"] = h.loss.has_ci ? num(h.loss.hi) : Json(nullptr);
    j["actual"] = h.row.loss;
    j["rel_error"] = num(h.rel_error);
    if (h.has_error) {
      j["predicted_error"] = num(h.predicted_error);
      j["error_lo"] = h.loss.has_ci ? num(h.error_lo) : Json(nullptr);
      j["error_hi"] = h.loss.has_ci ? num(h.error_hi) : Json(nullptr);
      j["actual_error"] = num(h.row.error);
      j["error_rel_error"] = num(h.error_rel_error);
    }
    a.push_back(std::move(j));
  }
  return a;
}

std::string format_heldout(const std::vector<HeldoutForecast>& hs, double ci_level) {
  const bool err = !hs.empty() && hs.front().has_error;
  const std::string ci = fmt::format("{:.0f}% CI", 100 * ci_level);
  std::string out = fmt::format("  {:<34} {:>10} {:>10} {:>10} {:>21} {:>9} {:>9}", "row", "N", "D", "predicted", ci,
                                "actual", "rel_err");
  if (err) out += fmt::format(" {:>10} {:>10} {:>9}", "pred_error", "act_error", "rel_err");
  out += "\n";
  for (const auto& h : hs) {
    std::string c = h.loss.has_ci ? fmt::format("[{:.4f}, {:.4f}]", h.loss.lo, h.loss.hi) : "-";
    out += fmt::format("  {:<34} {:>10.4g} {:>10.4g} {:>10.4f} {:>21} {:>9.4f} {:>8.2f}%", row_label(h.row), h.row.N,
                       h.row.D, h.loss.value, c, h.row.loss, 100 * h.rel_error);
    if (err)
      out += fmt::format(" {:>10.4f} {:>10.4f} {:>8.2f}%", h.predicted_error, h.row.error, 100 * h.error_rel_error);
    out += "\n";
  }
  return out;
}

}  // namespace scalelab::fit
