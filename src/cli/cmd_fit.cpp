// `scalelab fit DATA --law L [--approach 1|2|3] [--bootstrap K] [--json OUT] ...`
// Reads observations (fit/observations_io.h), fits a scaling law by approach 3
// (fit/approach3.h) or the allocation power laws by approaches 1 and 2
// (fit/approach1.h, fit/approach2.h), prints a table and optionally writes the FitResult
// JSON atomically. `--law annealing` instead fits a law of whole training curves under
// their learning-rate schedules (fit/schedule_law.h) to rows of (run, step, lr, loss),
// from one or more files (e.g. each run's metrics.jsonl).
//
// Rows (fit/row_filter.h): `--where COL=V[,V..]` (repeatable, AND-ed) keeps rows; of those,
// `--heldout COL=V[,V..]` rows are never fitted but forecast (fit/heldout.h); the law is
// fitted on the rest, or on the rest matching `--fit-rows`. `--error-col` adds the
// loss-to-error law (fit/error_law.h), fitted on the non-held-out rows matching
// `--error-fit-rows` (default: the loss fit's rows) and chained onto the forecasts.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "core/error.h"
#include "core/json.h"
#include "fit/approach1.h"
#include "fit/approach2.h"
#include "fit/approach3.h"
#include "fit/error_law.h"
#include "fit/heldout.h"
#include "fit/observations_io.h"
#include "fit/row_filter.h"
#include "fit/schedule_law.h"

