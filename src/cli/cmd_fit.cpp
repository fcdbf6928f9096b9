// `scalelab fit DATA --law L [--approach 1|2|3] [--bootstrap K] [--json OUT] ...`
// Reads observations (fit/observations_io.h), fits a scaling law by approach 3
// (fit/approach3.h) or the allocation power laws by approaches 1 and 2
// (fit/approach1.h, fit/approach2.h), prints a table and optionally writes the FitResult
// JSON atomically.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "cli/command.h"
#include "core/error.h"
#include "core/json.h"
#include "fit/approach1.h"
#include "fit/approach2.h"
#include "fit/approach3.h"
#include "fit/observations_io.h"

namespace scalelab::cli {
namespace {

struct FitCliOptions {
  std::string data;
  std::string law = "chinchilla";
  int approach = 3;
  std::string json_out;
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

void run_fit(FitCliOptions& o) {
  SL_REQUIRE(o.approach >= 1 && o.approach <= 3, "--approach: {} is not 1, 2 or 3", o.approach);
  o.fit.validate();
  fit::Observations obs = fit::read_observations(o.data, o.read);
  fit::FitResult r;
  if (o.approach == 3) {
    auto law = fit::make_law(o.law, o.law_options);
    r = fit::fit_parametric(*law, obs, o.fit);
  } else if (o.approach == 1) {
    r = fit::fit_approach1(obs, o.fit, o.a1);
  } else {
    r = fit::fit_approach2(obs, o.fit, o.a2);
  }
  print_fit(r, o);
  if (!o.json_out.empty()) {
    write_json_atomic(o.json_out, r.to_json());
    fmt::print("wrote {}\n", o.json_out);
  }
}

void setup_fit(CLI::App& app) {
  auto* cmd = app.add_subcommand("fit", "Fit a scaling law (or approach 1/2 allocation laws) to observations");
  auto o = std::make_shared<FitCliOptions>();
  cmd->option_defaults()->always_capture_default();  // --help shows each option's default
  cmd->add_option("data", o->data, "CSV (header row) or JSONL (.jsonl) of observations")->required();
  cmd->add_option("--law", o->law, "chinchilla | kaplan | power | data-constrained | bnsl (approach 3)");
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
