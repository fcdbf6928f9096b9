// The Slurm launcher (slurm_launcher.h): a batch script, sbatch, squeue and scontrol. The
// options are sbatch(1)'s; the script runs under bash on the compute node.
#include "sweep/slurm_launcher.h"

#include <cstdlib>
#include <ctime>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/one_line.h"
#include "sweep/child_process.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
namespace {

// 'text' for bash: single quotes, each ' written as '\''.
std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A job name Slurm shows in squeue: letters, digits, '.', '_' and '-'.
std::string job_name(const std::string& experiment) {
  std::string out = "scalelab-";
  for (unsigned char c : experiment) out += std::isalnum(c) || c == '.' || c == '_' || c == '-' ? char(c) : '_';
  return out.substr(0, 64);
}

}  // namespace

std::string slurm_batch_script(const SlurmJob& job) {
  SL_REQUIRE(job.workers >= 1, "--workers: expected a count >= 1, got {}", job.workers);
  SL_REQUIRE(job.cpus_per_run >= 1, "--slurm-cpus-per-run: expected a count >= 1, got {}", job.cpus_per_run);
  SL_REQUIRE(job.gpus_per_run >= 0, "--slurm-gpus-per-run: expected a count >= 0, got {}", job.gpus_per_run);
  std::string s = "#!/bin/bash\n";
  s += fmt::format("# scalelab sweep of experiment {}: {} worker(s) claiming runs from {}\n", job.experiment,
                   job.workers, job.store);
  s += fmt::format("#SBATCH --job-name={}\n", job_name(job.experiment));
  s += fmt::format("#SBATCH --array=0-{}\n", job.workers - 1);
  s += "#SBATCH --ntasks=1\n";
  s += fmt::format("#SBATCH --cpus-per-task={}\n", job.cpus_per_run);
  if (job.gpus_per_run > 0) s += fmt::format("#SBATCH --gpus-per-task={}\n", job.gpus_per_run);
  if (!job.partition.empty()) s += fmt::format("#SBATCH --partition={}\n", job.partition);
  if (!job.time.empty()) s += fmt::format("#SBATCH --time={}\n", job.time);
  s += fmt::format("#SBATCH --signal=B:USR1@{}\n", job.signal_lead_seconds);
  s += "#SBATCH --requeue\n";
  s += "#SBATCH --open-mode=append\n";
  s += fmt::format("#SBATCH --output={}\n", (job.runs_dir / "slurm" / "%A_%a.log").string());
  s += fmt::format("#SBATCH --chdir={}\n", job.workdir.string());
  for (const std::string& e : job.extra) {
    SL_REQUIRE(e.starts_with("-") && e.find('\n') == std::string::npos,
               "--slurm-extra: expected sbatch options such as --account=lab, got \"{}\"", e);
    s += fmt::format("#SBATCH {}\n", e);
  }
  s += "\n# The worker replaces this shell, so the time-limit warning (SIGUSR1) and scancel's\n"
       "# SIGTERM reach it: it checkpoints its run and hands it back to the store.\n";
  s += fmt::format("exec {} worker --store {} --experiment {} --runs-dir {} --workers 1 --bootstrap {}\n",
                   shell_quote(job.executable.string()), shell_quote(job.store), shell_quote(job.experiment),
                   shell_quote(job.runs_dir.string()), job.bootstrap);
  return s;
}

std::string submit_slurm_job(const std::string& script, const SlurmJob& job, const std::string& password) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm t{};
  gmtime_r(&now, &t);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &t);
  const fs::path dir = job.runs_dir / "slurm";
  std::error_code ec;
  fs::create_directories(dir, ec);
  SL_REQUIRE(!ec, "{}: cannot create the directory for the batch script ({})", dir.string(), ec.message());
  const fs::path file = dir / fmt::format("{}-{}.sbatch", job_name(job.experiment), stamp);
  write_file_atomic(file, script);
  // libpq in the tasks reads PGPASSWORD; sbatch exports this process's environment.
  if (!password.empty()) ::setenv("PGPASSWORD", password.c_str(), 1);
  const CommandOutput r = run_command({"sbatch", "--parsable", file.string()});
  SL_REQUIRE(r.exit.code == 0, "sbatch {}: {} ({})", file.string(), one_line(r.output), r.exit.describe());
  // --parsable prints "jobid" or "jobid;cluster" (sbatch may warn on lines before it).
  std::string last = one_line(r.output);
  last = last.substr(last.rfind(' ') == std::string::npos ? 0 : last.rfind(' ') + 1);
  const std::string id = last.substr(0, last.find(';'));
  SL_REQUIRE(!id.empty() && id.find_first_not_of("0123456789") == std::string::npos,
             "sbatch {}: expected a job id, got \"{}\"", file.string(), one_line(r.output));
  return id;
}

bool slurm_job_active(const std::string& job_id) {
  const CommandOutput r = run_command({"squeue", "--noheader", "--jobs", job_id, "--format", "%T"});
  // A job that has left squeue's memory is an error there ("Invalid job id"): not active.
  if (r.exit.code != 0) return false;
  return !one_line(r.output).empty();
}

std::string requeue_this_slurm_task() {
  const char* array_job = std::getenv("SLURM_ARRAY_JOB_ID");
  const char* array_task = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* job = std::getenv("SLURM_JOB_ID");
  std::string id;
  if (array_job && array_task)
    id = fmt::format("{}_{}", array_job, array_task);
  else if (job)
    id = job;
  else
    return "";
  const CommandOutput r = run_command({"scontrol", "requeue", id});
  if (r.exit.code != 0) return fmt::format("scontrol requeue {} failed: {}", id, one_line(r.output));
  return fmt::format("requeued Slurm task {}", id);
}

}  // namespace scalelab::sweep
