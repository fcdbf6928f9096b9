// Following a sweep through the run store (sweep_follower.h).
#include "sweep/sweep_follower.h"

#include <chrono>
#include <map>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "core/progress.h"
#include "core/timer.h"

namespace scalelab::sweep {

SweepResult follow_sweep(const Plan& plan, const RecordedPlan& recorded, RunStore& store, const FollowOptions& options) {
  Timer wall;
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  std::map<std::string, const PlannedRun*> planned;
  double est_total = 0;
  for (const PlannedRun& r : plan.runs) {
    planned[r.name] = &r;
    est_total += r.est_seconds;
  }
  std::map<std::string, std::pair<RunStatus, bool>> seen;  // status and whether a forecast was saved
  std::optional<Progress> progress;
  SweepResult result;
  result.experiment_id = recorded.experiment_id;
  bool jobs_gone = false;
  while (true) {
    // Read the store after asking Slurm: runs ended by jobs that just left are counted.
    jobs_gone = options.jobs_active && !options.jobs_active();
    result.done = result.failed = result.pending = 0;
    int running = 0;
    double est_done = 0;
    for (const RunRecord& rec : store.runs(recorded.experiment_id)) {
      const auto it = planned.find(rec.name);
      if (it == planned.end()) continue;  // a run of an earlier version of the spec
      const PlannedRun& r = *it->second;
      const bool forecast = !rec.forecast.is_null();
      const auto before = seen.find(rec.name);
      const bool changed = before == seen.end() || before->second.first != rec.status;
      if (forecast && (before == seen.end() || !before->second.second) && rec.status == RunStatus::planned)
        log(fmt::format("sweep: forecast for held-out {} saved before training: loss {:.4f}", rec.name,
                        rec.forecast.value("predicted", 0.0)));
      if (changed && rec.status == RunStatus::running)
        log(fmt::format("sweep: start {} on {} (N {}, D {})", rec.name, rec.host, r.params_nonembedding, r.tokens));
      if (changed && rec.status == RunStatus::done)
        log(fmt::format("sweep: done {} val_loss {:.4f}", rec.name, rec.result.value("final_val_loss", 0.0)));
      if (changed && rec.status == RunStatus::failed) log(fmt::format("sweep: FAILED {}: {}", rec.name, rec.error));
      if (changed && rec.status == RunStatus::planned && before != seen.end() &&
          before->second.first == RunStatus::running)
        log(fmt::format("sweep: interrupted {}; its checkpoint resumes it in the next worker", rec.name));
      seen[rec.name] = {rec.status, forecast};
      result.done += rec.status == RunStatus::done;
      result.failed += rec.status == RunStatus::failed;
      result.pending += rec.status == RunStatus::planned || rec.status == RunStatus::running;
      running += rec.status == RunStatus::running;
      if (rec.status == RunStatus::done || rec.status == RunStatus::failed) est_done += r.est_seconds;
    }
    result.complete = result.pending == 0;
    if (result.complete || jobs_gone) break;
    if (options.interrupt && options.interrupt->load()) {
      result.interrupted = true;
      break;
    }
    if (options.progress) {
      if (!progress) progress.emplace("sweep", static_cast<int64_t>(std::max(1.0, est_total)), 0);
      progress->update(static_cast<int64_t>(est_done), fmt::format("{}/{} runs done, {} running", result.done,
                                                                   plan.runs.size(), running));
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(options.poll_seconds));
  }
  if (progress) progress->finish();
  result.wall_seconds = wall.seconds();
  return result;
}

}  // namespace scalelab::sweep
