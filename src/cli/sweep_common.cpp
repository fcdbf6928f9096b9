// Shared by `sweep`, `demo` and `worker` (sweep_common.h).
#include "cli/sweep_common.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <sstream>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/stop_signals.h"
#include "core/count_format.h"
#include "core/error.h"
#include "core/progress.h"
#include "sweep/child_process.h"
#include "sweep/plan_table.h"
#include "sweep/planner.h"
#include "sweep/run_store.h"
#include "sweep/slurm_launcher.h"
#include "sweep/store_database.h"
#include "sweep/store_url.h"
#include "sweep/stored_plan.h"
#include "sweep/sweep_follower.h"

namespace scalelab::cli {

namespace {

// A log line on stderr, clearing a progress line on a terminal first.
void console_log(const std::string& line) {
  if (isatty(STDERR_FILENO)) fmt::print(stderr, "\r\033[K");
  fmt::print(stderr, "{}\n", line);
}

// Run directories under runs_root, log lines on stderr, `stop` to stop cleanly.
sweep::SweepOptions console_sweep_options(const std::filesystem::path& root, const std::string& experiment,
                                          int bootstrap, const StopSignals& stop) {
  sweep::SweepOptions so;
  so.runs_dir = root / experiment;
  so.interrupt = &stop.flag();
  so.log = console_log;
  so.fits.bootstrap = bootstrap;
  return so;
}

// --executor slurm: the plan recorded in the shared store, one job array submitted, and
// with --wait the sweep followed from the store until it ends.
sweep::SweepResult run_slurm_sweep(const sweep::ExperimentSpec& spec, const sweep::Plan& plan,
                                   const SweepCliOptions& o, int workers) {
  const sweep::StoreUrl url = sweep::parse_store_url(o.store);
  namespace fs = std::filesystem;
  sweep::SlurmJob job;
  job.experiment = spec.name;
  job.store = url.redacted;
  job.runs_dir = fs::absolute(runs_root(o.store, o.runs_dir));
  job.executable = sweep::self_executable();
  job.workdir = fs::current_path();
  job.workers = workers;
  job.cpus_per_run = o.slurm.cpus_per_run;
  job.gpus_per_run = o.slurm.gpus_per_run;
  job.partition = o.slurm.partition;
  job.time = o.slurm.time;
  for (const std::string& e : o.slurm.extra) {  // "--account=lab --qos=low": one option a word
    std::istringstream words(e);
    for (std::string w; words >> w;) job.extra.push_back(w);
  }
  job.signal_lead_seconds = o.slurm.signal_lead;
  job.bootstrap = o.bootstrap;
  const std::string script = sweep::slurm_batch_script(job);  // checks the options
  if (o.slurm.dry_run) {
    fmt::print("{}", script);
    return {};
  }
  sweep::RunStore store(o.store);
  fmt::print("{}", sweep::format_plan(plan));
  std::fflush(stdout);
  sweep::SweepOptions so;
  so.retry_failed = o.retry_failed;
  so.log = console_log;
  const sweep::RecordedPlan rec = sweep::record_plan(spec, plan, store, so);
  int left = 0;
  for (const sweep::RunRecord& r : store.runs(rec.experiment_id))
    left += r.status == sweep::RunStatus::planned || r.status == sweep::RunStatus::running;
  if (left == 0) {
    fmt::print("sweep {}: every run has ended in {}; nothing to submit\n", spec.name, store.location());
    return {.experiment_id = rec.experiment_id, .complete = true};
  }
  const std::string job_id = sweep::submit_slurm_job(script, job, url.password);
  fmt::print("sweep {}: {} runs recorded in {}; Slurm job {} submitted ({} worker task{}, {} CPU{} each); "
             "follow it with: scalelab runs --store {} {}\n",
             spec.name, plan.runs.size(), store.location(), job_id, workers, workers == 1 ? "" : "s",
             job.cpus_per_run, job.cpus_per_run == 1 ? "" : "s", store.location(), spec.name);
  std::fflush(stdout);
  if (!o.slurm.wait) return {.experiment_id = rec.experiment_id};
  StopSignals stop({SIGINT, SIGTERM});
  sweep::SweepResult r = sweep::follow_sweep(
      plan, rec, store,
      {.jobs_active = [&] { return sweep::slurm_job_active(job_id); }, .log = console_log, .interrupt = &stop.flag()});
  fmt::print("sweep {}: {} done, {} failed, {} pending after {}\n", spec.name, r.done, r.failed, r.pending,
             format_duration(r.wall_seconds));
  if (r.interrupted) {
    fmt::print(stderr, "sweep: stopped following; Slurm job {} keeps running\n", job_id);
    command_exit_code() = kExitInterrupted;
  } else if (!r.complete) {
    fmt::print(stderr, "sweep: Slurm job {} ended with {} run(s) left; submit again (the same command) to train them\n",
               job_id, r.pending);
    command_exit_code() = 1;
  }
  return r;
}

}  // namespace

std::filesystem::path runs_root(const std::string& store, const std::string& runs_dir) {
  if (!runs_dir.empty()) return runs_dir;
  if (sweep::is_store_url(store)) return std::filesystem::path("runs");
  return std::filesystem::path(store).parent_path() / "runs";
}

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
  cmd->add_option("--workers", o.workers,
                  "runs trained at once; threads are split among them (default: one per core); with --executor "
                  "slurm, the job array's worker tasks (default: one per run)");
  cmd->add_option("--threads", o.threads, "CPU threads in all (default: every core)");
  if (!default_store.empty()) {  // the demo keeps its store in its --out directory
    cmd->add_option("--store", o.store, "run store: a SQLite file, or postgresql://[user@]host[:port]/db")
        ->capture_default_str();
    cmd->add_option("--runs-dir", o.runs_dir,
                    "run directories (checkpoints, logs) go here (default: next to a SQLite store; ./runs for a "
                    "PostgreSQL one)");
  }
  cmd->add_option("--set", o.sets, "section.key=value for every run, after the spec (e.g. data.path=corpus.txt)");
  cmd->add_option("--device", o.device, "backend of every run, as --set train.device: cpu or cuda");
  cmd->add_option("--precision", o.precision, "as --set train.precision: auto, fp32, tf32 or bf16");
  cmd->add_flag("--retry-failed", o.retry_failed, "train failed runs again");
  cmd->add_flag("--no-probe", o.no_probe, "estimate times without timing each shape first");
  cmd->add_option("--bootstrap", o.bootstrap, "bootstrap resamples for the stored fits' CIs")->capture_default_str();
}

