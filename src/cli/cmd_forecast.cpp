// `scalelab forecast --fit FIT.json (--N N --D D | --C C) [--U U] [--json OUT]`
// Loss at (N, D), or the compute-optimal point and its loss at budget C, each with the
// bootstrap CI of the fit (fit/forecast.h).
#include <fmt/format.h>

#include <memory>
#include <string>

#include "cli/command.h"
#include "core/error.h"
#include "core/json.h"
#include "core/training_compute.h"
#include "fit/forecast.h"

namespace scalelab::cli {
namespace {

struct ForecastCliOptions {
  std::string fit_path;
  double N = 0, D = 0, C = 0, U = 0;
  std::string json_out;
};

void run_forecast(const ForecastCliOptions& o, bool has_N, bool has_D, bool has_C) {
  SL_REQUIRE(has_C != (has_N || has_D), "forecast: give either --N and --D, or --C (a compute budget)");
  SL_REQUIRE(has_C || (has_N && has_D), "forecast: --N and --D go together (loss at N parameters, D tokens)");
  fit::FitResult f = fit::load_fit(o.fit_path);
  fit::Estimates e = has_C ? fit::forecast_at_budget(f, o.C, o.U) : fit::forecast_loss(f, o.N, o.D, o.U);
  if (has_C)
    fmt::print("forecast at budget C = {:.4g} FLOPs ({}; {})\n", o.C,
               fit::FitModel(f).compute_only() ? "law in C alone" : "compute-optimal", o.fit_path);
  else
    fmt::print("forecast at N = {:.4g}, D = {:.4g} (C = 6ND = {:.4g} FLOPs; {})\n", o.N, o.D, training_compute(o.N, o.D),
               o.fit_path);
  fmt::print("{}", fit::format_estimates(e, f.ci_level));
  if (f.samples.size() < 2) fmt::print("(no bootstrap draws in the fit: refit with --bootstrap K for CIs)\n");
  if (!o.json_out.empty()) {
    Json j = {{"fit", o.fit_path}, {"law", f.law}, {"approach", f.approach}, {"ci_level", f.ci_level}};
    if (has_C) {
      j["C"] = o.C;
    } else {
      j["N"] = o.N;
      j["D"] = o.D;
      j["C"] = training_compute(o.N, o.D);
    }
    if (o.U > 0) j["U"] = o.U;
    j["estimates"] = fit::estimates_to_json(e);
    write_json_atomic(o.json_out, j);
    fmt::print("wrote {}\n", o.json_out);
  }
}

void setup_forecast(CLI::App& app) {
  auto* cmd = app.add_subcommand("forecast", "Forecast loss at (N, D) or at a compute budget C from a fit");
  auto o = std::make_shared<ForecastCliOptions>();
  cmd->add_option("--fit", o->fit_path, "fit JSON written by `scalelab fit --json`")->required();
  auto* n = cmd->add_option("--N", o->N, "parameters");
  auto* d = cmd->add_option("--D", o->D, "training tokens");
  auto* c = cmd->add_option("--C", o->C, "compute budget in FLOPs (forecast at the compute-optimal point)");
  cmd->add_option("--U", o->U, "unique tokens (data-constrained law)");
  cmd->add_option("--json", o->json_out, "write the forecast as JSON (atomically)");
  cmd->callback([o, n, d, c] { run_forecast(*o, n->count() > 0, d->count() > 0, c->count() > 0); });
}

}  // namespace

SCALELAB_COMMAND(forecast, setup_forecast);

}  // namespace scalelab::cli
