// Reading a run directory back (run_ingest.h).
#include "sweep/run_ingest.h"

#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"

namespace scalelab::sweep {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double number_or_nan(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : kNaN;
}
}  // namespace

Json read_run_result(const std::filesystem::path& run_dir) {
  const auto path = run_dir / "summary.json";
  Json s = read_json_file(path);
  SL_REQUIRE(s.is_object() && s.value("complete", false), "{}: not the summary of a complete run", path.string());
  SL_REQUIRE(s.contains("final_val_loss") && s["final_val_loss"].is_number() &&
                 std::isfinite(s["final_val_loss"].get<double>()),
             "{}: final_val_loss: expected a finite number", path.string());
  return s;
}

std::vector<CurvePoint> read_run_curve(const std::filesystem::path& run_dir) {
  const auto path = run_dir / "metrics.jsonl";
  std::istringstream in(read_file(path));
  std::map<int64_t, CurvePoint> by_step;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    Json j;
    try {
      j = Json::parse(line);
    } catch (const Json::exception& e) {
      throw InputError(fmt::format("{}:{}: not JSON ({})", path.string(), line_no, e.what()));
    }
    SL_REQUIRE(j.contains("step") && j["step"].is_number_integer(), "{}:{}: step: expected an integer",
               path.string(), line_no);
    const int64_t step = j["step"].get<int64_t>();
    auto [it, fresh] = by_step.try_emplace(step);
    CurvePoint& p = it->second;
    if (fresh) p = {step, 0, kNaN, kNaN, kNaN};
    if (j.contains("loss")) {
      p.loss = number_or_nan(j, "loss");
      p.lr = number_or_nan(j, "lr");
      p.tokens = j.value("tokens", int64_t{0});
    }
    if (j.contains("val_loss")) p.val_loss = number_or_nan(j, "val_loss");
  }
  std::vector<CurvePoint> out;
  out.reserve(by_step.size());
  for (auto& [step, p] : by_step) out.push_back(p);
  return out;
}

}  // namespace scalelab::sweep
