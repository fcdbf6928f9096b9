// scalelab runs: list the runs in a store, one line each (status, N, D, final loss, time,
// attempts, error).
//
//   scalelab runs --store lab/store.sqlite [EXPERIMENT]
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "core/progress.h"
#include "sweep/run_store.h"

namespace scalelab::cli {

namespace {

struct RunsArgs {
  std::string store = "scalelab.sqlite";
  std::string experiment;
};

void run_runs(const RunsArgs& a) {
  const sweep::RunStore store(a.store, sweep::StoreMode::read_only);
  std::vector<sweep::RunRecord> runs;
  if (a.experiment.empty()) {
    runs = store.all_runs();
  } else {
    runs = store.runs(store.experiment(a.experiment).id);
  }
  fmt::print("{:<12} {:<26} {:<8} {:>10} {:>10} {:>9} {:>8} {:>4}  {}\n", "experiment", "run", "status", "N", "D",
             "val_loss", "wall", "try", "note");
  for (const sweep::RunRecord& r : runs) {
    const bool done = r.status == sweep::RunStatus::done && r.result.is_object();
    const double N = r.plan.value("params_nonembedding", 0.0);
    const double D = done ? r.result.value("tokens_trained", 0.0) : r.plan.value("tokens", 0.0);
    std::string note = r.status == sweep::RunStatus::failed    ? r.error
                       : r.status == sweep::RunStatus::running ? "owner " + r.owner
                       : r.plan.value("heldout", false)        ? "held out"
                                                               : "";
    if (note.size() > 60) note = note.substr(0, 57) + "...";
    fmt::print("{:<12} {:<26} {:<8} {:>10} {:>10.3g} {:>9} {:>8} {:>4}  {}\n", r.experiment, r.name,
               sweep::to_string(r.status), static_cast<int64_t>(N), D,
               done ? fmt::format("{:.4f}", r.result["final_val_loss"].get<double>()) : "-",
               done ? format_duration(r.result.value("wall_seconds", 0.0)) : "-", r.attempts, note);
  }
}

void setup_runs(CLI::App& app) {
  auto* cmd = app.add_subcommand("runs", "List the runs in a run store");
  auto a = std::make_shared<RunsArgs>();
  cmd->add_option("experiment", a->experiment, "only this experiment's runs");
  cmd->add_option("--store", a->store, "run store: a SQLite file or a postgresql:// URL")->capture_default_str();
  cmd->callback([a] { run_runs(*a); });
}

}  // namespace

SCALELAB_COMMAND(runs, setup_runs);

}  // namespace scalelab::cli