void add_slurm_options(CLI::App* cmd, SweepCliOptions& o) {
  cmd->add_option("--executor", o.executor, "local (this host) or slurm (one job array of `scalelab worker` tasks)")
      ->check(CLI::IsMember({"local", "slurm"}))
      ->capture_default_str();
  SlurmCliOptions& s = o.slurm;
  cmd->add_option("--slurm-partition", s.partition, "sbatch --partition");
  cmd->add_option("--slurm-time", s.time, "sbatch --time, the time limit of each worker task (e.g. 04:00:00)");
  cmd->add_option("--slurm-gpus-per-run", s.gpus_per_run, "GPUs of each worker task")->capture_default_str();
  cmd->add_option("--slurm-cpus-per-run", s.cpus_per_run, "CPUs of each worker task (the run's threads)")
      ->capture_default_str();
  cmd->add_option("--slurm-extra", s.extra, "more sbatch options, e.g. \"--account=lab --qos=low\" (repeatable)");
  cmd->add_option("--slurm-signal-lead", s.signal_lead,
                  "seconds before the time limit when a task checkpoints and requeues itself")
      ->capture_default_str();
  cmd->add_flag("--wait", s.wait, "follow the sweep from the store until it ends (with --executor slurm)");
  cmd->add_flag("--dry-run", s.dry_run, "print the batch script and submit nothing (with --executor slurm)");
}

