// scalelab worker: train runs of plans recorded in a run store, as one of many workers.
//
//   scalelab sweep ladder.toml --store /shared/lab/store.sqlite --no-train   # once
//   scalelab worker --store /shared/lab/store.sqlite                         # on each host
//
// A worker reads each run's resolved config and planner facts from the store (no spec
// file, no --set: it trains exactly what the sweep planned), claims what is ready, trains
// it next to the store (<store's directory>/runs/<experiment>/<run>), and leaves when it
// can claim nothing more. Workers that share a store never train a run twice; a run whose
// worker died is taken over and resumed from its checkpoint; the worker that ends the
// ladder fits the laws and saves each held-out forecast before the held-out runs train.
#include <memory>

#include "cli/command.h"
#include "cli/sweep_common.h"

namespace scalelab::cli {

namespace {

void setup_worker(CLI::App& app) {
  auto* cmd = app.add_subcommand("worker", "Train the runs a sweep recorded in a run store (one of many workers)");
  auto o = std::make_shared<WorkerCliOptions>();
  cmd->add_option("--store", o->store, "run store holding the recorded plan: a SQLite file or a postgresql:// URL")
      ->required();
  cmd->add_option("--runs-dir", o->runs_dir,
                  "run directories go here (default: next to a SQLite store; ./runs for a PostgreSQL one)");
  cmd->add_option("--experiment", o->experiment, "train this experiment only (default: every one with runs left)");
  cmd->add_option("--workers", o->workers, "runs trained at once by this process")->capture_default_str();
  cmd->add_option("--bootstrap", o->bootstrap, "bootstrap resamples for the stored fits' CIs")->capture_default_str();
  cmd->callback([o] { run_worker_command(*o); });
}

}  // namespace

SCALELAB_COMMAND(worker, setup_worker);

}  // namespace scalelab::cli
