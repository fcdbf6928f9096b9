// scalelab plan: print every run an experiment spec asks for (N, D, C, estimated time from
// a throughput probe of each shape), the totals, the compute WSD reuse saves, and warnings
// about runs that repeat the data too often, and the design check: how well the ladder will
// determine the law and the held-out forecasts (sweep/design_table.h). Trains nothing and
// writes nothing.
//
//   scalelab plan ladder.toml --workers 2 [--noise 0.01] [--prior earlier_fit.json]
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/sweep_common.h"
#include "core/error.h"
#include "fit/forecast.h"
#include "sweep/design_table.h"
#include "sweep/plan_table.h"
#include "sweep/planner.h"
#include "sweep/spec.h"

namespace scalelab::cli {

namespace {

struct PlanArgs {
  std::string spec;
  int workers = 0, threads = 0;
  bool no_probe = false;
  double noise = 0.01;
  std::string prior;  // a fit JSON whose law is the design check's world
};

void run_plan(const PlanArgs& a) {
  std::optional<fit::FitResult> prior;
  if (!a.prior.empty()) prior = fit::load_fit(a.prior);  // InputError naming the file, before any output
  SL_REQUIRE(a.noise > 0 && a.noise < 1, "--noise: expected a fraction of the loss in (0, 1), got {}", a.noise);
  const auto [workers, threads] = resolve_workers(a.workers, a.threads);
  const sweep::Plan plan =
      sweep::make_plan(sweep::load_spec(a.spec), {.workers = workers, .threads = threads, .probe = !a.no_probe});
  const std::string design = sweep::format_design_check(plan, a.noise, prior ? &*prior : nullptr);  // may refuse --prior
  fmt::print("{}\n{}", sweep::format_plan(plan), design);
}

void setup_plan(CLI::App& app) {
  auto* cmd = app.add_subcommand("plan", "Print the runs of an experiment spec with estimated times");
  auto a = std::make_shared<PlanArgs>();
  cmd->add_option("spec", a->spec, "experiment spec (TOML)")->required();
  cmd->add_option("--workers", a->workers, "runs trained at once (default: one per core)");
  cmd->add_option("--threads", a->threads, "CPU threads in all (default: every core)");
  cmd->add_flag("--no-probe", a->no_probe, "estimate times without timing each shape");
  cmd->add_option("--noise", a->noise,
                  "design check: spread of the final losses around the law, as a fraction of the loss")
      ->capture_default_str();
  cmd->add_option("--prior", a->prior,
                  "design check: a Chinchilla fit (scalelab fit --json, or an earlier ladder's) as the world to judge "
                  "the design in (default: the usual shape scaled to the ladder)");
  cmd->callback([a] { run_plan(*a); });
}

}  // namespace

SCALELAB_COMMAND(plan, setup_plan);

}  // namespace scalelab::cli
