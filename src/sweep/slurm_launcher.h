// defines: scalelab::sweep::SlurmJob, slurm_batch_script, submit_slurm_job, slurm_job_active,
//          requeue_this_slurm_task
//
// The Slurm launcher: a recorded plan (executor.h: record_plan) is trained by one job array
// whose every task runs `scalelab worker` against the shared PostgreSQL store. A worker
// claims ready runs, trains them one at a time on the task's CPUs (and GPUs), and leaves
// when it can claim nothing; the store, not Slurm, decides who trains what, so tasks may
// start late, die or be requeued without a run trained twice or lost.
//
// Time limits and preemption: the job asks for SIGUSR1 `signal_lead_seconds` before its
// end (--signal=B:USR1@...; B: to the batch shell, which is the worker: the script execs
// it). The worker then checkpoints its run, hands it back to the store and requeues its
// own array task (--requeue), whose next start resumes the run from the checkpoint; a
// task that `scancel` ends (SIGTERM) checkpoints the same way and the run waits for the
// next worker or the next submission.
//
//   SlurmJob job{.experiment = "ladder", .store = url.redacted, .runs_dir = "/shared/runs",
//                .workers = 8, .cpus_per_run = 4};
//   std::string script = slurm_batch_script(job);          // what --dry-run prints
//   std::string id = submit_slurm_job(script, job);        // sbatch --parsable
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace scalelab::sweep {

struct SlurmJob {
  std::string experiment;
  std::string store;               // the store URL without its password (store_url.h)
  std::filesystem::path runs_dir;  // run directories: runs_dir / <run>; on a shared file system
  std::filesystem::path executable;  // scalelab, as every node sees it
  std::filesystem::path workdir;     // the tasks' working directory
  int workers = 1;                 // array tasks
  int cpus_per_run = 1;            // --cpus-per-task; the trainer's threads
  int gpus_per_run = 0;            // --gpus-per-task when > 0
  std::string partition;           // --partition when not empty
  std::string time;                // --time when not empty, e.g. "02:00:00"
  std::vector<std::string> extra;  // more sbatch options, one #SBATCH line each
  int signal_lead_seconds = 120;   // SIGUSR1 this long before the time limit
  int bootstrap = 200;             // the stored fits' bootstrap resamples
};

// The batch script; every value shell-quoted. InputError for counts < 1 or an --slurm-extra
// option that is not an option (must start with '-').
std::string slurm_batch_script(const SlurmJob& job);

// Writes the script to runs_dir/slurm/<experiment>-<time>.sbatch and submits it with
// `sbatch --parsable`; returns the job id. A password the store URL held reaches the tasks
// as PGPASSWORD in sbatch's environment (exported to the job), never in the script or a
// command line. InputError "sbatch: <its message>" when sbatch is missing or refuses.
std::string submit_slurm_job(const std::string& script, const SlurmJob& job, const std::string& password);

// Whether any task of the job is still pending or running (squeue).
bool slurm_job_active(const std::string& job_id);

// In a Slurm array task (SLURM_ARRAY_JOB_ID, SLURM_ARRAY_TASK_ID or SLURM_JOB_ID set): asks
// Slurm to requeue this task (scontrol requeue), returns what happened as one line; "" when
// not in a Slurm job.
std::string requeue_this_slurm_task();

}  // namespace scalelab::sweep