sweep::SweepResult run_sweep_command(const sweep::ExperimentSpec& spec, const SweepCliOptions& o) {
  SL_REQUIRE(o.bootstrap >= 0, "--bootstrap: expected a count >= 0, got {}", o.bootstrap);
  const bool slurm = o.executor == "slurm";
  SL_REQUIRE(slurm || (!o.slurm.wait && !o.slurm.dry_run), "--wait and --dry-run go with --executor slurm");
  SL_REQUIRE(!slurm || !o.no_train, "--no-train: --executor slurm records the plan itself; leave one of them out");
  // A cluster's nodes share the store over the network: SQLite's file locks are not safe
  // on the network file systems (NFS, Lustre) clusters use, so two nodes could both claim
  // a run or damage the file.
  SL_REQUIRE(!slurm || sweep::is_store_url(o.store),
             "--store {}: a SQLite store cannot be shared by a cluster's nodes (SQLite's locking is not safe on the "
             "network file systems clusters use); use a PostgreSQL store: --store postgresql://USER@HOST[:PORT]/DB",
             o.store);
  SL_REQUIRE(o.slurm.cpus_per_run >= 1, "--slurm-cpus-per-run: expected a count >= 1, got {}", o.slurm.cpus_per_run);
  SL_REQUIRE(o.workers >= 0, "--workers: expected a count >= 1, got {}", o.workers);
  // Slurm: each worker task trains one run at a time on its own CPUs (--workers tasks;
  // by default one per run).
  const int tasks = std::max(1, o.workers);
  const auto [workers, threads] =
      slurm ? WorkerSplit{tasks, tasks * o.slurm.cpus_per_run} : resolve_workers(o.workers, o.threads);
  // Plan before opening the store: opening creates it (and its directory), and a spec the
  // planner refuses (impossible budget, unknown run-config key) must leave nothing behind.
  // A bad store path is still refused before anything trains.
  std::vector<std::string> sets = o.sets;
  if (!o.device.empty()) sets.push_back("train.device=" + o.device);
  if (!o.precision.empty()) sets.push_back("train.precision=" + o.precision);
  const sweep::Plan plan =
      sweep::make_plan(spec, {.workers = workers,
                              .threads = threads,
                              .probe = !o.no_probe,
                              .sets = sets,
                              .heldout_threads = slurm ? o.slurm.cpus_per_run : 0});
  if (o.refuse_repeated_data) {
    const auto most = std::max_element(plan.runs.begin(), plan.runs.end(),
                                       [](const sweep::PlannedRun& a, const sweep::PlannedRun& b) { return a.epochs < b.epochs; });
    SL_REQUIRE(most == plan.runs.end() || most->epochs <= spec.max_epochs,
               "{}: the corpus has {} training tokens, too few for this design: run {} would see it {:.1f} times, more "
               "than experiment.max_epochs = {:g}, where the loss no longer follows the law; use a corpus of at least {} "
               "training tokens",
               spec.name, short_count(static_cast<double>(plan.corpus_train_tokens)), most->name, most->epochs,
               spec.max_epochs,
               short_count(std::ceil(static_cast<double>(plan.corpus_train_tokens) * most->epochs / spec.max_epochs)));
  }
  if (slurm) {
    return run_slurm_sweep(spec, plan, o, o.workers > 0 ? o.workers : static_cast<int>(plan.runs.size()));
  }
  sweep::RunStore store(o.store);
  fmt::print("{}", sweep::format_plan(plan));
  std::fflush(stdout);

  StopSignals stop({SIGINT, SIGTERM});
  sweep::SweepOptions so = console_sweep_options(runs_root(o.store, o.runs_dir), spec.name, o.bootstrap, stop);
  so.retry_failed = o.retry_failed;
  if (o.no_train) {
    const sweep::RecordedPlan rec = sweep::record_plan(spec, plan, store, so);
    fmt::print("sweep {}: {} runs recorded in {}; train them with: scalelab worker --store {}\n", spec.name,
               rec.run_ids.size(), store.location(), store.location());
    return {.experiment_id = rec.experiment_id};
  }
  sweep::SweepResult r = sweep::run_sweep(spec, plan, store, so);
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
  std::error_code ec;
  SL_REQUIRE(sweep::is_store_url(o.store) || std::filesystem::exists(o.store, ec),
             "--store {}: no run store there; record a plan first: scalelab sweep SPEC --store {} --no-train", o.store,
             o.store);
  sweep::RunStore store(o.store);
  std::vector<sweep::ExperimentRecord> pending_experiments;
  if (!o.experiment.empty()) {
    pending_experiments.push_back(store.experiment(o.experiment));  // InputError naming the experiments it has
  } else {
    for (const sweep::ExperimentRecord& e : store.experiments())
      if (e.done + e.failed < e.runs) pending_experiments.push_back(e);
  }
  // SIGUSR1: Slurm's warning before the time limit (slurm_launcher.h).
  StopSignals stop({SIGINT, SIGTERM, SIGUSR1});
  for (const sweep::ExperimentRecord& e : pending_experiments) {
    const sweep::StoredPlan stored = sweep::stored_plan(store, e, o.workers);
    sweep::SweepOptions so = console_sweep_options(runs_root(o.store, o.runs_dir), e.name, o.bootstrap, stop);
    so.leave_when_idle = true;
    so.progress = false;
    const sweep::SweepResult r = sweep::run_plan(stored.plan, stored.recorded, store, so);
    fmt::print("worker {}: {} runs trained here; {} done, {} failed, {} left to other workers or a later worker\n",
               e.name, r.trained, r.done, r.failed, r.pending);
    if (r.interrupted) {
      fmt::print(stderr, "worker: stopped; its runs resume from their checkpoints in the next worker\n");
      command_exit_code() = kExitInterrupted;
      if (stop.received() == SIGUSR1 && r.pending > 0) {
        const std::string requeued = sweep::requeue_this_slurm_task();
        if (!requeued.empty()) fmt::print(stderr, "worker: {}\n", requeued);
      }
      break;
    }
  }
  if (pending_experiments.empty()) fmt::print("worker: nothing left to train in {}\n", store.location());
}

}  // namespace scalelab::cli