namespace scalelab::cli {
namespace {

struct FitCliOptions {
  std::vector<std::string> data_files;  // one for a law of (N, D); one or more for --law annealing
  std::string data;                     // the one file of a law of (N, D)
  std::string law = "chinchilla";
  int approach = 3;
  std::string json_out;
  std::string objective = "huber-log";
  std::vector<std::string> where;  // --where, AND-ed
  std::string heldout, fit_rows, error_fit_rows;
  std::string lr_col;  // --law annealing: the learning-rate column
  double lambda = 0.999;  // --law annealing: momentum of the annealing area; 0: fitted
  fit::FitOptions fit;
  fit::LawOptions law_options;
  fit::ReadOptions read;
  fit::Approach1Options a1;
  fit::Approach2Options a2;
};

std::string fmt_ci(const fit::FitResult& r, const std::string& name) {
  auto it = r.ci.find(name);
  if (it == r.ci.end()) return "-";
  return fmt::format("[{:.5g}, {:.5g}]", it->second[0], it->second[1]);
}

std::string fmt_se(const fit::FitResult& r, const std::string& name) {
  auto it = r.se.find(name);
  return it == r.se.end() ? "-" : fmt::format("{:.4g}", it->second);
}

void print_fit(const fit::FitResult& r, const FitCliOptions& o) {
  std::string title = r.approach == 3 ? fmt::format("law {} (approach 3)", r.law)
                                      : fmt::format("approach {} ({})", r.approach,
                                                    r.approach == 1 ? "envelope of training curves" : "IsoFLOP profiles");
  fmt::print("fit: {}  {}\n", title, r.formula);
  fmt::print("data: {} | points {} | objective {:.6g} | starts converged {}/{} | converged {} | iterations {}\n",
             o.data, r.points, r.objective, r.starts_converged, r.starts, r.converged ? "yes" : "no", r.iterations);
  if (r.bootstrap > 0)
    fmt::print("bootstrap: {} draws requested, {} usable, seed {}, {:.0f}% percentile CI\n", r.bootstrap,
               r.samples.size(), r.seed, 100 * r.ci_level);
  const std::string ci_head = fmt::format("{:.0f}% CI", 100 * r.ci_level);
  fmt::print("\n  {:<22} {:>13}  {:>29}  {:>11}\n", "param", "value", ci_head, "se");
  for (size_t i = 0; i < r.names.size(); ++i)
    fmt::print("  {:<22} {:>13.6g}  {:>29}  {:>11}\n", r.names[i], r.params[i], fmt_ci(r, r.names[i]),
               fmt_se(r, r.names[i]));
  if (!r.derived.empty()) {
    fmt::print("\n  {:<22} {:>13}  {:>29}  {:>11}\n", "derived", "value", ci_head, "se");
    for (const auto& [k, v] : r.derived) fmt::print("  {:<22} {:>13.6g}  {:>29}  {:>11}\n", k, v, fmt_ci(r, k), fmt_se(r, k));
  }
  fmt::print("\nmessage: {}\n", r.message);
}

// The rows each part of the fit uses, read from o.data through the row filters.
struct FitRows {
  fit::Observations fit, heldout, error_fit;
};

std::string describe(const fit::RowFilters& where) {
  std::string s;
  for (const auto& f : where) s += (s.empty() ? "" : " ") + f.describe();
  return s;
}

// " (of --where a=b --where c=d)", or nothing without --where.
std::string where_clause(const fit::RowFilters& where) { return where.empty() ? "" : " (of " + describe(where) + ")"; }

FitRows select_rows(const FitCliOptions& o) {
  fit::RowFilters where;
  for (const auto& w : o.where) where.push_back(fit::RowFilter::parse(w, "--where"));
  fit::ReadOptions base = o.read;
  base.where = where;
  FitRows rows;
  const bool split = !o.heldout.empty() || !o.fit_rows.empty() || !o.read.cols.error.empty();
  if (!split) {
    rows.fit = fit::read_observations(o.data, base);
    return rows;
  }
  // Every selection is read with allow_empty so that the option that selected nothing is named.
  auto read = [&](const fit::RowFilters& extra, bool drop) {
    fit::ReadOptions r = base;
    r.where.insert(r.where.end(), extra.begin(), extra.end());
    r.allow_empty = true;
    if (!drop) r.drop_top_loss = 0;
    return fit::read_observations(o.data, r);
  };
  const size_t total = read({}, false).size();
  SL_REQUIRE(total > 0, "{}: selects no rows of {}", where.empty() ? "--min-N/--max-N" : describe(where), o.data);
  fit::RowFilters rest;  // the rows not held out
  if (!o.heldout.empty()) {
    fit::RowFilter h = fit::RowFilter::parse(o.heldout, "--heldout");
    rows.heldout = read({h}, false);
    SL_REQUIRE(!rows.heldout.empty(), "{}: selects none of the {} rows{}; expected at least one row to forecast",
               h.describe(), total, where_clause(where));
    SL_REQUIRE(rows.heldout.size() < total,
               "{}: selects every one of the {} rows{}; expected some rows left to fit the law on", h.describe(),
               total, where_clause(where));
    rest.push_back(h.negated());
  }
  auto subset = [&](const std::string& spec, const char* option) {
    fit::RowFilters f = rest;
    if (!spec.empty()) f.push_back(fit::RowFilter::parse(spec, option));
    fit::Observations obs = read(f, true);
    SL_REQUIRE(!obs.empty(), "{} {}: selects no rows{} outside --heldout; expected the rows to fit", option, spec,
               where_clause(where));
    return obs;
  };
  rows.fit = subset(o.fit_rows, "--fit-rows");
  if (!o.read.cols.error.empty())
    rows.error_fit = o.error_fit_rows.empty() ? rows.fit : subset(o.error_fit_rows, "--error-fit-rows");
  return rows;
}

// --law annealing: a law of whole training curves (fit/schedule_law.h), read as rows of
// (run, step, lr, loss), e.g. a trainer's metrics.jsonl.
void run_curve_fit(const FitCliOptions& o) {
  SL_REQUIRE(o.where.empty() && o.heldout.empty() && o.read.cols.error.empty(),
             "--law annealing fits whole training curves; --where, --heldout and --error-col are for laws of (N, D)");
  fit::CurveColumns cols;
  if (!o.read.cols.run.empty()) cols.run = o.read.cols.run;
  if (!o.read.cols.step.empty()) cols.step = o.read.cols.step;
  if (o.read.cols.loss != "loss") cols.loss = o.read.cols.loss;
  if (!o.lr_col.empty()) cols.lr = o.lr_col;
  // Several files, e.g. one metrics.jsonl per run: a file without a run column is one run
  // named by its path. A run name may come from one file only.
  std::vector<fit::ScheduleCurve> curves;
  std::map<std::string, std::string> file_of_run;
  for (const std::string& file : o.data_files) {
    for (fit::ScheduleCurve& c : fit::read_schedule_curves(file, cols)) {
      const auto [it, fresh] = file_of_run.emplace(c.run, file);
      SL_REQUIRE(fresh, "{}: run \"{}\" is in {} too; give each run its own name", file, c.run, it->second);
      curves.push_back(std::move(c));
    }
  }
  const fit::AnnealingFit f = fit::fit_annealing_law(curves, {.lambda = o.lambda});
  fmt::print("law annealing (Tissue et al. 2024): L(s) = L0 + A*S1(s)^-alpha - C*S2(s), S1 the summed learning rate, "
             "S2 the annealing area (momentum lambda = {:g})\n",
             f.lambda);
  fmt::print("  {} run(s), {} points (the first 5% of each run left out), rmse {:.4g}\n", curves.size(), f.points, f.rmse);
  fmt::print("  L0 {:.6g}  A {:.6g}  alpha {:.6g}  C {:.6g}\n", f.L0, f.A, f.alpha, f.C);
  if (f.at_search_edge())
    fmt::print("warning: alpha sits at the edge of its search range: these curves do not determine the law (too "
               "noisy, too short, or not a power law in the summed learning rate)\n");
  for (const fit::ScheduleCurve& c : curves) {
    const double last = fit::predict_annealing_curve(f, c.lr).back();
    fmt::print("  {}: {} steps, last logged loss {:.5g}, the law at its last step {:.5g}\n", c.run, c.lr.size(),
               c.loss.back(), last);
  }
  if (!o.json_out.empty()) {
    write_json_atomic(o.json_out, f.to_json());
    fmt::print("wrote {}\n", o.json_out);
  }
}

void run_fit(FitCliOptions& o) {
  if (o.law == "annealing") return run_curve_fit(o);
  SL_REQUIRE(o.data_files.size() == 1, "--law {}: fits one file of observations, got {} files", o.law,
             o.data_files.size());
  o.data = o.data_files.front();
  SL_REQUIRE(o.approach >= 1 && o.approach <= 3, "--approach: {} is not 1, 2 or 3", o.approach);
  o.fit.objective = fit::parse_objective_kind(o.objective);
  o.fit.validate();
  SL_REQUIRE(o.approach == 3 || (o.heldout.empty() && o.read.cols.error.empty()),
             "--heldout and --error-col need a loss law (--approach 3), not approach {}", o.approach);
  SL_REQUIRE(!o.read.cols.error.empty() || o.error_fit_rows.empty(), "--error-fit-rows: needs --error-col");
  FitRows rows = select_rows(o);
  fit::FitResult r;
  if (o.approach == 3) {
    auto law = fit::make_law(o.law, o.law_options);
    r = fit::fit_parametric(*law, rows.fit, o.fit);
  } else if (o.approach == 1) {
    r = fit::fit_approach1(rows.fit, o.fit, o.a1);
  } else {
    r = fit::fit_approach2(rows.fit, o.fit, o.a2);
  }
  std::optional<fit::ErrorLawFit> err;
  if (!o.read.cols.error.empty()) err = fit::fit_error_law(rows.error_fit, o.fit);
  auto heldout = fit::forecast_heldout(r, rows.heldout, err ? &*err : nullptr);

  print_fit(r, o);
  if (err) {
    fmt::print("\nerror law ({} rows of \"{}\"): {}\n", err->points, o.read.cols.error, fit::ErrorLawFit::formula());
    fmt::print("  epsilon {:.6g}  k {:.6g}  gamma {:.6g}  objective {:.4g}  starts converged {}/{}\n", err->epsilon,
               err->k, err->gamma, err->objective, err->starts_converged, err->starts);
  }
  if (!heldout.empty()) {
    fmt::print("\nheld-out rows ({}, not fitted), forecast by the fit{}:\n", heldout.size(),
               err ? " and the error law" : "");
    fmt::print("{}", fit::format_heldout(heldout, r.ci_level));
  }
  if (!o.json_out.empty()) {
    Json j = r.to_json();
    if (err) j["error_law"] = err->to_json();
    if (!o.heldout.empty()) j["heldout"] = fit::heldout_to_json(heldout);
    write_json_atomic(o.json_out, j);
    fmt::print("wrote {}\n", o.json_out);
  }
}

void setup_fit(CLI::App& app) {
  auto* cmd = app.add_subcommand("fit", "Fit a scaling law (or approach 1/2 allocation laws) to observations");
  auto o = std::make_shared<FitCliOptions>();
  cmd->option_defaults()->always_capture_default();  // --help shows each option's default
  cmd->add_option("data", o->data_files,
                  "CSV (header row) or JSONL (.jsonl) of observations; --law annealing: one or more files of "
                  "curves, e.g. each run's metrics.jsonl")
      ->required();
  cmd->add_option("--law", o->law,
                  "chinchilla | kaplan | power | data-constrained | bnsl | overtrain (approach 3); annealing: whole "
                  "training curves under their learning-rate schedule (rows run, step, lr, loss)");
  cmd->add_option("--lr-col", o->lr_col, "--law annealing: column of the learning rate (default lr)");
  cmd->add_option("--lambda", o->lambda,
                  "--law annealing: momentum of the annealing area (Tissue et al. 2024: 0.999); 0 fits it too");
  cmd->add_option("--objective", o->objective,
                  "huber-log: summed Huber of log-loss residuals (Hoffmann et al. 2022); lsq: least squares on raw "
                  "loss (Gadre et al. 2024)");
  cmd->add_option("--where", o->where, "keep rows whose COL is one of the values: COL=V[,V..]; repeatable, AND-ed");
  cmd->add_option("--heldout", o->heldout, "rows COL=V[,V..] forecast, never fitted (with their actual loss)");
  cmd->add_option("--fit-rows", o->fit_rows, "fit the law only on the non-held-out rows COL=V[,V..] (default all)");
  cmd->add_option("--error-col", o->read.cols.error,
                  "column of a downstream error: fit Err(L) = epsilon - k exp(-gamma L) and chain it");
  cmd->add_option("--error-fit-rows", o->error_fit_rows,
                  "fit the error law on the non-held-out rows COL=V[,V..] (default: the --fit-rows rows)");
  cmd->add_option("--name-col", o->read.cols.name, "column naming each row (held-out table and JSON)");
  cmd->add_option("--approach", o->approach,
                  "1: envelope of training curves, 2: IsoFLOP profiles, 3: parametric (Hoffmann et al. 2022)");
  cmd->add_option("--bootstrap", o->fit.bootstrap, "bootstrap resamples for CIs and SEs (0 = none)");
  cmd->add_option("--seed", o->fit.seed, "bootstrap seed");
  cmd->add_option("--ci-level", o->fit.ci_level, "two-sided percentile CI level");
  cmd->add_option("--json", o->json_out, "write the fit as JSON (atomically)");
  cmd->add_option("--huber-delta", o->fit.huber_delta, "Huber threshold on log-loss residuals");
  cmd->add_option("--threads", o->fit.threads, "threads (0 = all)");
  cmd->add_option("--max-starts", o->fit.max_starts, "use at most this many grid starts (0 = whole grid)");
  cmd->add_option("--variable", o->law_options.variable, "variable of power/bnsl (N|D|C) or kaplan (N|D|ND)");
  cmd->add_option("--breaks", o->law_options.breaks, "bnsl: number of breaks (1|2)");
  cmd->add_option("--n-col", o->read.cols.N, "column of parameters N");
  cmd->add_option("--d-col", o->read.cols.D, "column of tokens D (default D; else C/(6N))");
  cmd->add_option("--c-col", o->read.cols.C, "column of compute C in FLOPs (default C; else 6ND)");
  cmd->add_option("--loss-col", o->read.cols.loss, "column of loss (nats/token)");
  cmd->add_option("--run-col", o->read.cols.run, "column of run ids (default run)");
  cmd->add_option("--step-col", o->read.cols.step, "column of steps (default step)");
  cmd->add_option("--u-col", o->read.cols.U, "column of unique tokens U (default U)");
  cmd->add_option("--drop-top-loss", o->read.drop_top_loss, "drop the K highest-loss points (Epoch drops 5)");
  cmd->add_option("--min-N", o->read.min_N, "keep points with N >= this");
  cmd->add_option("--max-N", o->read.max_N, "keep points with N <= this");
  cmd->add_option("--grid", o->a1.grid, "approach 1: log-spaced budgets on the envelope");
  cmd->add_option("--budget-tolerance", o->a2.tolerance, "approach 2: relative width of a budget bin");
  cmd->callback([o] { run_fit(*o); });
}

}  // namespace

SCALELAB_COMMAND(fit, setup_fit);

}  // namespace scalelab::cli
