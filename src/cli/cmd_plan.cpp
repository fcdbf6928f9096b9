// scalelab plan: print every run an experiment spec asks for (N, D, C, estimated time from
// a throughput probe of each shape), the totals, the compute WSD reuse saves, and warnings
// about runs that repeat the data too often, and the design check: how well the ladder will
// determine the law and the held-out forecasts (sweep/design_table.h). Trains nothing and
// writes nothing.
//
//   scalelab plan ladder.toml --workers 2 [--noise 0.01]
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/sweep_common.h"
#include "core/error.h"
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
};

void run_plan(const PlanArgs& a) {
  const auto [workers, threads] = resolve_workers(a.workers, a.threads);
  const sweep::Plan plan =
      sweep::make_plan(sweep::load_spec(a.spec), {.workers = workers, .threads = threads, .probe = !a.no_probe});
  SL_REQUIRE(a.noise > 0 && a.noise < 1, "--noise: expected a fraction of the loss in (0, 1), got {}", a.noise);
  fmt::print("{}", sweep::format_plan(plan));
  fmt::print("\n{}", sweep::format_design_check(plan, a.noise));
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
  cmd->callback([a] { run_plan(*a); });
}

}  // namespace

SCALELAB_COMMAND(plan, setup_plan);

}  // namespace scalelab::cli
