// Sweeps on a cluster, end to end: the Slurm launcher against the one-node test cluster and
// the test PostgreSQL server (ctest fixtures slurm_cluster and postgres_server,
// scripts/test_servers). A ladder swept with --executor slurm ends as the same ladder swept
// locally into SQLite; a worker task cancelled mid-run loses nothing and trains nothing
// twice; sbatch missing or refusing, a SQLite store on a cluster, and --dry-run.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <regex>
#include <thread>

#include "core/atomic_file.h"
#include "sweep/child_process.h"
#include "executor_testing.h"
#include "sweep_testing.h"

namespace scalelab {
namespace {

namespace fs = std::filesystem;
using namespace executor_testing;
using sweep_testing::ScratchDir;
using sweep_testing::ScratchStore;
using sweep_testing::StoreKind;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The test cluster's slurm.conf in SLURM_CONF, for sbatch here and in scalelab. Throws
// (failing the test) when the cluster is not running.
void use_test_cluster() {
  const fs::path env = fs::path(SCALELAB_TEST_SERVERS_DIR) / "slurm" / "env";
  if (!fs::exists(env))
    throw std::runtime_error("the Slurm test cluster is not running (" + env.string() +
                             " is missing): ctest starts it (fixture slurm_cluster); by hand: "
                             "scripts/test_servers/slurm start " + env.parent_path().string());
  const std::string line = sweep_testing::read_trimmed(env);
  ::setenv("SLURM_CONF", line.substr(line.find('=') + 1).c_str(), 1);
}

// `scalelab sweep SPEC --executor slurm --store STORE` with run directories in WORKDIR/runs;
// one CPU per run, as the local reference sweeps use.
std::vector<std::string> slurm_sweep_args(const fs::path& spec, const std::string& store, const fs::path& workdir,
                                          const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"sweep", spec.string(), "--executor", "slurm", "--store", store, "--runs-dir",
                                   (workdir / "runs").string(), "--slurm-cpus-per-run", "1", "--no-probe",
                                   "--bootstrap", "20"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// The job id in "Slurm job 42 submitted".
std::string submitted_job(const std::string& log) {
  std::smatch m;
  return std::regex_search(log, m, std::regex("Slurm job (\\d+) submitted")) ? m[1].str() : "";
}

bool job_active(const std::string& id) {
  const sweep::CommandOutput r = sweep::run_command({"squeue", "--noheader", "--jobs", id, "--format", "%T"});
  return r.exit.code == 0 && r.output.find_first_not_of(" \n") != std::string::npos;
}

TEST(SlurmSweep, EndsWithTheSameRunsLossesAndFitAsALocalSqliteSweep) {
  use_test_cluster();
  ScratchDir dir;
  const ScratchStore pg(StoreKind::postgres);
  write_file_atomic(dir / "spec.toml", spec_text());
  fs::create_directories(dir / "local");
  // The reference: one run at a time on one thread, as every Slurm task trains.
  ASSERT_EQ(wait_exit(start_sweep(dir / "spec.toml", (dir / "local" / "store.sqlite").string(), dir / "local",
                                  {"--workers", "1", "--threads", "1"})),
            0)
      << read_file(dir / "local" / "sweep.log");

  const auto started = std::chrono::steady_clock::now();
  const int code = wait_exit(start_scalelab(
      slurm_sweep_args(dir / "spec.toml", pg.location(), dir / "slurm", {"--workers", "2", "--wait"}),
      dir / "slurm.log"));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::string log = read_file(dir / "slurm.log");
  ASSERT_EQ(code, 0) << log;
  std::printf("slurm sweep of 7 runs with 2 worker tasks, --wait: %.1f s\n", seconds);
  EXPECT_TRUE(contains(log, "sweep t: 7 done, 0 failed, 0 pending")) << log;
  EXPECT_TRUE(contains(log, "sweep: done n25.5k-d65.5k val_loss")) << log;  // the local display
  expect_same_results((dir / "local" / "store.sqlite").string(), pg.location());
  for (const auto& [name, r] : by_name(pg.location())) {
    EXPECT_EQ(r.attempts, 1) << name;
    EXPECT_EQ(train_sessions(read_file(dir / "slurm" / "runs" / "t" / name / "train.log")), 1u) << name;
  }
  // Both array tasks ran a worker, whose logs Slurm kept beside the batch script.
  const std::string job = submitted_job(log);
  ASSERT_FALSE(job.empty()) << log;
  for (int task : {0, 1}) {
    const fs::path task_log = dir / "slurm" / "runs" / "slurm" / (job + "_" + std::to_string(task) + ".log");
    ASSERT_TRUE(fs::exists(task_log)) << task_log;
    EXPECT_TRUE(contains(read_file(task_log), "worker t:")) << read_file(task_log);
  }
}

// Two runs, the long one first (the launch order): scancel of the only worker task while it
// trains, then the same command again. The cancelled run resumes from its checkpoint and
// ends with the loss of an uninterrupted run; nothing is trained twice, nothing is lost.
// The spec swept locally into SQLite, one run at a time on one thread: the uninterrupted runs.
std::map<std::string, sweep::RunRecord> local_reference(const fs::path& dir) {
  fs::create_directories(dir / "local");
  EXPECT_EQ(wait_exit(start_sweep(dir / "spec.toml", (dir / "local" / "store.sqlite").string(), dir / "local",
                                  {"--workers", "1", "--threads", "1"})),
            0)
      << read_file(dir / "local" / "sweep.log");
  return by_name((dir / "local" / "store.sqlite").string());
}

// Submits the one-task sweep and waits until a run trains under it with a checkpoint
// written; returns the job id and that run's name.
std::pair<std::string, std::string> submit_and_wait_for_a_checkpoint(const fs::path& dir, const std::string& store) {
  const std::vector<std::string> args = slurm_sweep_args(dir / "spec.toml", store, dir, {"--workers", "1"});
  EXPECT_EQ(wait_exit(start_scalelab(args, dir / "first.log")), 0) << read_file(dir / "first.log");
  const std::string job = submitted_job(read_file(dir / "first.log"));
  for (int i = 0; i < 3000 && !job.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (const auto& [name, r] : by_name(store))
      if (r.status == sweep::RunStatus::running && fs::exists(dir / "runs" / "t" / name / "checkpoint.bin"))
        return {job, name};
  }
  ADD_FAILURE() << "no run started under Slurm job '" << job << "'\n" << read_file(dir / "first.log");
  return {job, ""};
}

// Every run done with the reference's loss; `resumed` trained in two sessions, the
// second from its checkpoint, the others in one.
void expect_resumed_like_the_reference(const fs::path& dir, const std::string& store,
                                       const std::map<std::string, sweep::RunRecord>& reference,
                                       const std::string& resumed) {
  const auto runs = by_name(store);
  ASSERT_EQ(runs.size(), reference.size());
  for (const auto& [name, r] : runs) {
    ASSERT_EQ(r.status, sweep::RunStatus::done) << name << ": " << r.error;
    EXPECT_EQ(r.result["final_val_loss"], reference.at(name).result["final_val_loss"]) << name;
    EXPECT_EQ(r.result["tokens_trained"], reference.at(name).result["tokens_trained"]) << name;
    const std::string train_log = read_file(dir / "runs" / "t" / name / "train.log");
    if (name == resumed) {
      EXPECT_EQ(r.attempts, 2) << name;
      EXPECT_EQ(train_sessions(train_log), 2u) << train_log;
      EXPECT_TRUE(contains(train_log, "train: resuming from")) << train_log;
    } else {
      EXPECT_EQ(r.attempts, 1) << name;
      EXPECT_EQ(train_sessions(train_log), 1u) << train_log;
    }
  }
}

TEST(SlurmSweep, ScancelMidRunThenASecondSubmissionResumesFromTheCheckpoint) {
  use_test_cluster();
  ScratchDir dir;
  const ScratchStore pg(StoreKind::postgres);
  write_file_atomic(dir / "spec.toml", long_runs_spec());
  const auto reference = local_reference(dir.path());
  ASSERT_EQ(reference.size(), 2u);
  const auto [job, victim] = submit_and_wait_for_a_checkpoint(dir.path(), pg.location());
  ASSERT_FALSE(victim.empty());
  const sweep::CommandOutput cancel = sweep::run_command({"scancel", job});
  ASSERT_EQ(cancel.exit.code, 0) << cancel.output;
  for (int i = 0; i < 300 && job_active(job); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_FALSE(job_active(job));
  {
    const auto mid = by_name(pg.location());
    EXPECT_EQ(mid.at(victim).status, sweep::RunStatus::planned) << "the worker hands its run back on SIGTERM";
    for (const auto& [name, r] : mid) EXPECT_NE(r.status, sweep::RunStatus::done) << name << " ended too soon";
  }

  ASSERT_EQ(wait_exit(start_scalelab(
                slurm_sweep_args(dir / "spec.toml", pg.location(), dir.path(), {"--workers", "1", "--wait"}),
                dir / "second.log")),
            0)
      << read_file(dir / "second.log");
  expect_resumed_like_the_reference(dir.path(), pg.location(), reference, victim);
}

// The time-limit warning (what --signal=B:USR1@120 sends; here by scancel --signal): the
// worker checkpoints, hands its run back and requeues its own task, which Slurm starts
// again (after its requeue delay, cut short here) to resume the run and finish the sweep.
TEST(SlurmSweep, TimeLimitWarningCheckpointsRequeuesTheTaskAndItResumes) {
  use_test_cluster();
  ScratchDir dir;
  const ScratchStore pg(StoreKind::postgres);
  write_file_atomic(dir / "spec.toml", long_runs_spec());
  const auto reference = local_reference(dir.path());
  const auto [job, victim] = submit_and_wait_for_a_checkpoint(dir.path(), pg.location());
  ASSERT_FALSE(victim.empty());
  const std::string task = job + "_0";
  const sweep::CommandOutput warn = sweep::run_command({"scancel", "--signal=USR1", "--batch", task});
  ASSERT_EQ(warn.exit.code, 0) << warn.output;
  const fs::path task_log = dir / "runs" / "slurm" / (task + ".log");
  for (int i = 0; i < 300 && !contains(read_file(task_log), "worker: requeued Slurm task " + task); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(contains(read_file(task_log), "worker: requeued Slurm task " + task)) << read_file(task_log);
  // Slurm holds a requeued job back for about two minutes: once it is pending again, wait
  // 2 s and make it eligible now (an update schedules at once; a later EligibleTime waits
  // for the next scheduling pass). Not at once: slurmd refuses to launch a job whose
  // credential is from the same second as the revocation of its previous start ("Job
  // credential revoked"), the race that hold is there to avoid.
  auto state = [&] { return sweep::run_command({"squeue", "--noheader", "--jobs", task, "--format", "%T"}).output; };
  for (int i = 0; i < 300 && !contains(state(), "PENDING"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(contains(state(), "PENDING")) << state();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const sweep::CommandOutput now = sweep::run_command({"scontrol", "update", "JobId=" + task, "EligibleTime=now"});
  ASSERT_EQ(now.exit.code, 0) << now.output;
  for (int i = 0; i < 600 && job_active(job); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_FALSE(job_active(job)) << read_file(task_log);
  SCOPED_TRACE("the task's log:\n" + read_file(task_log) + "squeue: " +
               sweep::run_command({"squeue", "--noheader", "--states=all", "--jobs", job, "--format", "%i %T %r"}).output);
  expect_resumed_like_the_reference(dir.path(), pg.location(), reference, victim);
}

TEST(SlurmSweep, SbatchMissingOrRefusingIsAOneLineErrorAndTheRecordedPlanStaysWhole) {
  use_test_cluster();
  ScratchDir dir;
  const ScratchStore pg(StoreKind::postgres);
  write_file_atomic(dir / "spec.toml", spec_text());
  // Refused: a partition the cluster does not have.
  ASSERT_EQ(wait_exit(start_scalelab(slurm_sweep_args(dir / "spec.toml", pg.location(), dir.path(),
                                                      {"--slurm-partition", "nosuch"}),
                                     dir / "refused.log")),
            2);
  std::string log = read_file(dir / "refused.log");
  const std::string error = log.substr(log.find("error: "));
  EXPECT_TRUE(contains(error, "sbatch ")) << error;
  EXPECT_TRUE(contains(error, "nvalid partition")) << error;
  EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 1) << error;
  const auto runs = by_name(pg.location());
  EXPECT_EQ(runs.size(), 7u);  // the plan is recorded whole, nothing started
  for (const auto& [name, r] : runs) EXPECT_EQ(r.status, sweep::RunStatus::planned) << name;
  for (const auto& e : fs::directory_iterator(dir / "runs" / "slurm"))  // the script whole, no temporary left
    EXPECT_EQ(e.path().extension(), ".sbatch") << e.path();

  // Missing: no sbatch on PATH.
  const std::string path = std::getenv("PATH");
  ::setenv("PATH", (dir / "empty").c_str(), 1);
  const pid_t pid = start_scalelab(slurm_sweep_args(dir / "spec.toml", pg.location(), dir.path(), {}), dir / "missing.log");
  ::setenv("PATH", path.c_str(), 1);
  ASSERT_EQ(wait_exit(pid), 2);
  log = read_file(dir / "missing.log");
  EXPECT_TRUE(contains(log, "error: sbatch: not found on PATH")) << log;
}

// No cluster needed: the refusal of a SQLite store and the batch script of --dry-run.
TEST(ClusterCli, ASqliteStoreOnAClusterIsRefusedWithTheReasonAndTheFix) {
  ScratchDir dir;
  write_file_atomic(dir / "spec.toml", spec_text());
  const fs::path store = dir / "lab" / "store.sqlite";
  ASSERT_EQ(wait_exit(start_scalelab({"sweep", (dir / "spec.toml").string(), "--executor", "slurm", "--store",
                                      store.string(), "--no-probe"},
                                     dir / "out.log")),
            2);
  const std::string log = read_file(dir / "out.log");
  EXPECT_EQ(log, "error: --store " + store.string() +
                     ": a SQLite store cannot be shared by a cluster's nodes (SQLite's locking is not safe on the "
                     "network file systems clusters use); use a PostgreSQL store: --store "
                     "postgresql://USER@HOST[:PORT]/DB\n");
  EXPECT_FALSE(fs::exists(dir / "lab"));  // nothing created
}

TEST(ClusterCli, DryRunPrintsTheBatchScriptWithoutThePassword) {
  ScratchDir dir;
  write_file_atomic(dir / "spec.toml", spec_text());
  ASSERT_EQ(wait_exit(start_scalelab({"sweep", (dir / "spec.toml").string(), "--executor", "slurm", "--store",
                                      "postgresql://ana:Secr3t@db.lab:5433/ladders", "--runs-dir",
                                      (dir / "shared runs").string(), "--workers", "4", "--slurm-cpus-per-run", "8",
                                      "--slurm-gpus-per-run", "1", "--slurm-partition", "gpu", "--slurm-time",
                                      "02:00:00", "--slurm-extra", "--account=lab --qos=low", "--dry-run",
                                      "--no-probe"},
                                     dir / "out.log")),
            0);
  const std::string script = read_file(dir / "out.log");
  for (const char* line :
       {"#!/bin/bash\n", "#SBATCH --array=0-3\n", "#SBATCH --cpus-per-task=8\n", "#SBATCH --gpus-per-task=1\n",
        "#SBATCH --partition=gpu\n", "#SBATCH --time=02:00:00\n", "#SBATCH --signal=B:USR1@120\n",
        "#SBATCH --requeue\n", "#SBATCH --account=lab\n", "#SBATCH --qos=low\n", "#SBATCH --job-name=scalelab-t\n"})
    EXPECT_TRUE(contains(script, line)) << line << "\n" << script;
  EXPECT_TRUE(contains(script, "worker --store 'postgresql://ana@db.lab:5433/ladders' --experiment 't' --runs-dir '" +
                                   (dir / "shared runs").string() + "' --workers 1"))
      << script;
  EXPECT_FALSE(contains(script, "Secr3t")) << script;
  EXPECT_FALSE(fs::exists(dir / "shared runs"));  // a dry run writes nothing
}

}  // namespace
}  // namespace scalelab
