// scalelab train: one training run (train/trainer.h).
//
//   scalelab train --config run.toml --set train.lr=3e-3 --set data.path=brown.txt --out runs/a
//
// Resuming is automatic: when DIR/checkpoint.bin exists (a run stopped by Ctrl-C,
// --stop-after or a crash), the same command continues from it, after checking the
// checkpoint was written under the same config. Ctrl-C finishes the current step, writes
// a checkpoint and exits with code 130; a second Ctrl-C stops at once.
//
// WSD branches (train/trainer.h): `--fork 600:f.bin` saves the state after step 600;
// `--branch-from f.bin` starts a shorter WSD run of the same config from it.
#include <atomic>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/stop_signals.h"
#include "core/config.h"
#include "core/error.h"
#include "train/run_config.h"
#include "train/trainer.h"

namespace scalelab::cli {

namespace {

struct TrainOptions {
  std::string config;
  std::vector<std::string> sets;
  std::string device, precision;  // shorthands for --set train.device / train.precision
  std::string out;
  int64_t stop_after = 0;
  std::vector<std::string> forks;
  std::string branch_from;
  bool quiet = false;
  bool help_config = false;
};

void run_train(const TrainOptions& o) {
  if (o.help_config) {
    RunConfig rc;
    ConfigBinder b;
    rc.bind(b);
    fmt::print("{}", b.describe());
    return;
  }
  std::vector<std::string> sets = o.sets;
  if (!o.device.empty()) sets.push_back("train.device=" + o.device);
  if (!o.precision.empty()) sets.push_back("train.precision=" + o.precision);
  RunConfig rc = load_run_config(o.config, sets);
  SL_REQUIRE(!o.out.empty(), "--out: expected an output directory");
  TrainerOptions topt;
  topt.out_dir = o.out;
  topt.stop_after = o.stop_after;
  // Ctrl-C, or SIGTERM from scancel or a time limit: checkpoint, exit 130; a rerun resumes.
  StopSignals stop({SIGINT, SIGTERM});
  topt.interrupt = &stop.flag();
  topt.log = !o.quiet;
  for (const std::string& f : o.forks) {
    const auto colon = f.find(':');
    int64_t step = 0;
    try {
      step = colon == std::string::npos ? 0 : std::stoll(f.substr(0, colon));
    } catch (const std::exception&) {
    }
    SL_REQUIRE(colon != std::string::npos && step > 0 && colon + 1 < f.size(),
               "--fork: expected STEP:PATH with STEP >= 1, got \"{}\"", f);
    topt.forks.push_back({step, f.substr(colon + 1)});
  }
  topt.branch_from = o.branch_from;
  Trainer trainer(rc, topt);  // all input checks; nothing written before this succeeds
  TrainResult r = trainer.run();
  if (!r.complete && stop.flag().load()) command_exit_code() = kExitInterrupted;
}

void setup_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train one GPT and write metrics, checkpoints and a summary");
  auto o = std::make_shared<TrainOptions>();
  cmd->add_option("--config", o->config, "TOML file with [model], [data] and [train] sections");
  cmd->add_option("--set", o->sets, "section.key=value override (repeatable; after --config)");
  cmd->add_option("--device", o->device, "backend, as --set train.device: cpu or cuda");
  cmd->add_option("--precision", o->precision, "as --set train.precision: auto, fp32, tf32 or bf16");
  cmd->add_option("--out", o->out, "output directory (resumes from DIR/checkpoint.bin when present)");
  cmd->add_option("--stop-after", o->stop_after,
                  "stop after this many steps with a checkpoint, as if interrupted (0 = train to the end)");
  cmd->add_option("--fork", o->forks,
                  "STEP:PATH: also save the state after STEP steps to PATH (a WSD trunk's fork; repeatable)");
  cmd->add_option("--branch-from", o->branch_from,
                  "start from this fork (a WSD branch) when --out has no checkpoint; the run must be the same "
                  "config with another length, and the fork must not be past its cooldown start");
  cmd->add_flag("--quiet", o->quiet, "no log lines on stderr");
  cmd->add_flag("--help-config", o->help_config, "list every config key with its default and exit");
  cmd->callback([o] { run_train(*o); });
}

}  // namespace

SCALELAB_COMMAND(train, setup_train);

}  // namespace scalelab::cli
