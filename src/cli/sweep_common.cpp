// Shared by `sweep` and `demo` (sweep_common.h).
#include "cli/sweep_common.h"

#include <atomic>
#include <csignal>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/command.h"
#include "core/error.h"
#include "core/progress.h"
#include "sweep/plan_table.h"
#include "sweep/planner.h"
#include "sweep/run_store.h"
#include "sweep/stored_plan.h"

namespace scalelab::cli {

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sweep_sigint(int) {
  g_interrupted.store(true);
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

// Run directories next to the store, log lines on stderr (clearing a progress line on a
// terminal), Ctrl-C to stop cleanly.
sweep::SweepOptions console_sweep_options(const std::filesystem::path& store_path, const std::string& experiment,
                                          int bootstrap) {
  sweep::SweepOptions so;
  so.runs_dir = store_path.parent_path() / "runs" / experiment;
  so.interrupt = &g_interrupted;
  so.log = [](const std::string& line) {
    if (isatty(STDERR_FILENO)) fmt::print(stderr, "\r\033[K");
    fmt::print(stderr, "{}\n", line);
  };
  so.fits.bootstrap = bootstrap;
  return so;
}

}  // namespace

WorkerSplit resolve_workers(int workers, int threads) {
  SL_REQUIRE(workers >= 0, "--workers: expected a count >= 1, got {}", workers);
  SL_REQUIRE(threads >= 0, "--threads: expected a count >= 1, got {}", threads);
  WorkerSplit w;
  w.threads = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  w.workers = workers > 0 ? workers : w.threads;
  SL_REQUIRE(w.workers <= w.threads, "--workers: {} workers need at least as many threads (--threads {})", w.workers,
             w.threads);
  return w;
}

void add_sweep_options(CLI::App* cmd, SweepCliOptions& o, const std::string& default_store) {
  o.store = default_store;
  cmd->add_option("--workers", o.workers, "runs trained at once; threads are split among them (default: one per core)");
  cmd->add_option("--threads", o.threads, "CPU threads in all (default: every core)");
  if (!default_store.empty())  // the demo keeps its store in its --out directory
    cmd->add_option("--store", o.store, "run store (SQLite); run directories go next to it")->capture_default_str();
  cmd->add_option("--set", o.sets, "section.key=value for every run, after the spec (e.g. data.path=corpus.txt)");
  cmd->add_option("--device", o.device, "backend of every run, as --set train.device: cpu or cuda");
  cmd->add_option("--precision", o.precision, "as --set train.precision: auto, fp32, tf32 or bf16");
  cmd->add_flag("--retry-failed", o.retry_failed, "train failed runs again");
  cmd->add_flag("--no-probe", o.no_probe, "estimate times without timing each shape first");
  cmd->add_option("--bootstrap", o.bootstrap, "bootstrap resamples for the stored fits' CIs")->capture_default_str();
}

sweep::SweepResult run_sweep_command(const sweep::ExperimentSpec& spec, const SweepCliOptions& o) {
  SL_REQUIRE(o.bootstrap >= 0, "--bootstrap: expected a count >= 0, got {}", o.bootstrap);
  const auto [workers, threads] = resolve_workers(o.workers, o.threads);
  // Plan before opening the store: opening creates it (and its directory), and a spec the
  // planner refuses (impossible budget, unknown run-config key) must leave nothing behind.
  // A bad store path is still refused before anything trains.
  std::vector<std::string> sets = o.sets;
  if (!o.device.empty()) sets.push_back("train.device=" + o.device);
  if (!o.precision.empty()) sets.push_back("train.precision=" + o.precision);
  const sweep::Plan plan =
      sweep::make_plan(spec, {.workers = workers, .threads = threads, .probe = !o.no_probe, .sets = sets});
  const std::filesystem::path store_path = o.store;
  sweep::RunStore store(store_path);
  fmt::print("{}", sweep::format_plan(plan));
  std::fflush(stdout);

  sweep::SweepOptions so = console_sweep_options(store_path, spec.name, o.bootstrap);
  so.retry_failed = o.retry_failed;
  if (o.no_train) {
    const sweep::RecordedPlan rec = sweep::record_plan(spec, plan, store, so);
    fmt::print("sweep {}: {} runs recorded in {}; train them with: scalelab worker --store {}\n", spec.name,
               rec.run_ids.size(), store_path.string(), store_path.string());
    return {.experiment_id = rec.experiment_id};
  }
  auto previous = std::signal(SIGINT, on_sweep_sigint);
  sweep::SweepResult r = sweep::run_sweep(spec, plan, store, so);
  std::signal(SIGINT, previous);
  fmt::print("sweep {}: {} done, {} failed, {} pending; {} runs trained now in {}\n", spec.name, r.done, r.failed,
             r.pending, r.trained, format_duration(r.wall_seconds));
  for (const std::string& n : r.fit_notes) fmt::print("  {}\n", n);
  if (r.interrupted) {
    fmt::print(stderr, "sweep: stopped; run the same command to continue\n");
    command_exit_code() = kExitInterrupted;
  }
  return r;
}

void run_worker_command(const WorkerCliOptions& o) {
  SL_REQUIRE(o.workers >= 1, "--workers: expected a count >= 1, got {}", o.workers);
  SL_REQUIRE(o.bootstrap >= 0, "--bootstrap: expected a count >= 0, got {}", o.bootstrap);
  const std::filesystem::path store_path = o.store;
  std::error_code ec;
  SL_REQUIRE(std::filesystem::exists(store_path, ec),
             "--store {}: no run store there; record a plan first: scalelab sweep SPEC --store {} --no-train",
             store_path.string(), store_path.string());
  sweep::RunStore store(store_path);
  std::vector<sweep::ExperimentRecord> pending_experiments;
  if (!o.experiment.empty()) {
    pending_experiments.push_back(store.experiment(o.experiment));  // InputError naming the experiments it has
  } else {
    for (const sweep::ExperimentRecord& e : store.experiments())
      if (e.done + e.failed < e.runs) pending_experiments.push_back(e);
  }
  auto previous = std::signal(SIGINT, on_sweep_sigint);
  for (const sweep::ExperimentRecord& e : pending_experiments) {
    const sweep::StoredPlan stored = sweep::stored_plan(store, e, o.workers);
    sweep::SweepOptions so = console_sweep_options(store_path, e.name, o.bootstrap);
    so.leave_when_idle = true;
    so.progress = false;
    const sweep::SweepResult r = sweep::run_plan(stored.plan, stored.recorded, store, so);
    fmt::print("worker {}: {} runs trained here; {} done, {} failed, {} left to other workers or a later worker\n",
               e.name, r.trained, r.done, r.failed, r.pending);
    if (r.interrupted) {
      fmt::print(stderr, "worker: stopped; its runs resume from their checkpoints in the next worker\n");
      command_exit_code() = kExitInterrupted;
      break;
    }
  }
  std::signal(SIGINT, previous);
  if (pending_experiments.empty()) fmt::print("worker: nothing left to train in {}\n", store_path.string());
}

}  // namespace scalelab::cli
