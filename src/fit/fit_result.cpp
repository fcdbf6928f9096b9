// FitOptions validation and the FitResult JSON round trip (layout in fit_result.h).
#include "fit/fit_result.h"

#include "core/error.h"

#include <cmath>

namespace scalelab::fit {

std::string objective_kind_name(ObjectiveKind k) {
  return k == ObjectiveKind::kLeastSquares ? "lsq" : "huber-log";
}

ObjectiveKind parse_objective_kind(const std::string& s) {
  if (s == "huber-log") return ObjectiveKind::kHuberLog;
  if (s == "lsq") return ObjectiveKind::kLeastSquares;
  throw InputError(fmt::format("--objective: unknown objective '{}'; expected huber-log or lsq", s));
}

void FitOptions::validate() const {
  SL_REQUIRE(std::isfinite(huber_delta) && huber_delta > 0, "huber_delta: must be > 0, got {}", huber_delta);
  SL_REQUIRE(bootstrap >= 0, "bootstrap: must be >= 0 resamples, got {}", bootstrap);
  SL_REQUIRE(ci_level > 0 && ci_level < 1, "ci_level: must be in (0, 1), got {}", ci_level);
  SL_REQUIRE(threads >= 0, "threads: must be >= 0 (0 = all), got {}", threads);
  SL_REQUIRE(max_iterations > 0, "max_iterations: must be > 0, got {}", max_iterations);
  SL_REQUIRE(gradient_tolerance >= 0, "gradient_tolerance: must be >= 0, got {}", gradient_tolerance);
  SL_REQUIRE(function_tolerance >= 0, "function_tolerance: must be >= 0, got {}", function_tolerance);
  SL_REQUIRE(grid_gradient_tolerance >= 0, "grid_gradient_tolerance: must be >= 0, got {}", grid_gradient_tolerance);
  SL_REQUIRE(grid_function_tolerance >= 0, "grid_function_tolerance: must be >= 0, got {}", grid_function_tolerance);
  SL_REQUIRE(polish_starts >= 1, "polish_starts: must be >= 1, got {}", polish_starts);
  SL_REQUIRE(optimum_tolerance >= 0, "optimum_tolerance: must be >= 0, got {}", optimum_tolerance);
  SL_REQUIRE(bootstrap_extra_starts >= 0, "bootstrap_extra_starts: must be >= 0, got {}",
             bootstrap_extra_starts);
  SL_REQUIRE(max_starts >= 0, "max_starts: must be >= 0 (0 = whole grid), got {}", max_starts);
}

double FitResult::param(const std::string& name) const {
  for (size_t j = 0; j < names.size(); ++j)
    if (names[j] == name) return params[j];
  throw InputError(fmt::format("{}: no parameter named '{}'", law, name));
}

Json FitResult::to_json() const {
  Json j;
  j["law"] = law;
  j["law_options"] = law_options.to_json();
  j["formula"] = formula;
  j["approach"] = approach;
  j["names"] = names;
  Json p = Json::object();
  for (size_t k = 0; k < names.size(); ++k) p[names[k]] = params[k];
  j["params"] = p;
  Json c = Json::object();
  for (const auto& [k, v] : ci) c[k] = {v[0], v[1]};
  j["ci"] = c;
  j["se"] = se.empty() ? Json::object() : Json(se);
  j["derived"] = derived.empty() ? Json::object() : Json(derived);
  j["objective_kind"] = objective_kind_name(objective_kind);
  j["objective"] = objective;
  j["iterations"] = iterations;
  j["converged"] = converged;
  j["starts"] = starts;
  j["starts_converged"] = starts_converged;
  j["message"] = message;
  j["points"] = points;
  j["bootstrap"] = bootstrap;
  j["seed"] = seed;
  j["ci_level"] = ci_level;
  j["samples"] = samples;
  return j;
}

namespace {

const Json& field(const Json& j, const char* name) {
  SL_REQUIRE(j.contains(name), "fit JSON: missing field '{}'", name);
  return j[name];
}

double number(const Json& j, const std::string& where) {
  SL_REQUIRE(j.is_number(), "fit JSON: {}: expected a number", where);
  return j.get<double>();
}

}  // namespace

FitResult FitResult::from_json(const Json& j) {
  SL_REQUIRE(j.is_object(), "fit JSON: expected an object");
  FitResult r;
  r.approach = static_cast<int>(number(field(j, "approach"), "approach"));
  SL_REQUIRE(r.approach >= 1 && r.approach <= 3, "fit JSON: approach: {} is not 1, 2 or 3", r.approach);
  if (r.approach == 3) {
    SL_REQUIRE(field(j, "law").is_string(), "fit JSON: law: expected a string");
    r.law = j["law"].get<std::string>();
    if (j.contains("law_options")) r.law_options = LawOptions::from_json(j["law_options"]);
    auto law = make_law(r.law, r.law_options);  // InputError for an unknown law
    r.formula = law->formula();
    r.names = law->param_names();
  } else {
    // Approaches 1 and 2 fit no loss law, only the power laws N_opt = G (C/6)^a and
    // D_opt = H (C/6)^b (Hoffmann et al. 2022, sec. 3.1-3.2).
    r.names = {"G", "a", "H", "b"};
    if (j.contains("formula") && j["formula"].is_string()) r.formula = j["formula"].get<std::string>();
  }
  const Json& p = field(j, "params");
  SL_REQUIRE(p.is_object(), "fit JSON: params: expected an object of name: value");
  for (const auto& name : r.names) {
    SL_REQUIRE(p.contains(name), "fit JSON: params.{} missing (approach {}{})", name, r.approach,
               r.law.empty() ? "" : ", law " + r.law);
    r.params.push_back(number(p[name], "params." + name));
  }
  if (j.contains("ci"))
    for (const auto& [k, v] : j["ci"].items()) {
      SL_REQUIRE(v.is_array() && v.size() == 2, "fit JSON: ci.{}: expected [lo, hi]", k);
      r.ci[k] = {number(v[0], "ci." + k), number(v[1], "ci." + k)};
    }
  if (j.contains("se"))
    for (const auto& [k, v] : j["se"].items()) r.se[k] = v.is_number() ? v.get<double>() : std::nan("");
  if (j.contains("derived"))
    for (const auto& [k, v] : j["derived"].items()) r.derived[k] = number(v, "derived." + k);
  // Approaches 1 and 2 are least-squares power laws: no Huber objective, no starts.
  if (r.approach == 3 || j.contains("objective")) r.objective = number(field(j, "objective"), "objective");
  if (j.contains("points") || r.approach == 3) r.points = static_cast<int>(number(field(j, "points"), "points"));
  if (r.approach == 3 || j.contains("starts_converged"))
    r.starts_converged = static_cast<int>(number(field(j, "starts_converged"), "starts_converged"));
  if (j.contains("objective_kind")) {
    SL_REQUIRE(j["objective_kind"].is_string(), "fit JSON: objective_kind: expected a string");
    r.objective_kind = parse_objective_kind(j["objective_kind"].get<std::string>());
  }
  if (j.contains("iterations")) r.iterations = j["iterations"].get<int>();
  if (j.contains("converged")) r.converged = j["converged"].get<bool>();
  if (j.contains("starts")) r.starts = j["starts"].get<int>();
  if (j.contains("message")) r.message = j["message"].get<std::string>();
  if (j.contains("bootstrap")) r.bootstrap = j["bootstrap"].get<int>();
  if (j.contains("seed")) r.seed = j["seed"].get<uint64_t>();
  if (j.contains("ci_level")) r.ci_level = number(j["ci_level"], "ci_level");
  if (j.contains("samples")) {
    SL_REQUIRE(j["samples"].is_array(), "fit JSON: samples: expected an array of arrays");
    for (const auto& s : j["samples"]) {
      SL_REQUIRE(s.is_array() && s.size() == r.names.size(),
                 "fit JSON: samples: each draw must have {} values", r.names.size());
      std::vector<double> draw;
      for (const auto& v : s) draw.push_back(v.is_number() ? v.get<double>() : std::nan(""));
      r.samples.push_back(std::move(draw));
    }
  }
  return r;
}

double FitResult::predict(const Observation& x) const {
  return make_law(law, law_options)->predict(params, x);
}

}  // namespace scalelab::fit
