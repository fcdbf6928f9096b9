// `scalelab forecast --fit FIT.json (--N N --D D | --C C) [--U U] [--json OUT]`
// Loss at (N, D), or the compute-optimal point and its loss at budget C, each with the
// bootstrap CI of the fit (fit/forecast.h).
// `scalelab forecast --fit CURVE_FIT.json --schedule "wsd:steps=4096,lr=3e-3,warmup=20"`
// The loss curve of a run under that schedule from an annealing-law fit of other runs of
// the same model (fit/schedule_law.h): CSV step,lr,loss on stdout, then the final loss.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "core/error.h"
#include "core/json.h"
#include "core/training_compute.h"
#include "fit/forecast.h"
#include "fit/schedule_law.h"
#include "train/schedule.h"

namespace scalelab::cli {
namespace {

struct ForecastCliOptions {
  std::string fit_path;
  double N = 0, D = 0, C = 0, U = 0;
  std::string json_out;
  std::string schedule;  // a learning-rate schedule (train/schedule.h: parse_schedule)
  int64_t every = 0;     // --schedule: print every k-th step (0: about 50 rows)
};

// The predicted curve under a schedule, from an annealing-law fit.
void run_schedule_forecast(const ForecastCliOptions& o) {
  const ScheduleConfig cfg = parse_schedule(o.schedule, "--schedule");
  const fit::AnnealingFit f = fit::AnnealingFit::from_json(read_json_file(o.fit_path), o.fit_path);
  const LrSchedule sched(cfg);
  std::vector<double> lr(static_cast<size_t>(cfg.total_steps));
  for (int64_t s = 0; s < cfg.total_steps; ++s) lr[static_cast<size_t>(s)] = sched.lr(s);
  const std::vector<double> loss = fit::predict_annealing_curve(f, lr);
  SL_REQUIRE(o.every >= 0, "--every: expected a step count >= 1, got {}", o.every);
  const int64_t every = o.every > 0 ? o.every : std::max<int64_t>(1, cfg.total_steps / 50);
  fmt::print("step,lr,loss\n");
  for (int64_t s = every; s <= cfg.total_steps; s += every)
    fmt::print("{},{:.6g},{:.6g}\n", s, lr[static_cast<size_t>(s - 1)], loss[static_cast<size_t>(s - 1)]);
  if (cfg.total_steps % every != 0)
    fmt::print("{},{:.6g},{:.6g}\n", cfg.total_steps, lr.back(), loss.back());
  fmt::print(stderr, "forecast: final loss {:.6g} after {} steps of {} ({})\n", loss.back(), cfg.total_steps,
             o.schedule, o.fit_path);
  if (!o.json_out.empty()) {
    Json j = {{"fit", o.fit_path}, {"law", "annealing"}, {"schedule", o.schedule}, {"final_loss", loss.back()}};
    Json steps = Json::array(), values = Json::array();
    for (int64_t s = every; s <= cfg.total_steps; s += every)
      steps.push_back(s), values.push_back(loss[static_cast<size_t>(s - 1)]);
    j["steps"] = steps;
    j["loss"] = values;
    write_json_atomic(o.json_out, j);
  }
}

void run_forecast(const ForecastCliOptions& o, bool has_N, bool has_D, bool has_C) {
  if (!o.schedule.empty()) {
    SL_REQUIRE(!has_N && !has_D && !has_C, "--schedule: forecasts a training curve; leave out --N, --D and --C");
    return run_schedule_forecast(o);
  }
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
  cmd->add_option("--schedule", o->schedule,
                  "with an annealing-law fit: the loss curve under KIND:steps=S,lr=LR[,warmup=W,floor=F,cooldown=K,"
                  "shape=SH], KIND cosine, wsd or constant");
  cmd->add_option("--every", o->every, "--schedule: print every k-th step (default: about 50 rows)");
  cmd->add_option("--json", o->json_out, "write the forecast as JSON (atomically)");
  cmd->callback([o, n, d, c] { run_forecast(*o, n->count() > 0, d->count() > 0, c->count() > 0); });
}

}  // namespace

SCALELAB_COMMAND(forecast, setup_forecast);

}  // namespace scalelab::cli
