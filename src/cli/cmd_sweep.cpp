// scalelab sweep: train every run of an experiment spec into a run store.
//
//   scalelab sweep ladder.toml --workers 2 --store lab/store.sqlite
//
// Finished runs are skipped, interrupted ones resumed from their checkpoints, failed ones
// recorded (--retry-failed trains them again); two sweeps on one store never train the
// same run twice. Ctrl-C stops cleanly (exit 130); the same command continues.
// --no-train only records the plan in the store, for `scalelab worker` processes.
// On a cluster: --executor slurm --store postgresql://... records the plan in the shared
// store and submits one job array of `scalelab worker` tasks (--wait follows it).
//
//   scalelab sweep ladder.toml --executor slurm --store postgresql://lab@db/ladders --workers 8 --wait
#include <memory>

#include "cli/command.h"
#include "cli/sweep_common.h"
#include "sweep/spec.h"

namespace scalelab::cli {

namespace {

struct SweepArgs {
  std::string spec;
  SweepCliOptions o;
};

void setup_sweep(CLI::App& app) {
  auto* cmd = app.add_subcommand("sweep", "Train every run of an experiment spec, recorded in a run store");
  auto a = std::make_shared<SweepArgs>();
  cmd->add_option("spec", a->spec, "experiment spec (TOML)")->required();
  add_sweep_options(cmd, a->o, "scalelab.sqlite");
  cmd->add_flag("--no-train", a->o.no_train,
                "record the plan in the store and stop: `scalelab worker` processes (on any host) train it");
  add_slurm_options(cmd, a->o);
  cmd->callback([a] { run_sweep_command(sweep::load_spec(a->spec), a->o); });
}

}  // namespace

SCALELAB_COMMAND(sweep, setup_sweep);

}  // namespace scalelab::cli
