// The local executor (executor.h).
#include "sweep/executor.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>
#include <optional>
#include <sstream>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/progress.h"
#include "core/timer.h"
#include "sweep/child_process.h"
#include "sweep/run_ingest.h"
#include "sweep/scheduler.h"

#ifndef SCALELAB_GIT_COMMIT
#define SCALELAB_GIT_COMMIT "unknown"
#endif

namespace scalelab::sweep {

namespace fs = std::filesystem;

namespace {

constexpr double kHeartbeatSeconds = 30.0;

// The last non-empty line of a run's log: the trainer's "error: ..." line when it failed.
std::string last_log_line(const fs::path& log) {
  std::error_code ec;
  if (!fs::exists(log, ec)) return "";
  std::istringstream in(read_file(log));
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

struct Active {
  size_t index;          // into plan.runs
  int64_t id;            // run id in the store
  ChildProcess child;
  Timer timer;
  double last_heartbeat = 0;
};

}  // namespace

RecordedPlan record_plan(const ExperimentSpec& spec, const Plan& plan, RunStore& store, const SweepOptions& options) {
  RecordedPlan rec;
  rec.experiment_id = store.upsert_experiment(spec.name, spec.text, fnv1a64_hex(spec.text));
  std::vector<RunRow> rows;
  for (const PlannedRun& r : plan.runs) rows.push_back({r.name, r.config.to_json(), config_hash(r.config), r.plan_json()});
  rec.run_ids = store.add_runs(rec.experiment_id, rows);
  if (options.retry_failed) {
    const int n = store.reset_failed(rec.experiment_id);
    if (n > 0 && options.log) options.log(fmt::format("sweep: {} failed run(s) planned again (--retry-failed)", n));
  }
  return rec;
}

SweepResult run_sweep(const ExperimentSpec& spec, const Plan& plan, RunStore& store, const SweepOptions& options) {
  return run_plan(plan, record_plan(spec, plan, store, options), store, options);
}

SweepResult run_plan(const Plan& plan, const RecordedPlan& recorded, RunStore& store, const SweepOptions& options) {
  Timer wall;
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  SweepResult result;
  const int64_t exp = recorded.experiment_id;
  result.experiment_id = exp;
  const std::vector<int64_t>& ids = recorded.run_ids;
  SL_ASSERT(ids.size() == plan.runs.size());
  std::map<std::string, size_t> index_of;
  for (size_t i = 0; i < plan.runs.size(); ++i) index_of[plan.runs[i].name] = i;

  const fs::path exe = options.executable.empty() ? self_executable() : options.executable;
  const std::string owner = RunStore::this_owner();
  fs::create_directories(options.runs_dir);
  auto run_dir = [&](size_t i) { return options.runs_dir / plan.runs[i].name; };
  auto fork_path = [&](const std::string& branch) { return options.runs_dir / (branch + ".fork.bin"); };

  const std::vector<size_t> order = launch_order(plan);

  std::vector<Active> active;
  double est_total = 0, est_done = 0;
  for (const PlannedRun& r : plan.runs) est_total += r.est_seconds;
  std::optional<Progress> progress;
  bool fitted = false;

  auto launch = [&](size_t i, int64_t id) {
    const PlannedRun& r = plan.runs[i];
    const fs::path dir = run_dir(i);
    fs::create_directories(dir);
    write_file_atomic(dir / "config.toml", run_config_toml(r.config));
    std::vector<std::string> argv = {exe.string(), "train", "--config", (dir / "config.toml").string(), "--out",
                                     dir.string(), "--set", fmt::format("train.threads={}", r.threads)};
    for (const auto& [step, branch] : r.forks)
      argv.push_back("--fork"), argv.push_back(fmt::format("{}:{}", step, fork_path(branch).string()));
    std::error_code ec;
    if (!r.trunk.empty() && fs::exists(fork_path(r.name), ec))
      argv.push_back("--branch-from"), argv.push_back(fork_path(r.name).string());
    active.push_back({i, id, ChildProcess::spawn(argv, dir / "train.log"), Timer(), 0.0});
    log(fmt::format("sweep: start {} (N {}, D {}, {} thread{}{})", r.name, r.params_nonembedding, r.tokens, r.threads,
                    r.threads == 1 ? "" : "s",
                    r.trunk.empty() ? "" : fmt::format(", branch of {} at step {}", r.trunk, r.fork_step)));
  };

  auto finish = [&](Active& a) {
    const PlannedRun& r = plan.runs[a.index];
    const fs::path dir = run_dir(a.index);
    const ChildExit& e = a.child.exit();
    if (e.code == 0) {
      try {
        const Json res = read_run_result(dir);
        if (!store.finish_run(a.id, owner, res, read_run_curve(dir))) {
          log(fmt::format("sweep: {} was taken over by another worker meanwhile; this result is not recorded",
                          r.name));
          return;
        }
        ++result.trained;
        est_done += r.est_seconds;
        std::error_code ec;  // a finished branch's fork is no longer needed (a rerun would train from scratch, identically)
        if (!r.trunk.empty()) fs::remove(fork_path(r.name), ec);
        log(fmt::format("sweep: done {} val_loss {:.4f} in {}", r.name, res["final_val_loss"].get<double>(),
                        format_duration(a.timer.seconds())));
        return;
      } catch (const InputError& err) {
        if (store.fail_run(a.id, owner, err.what())) log(fmt::format("sweep: FAILED {}: {}", r.name, err.what()));
        return;
      }
    }
    if (e.code == kExitInterrupted || (e.signal == SIGINT && options.interrupt && options.interrupt->load())) {
      if (store.release(a.id, owner))
        log(fmt::format("sweep: interrupted {}; its checkpoint resumes it next time", r.name));
      return;
    }
    const std::string why = fmt::format("{}: {}", e.describe(), last_log_line(dir / "train.log"));
    est_done += r.est_seconds;
    if (store.fail_run(a.id, owner, why))
      log(fmt::format("sweep: FAILED {} ({}); see {}", r.name, why, (dir / "train.log").string()));
  };

  while (true) {
    // Reap finished children.
    for (auto it = active.begin(); it != active.end();) {
      if (it->child.poll()) {
        finish(*it);
        it = active.erase(it);
      } else {
        ++it;
      }
    }
    const bool stop = options.interrupt && options.interrupt->load();
    if (stop) {
      for (Active& a : active) a.child.signal(SIGINT);
      for (Active& a : active) a.child.wait(), finish(a);
      active.clear();
      result.interrupted = true;
      break;
    }

    const std::vector<RunRecord> records = store.runs(exp);
    std::map<std::string, const RunRecord*> by_name;
    for (const RunRecord& rec : records) by_name[rec.name] = &rec;
    auto status = [&](const std::string& name) { return by_name.at(name)->status; };
    auto ended = [&](const std::string& name) {
      const RunStatus s = status(name);
      return s == RunStatus::done || s == RunStatus::failed;
    };
    // What the scheduler (scheduler.h) decides from: each run's state, here and in the store.
    std::vector<RunView> views(plan.runs.size());
    bool pending = false;
    for (size_t i = 0; i < plan.runs.size(); ++i) {
      const PlannedRun& r = plan.runs[i];
      const RunRecord& rec = *by_name.at(r.name);
      std::error_code ec;
      views[i] = {rec.status, !rec.forecast.is_null(),
                  std::any_of(active.begin(), active.end(), [&](const Active& a) { return a.index == i; }),
                  !r.trunk.empty() && fs::exists(fork_path(r.name), ec)};
      pending = pending || !ended(r.name);
    }
    // Once the ladder has ended: fit, and save each held-out run's forecast before it trains.
    bool fitted_now = false;  // forecasts saved in this pass: held-out runs are ready next pass
    if (ladder_ended(plan, views) && !fitted) {
      fitted = true;
      fitted_now = true;
      bool need_fit = store.fit_kinds(exp).empty() || result.trained > 0;
      for (const PlannedRun& r : plan.runs)
        if (r.heldout && !ended(r.name) && by_name.at(r.name)->forecast.is_null()) need_fit = true;
      if (need_fit) {
        try {
          ExperimentFits f = fit_experiment(store, exp, options.fits);
          result.fit_notes = f.notes;
          log(fmt::format("sweep: fitted {} on {} runs: {}", f.approach3->law, f.approach3->points,
                          f.approach3->formula));
          for (const PlannedRun& r : plan.runs) {
            if (!r.heldout || ended(r.name) || !by_name.at(r.name)->forecast.is_null()) continue;
            const Json fc = forecast_heldout(*f.approach3, *by_name.at(r.name));
            store.set_forecast(ids[index_of[r.name]], fc);
            log(fmt::format("sweep: forecast for held-out {} saved before training: loss {:.4f}", r.name,
                            fc["predicted"].get<double>()));
          }
        } catch (const InputError& e) {
          log(fmt::format("sweep: no fit: {}", e.what()));
          for (const PlannedRun& r : plan.runs) {  // claimed first: another sweep may hold one
            const int64_t id = ids[index_of[r.name]];
            if (r.heldout && !ended(r.name) && store.try_claim(id, owner))
              (void)store.fail_run(id, owner, fmt::format("no forecast could be made: {}", e.what()));
          }
          continue;
        }
      }
    }

    if (!pending && active.empty()) break;

    // Start what is ready, while workers are free; a run another worker claimed is skipped.
    for (size_t i : ready_runs(plan, order, views)) {
      if (static_cast<int>(active.size()) >= plan.workers) break;
      if (!store.try_claim(ids[i], owner, SCALELAB_GIT_COMMIT)) continue;
      launch(i, ids[i]);
    }
    // A worker leaves once it trains nothing and can claim nothing: what is left is other
    // workers' (they fit and train the held-out runs when their ladder runs end).
    if (options.leave_when_idle && active.empty() && !fitted_now) break;

    // Heartbeats and the progress line.
    for (Active& a : active)
      if (a.timer.seconds() - a.last_heartbeat > kHeartbeatSeconds) {
        store.heartbeat(a.id, owner);
        a.last_heartbeat = a.timer.seconds();
      }
    if (options.progress) {
      if (!progress) progress.emplace("sweep", static_cast<int64_t>(std::max(1.0, est_total)), 0);
      int done = 0;
      for (const RunRecord& rec : records) done += rec.status == RunStatus::done;
      progress->update(static_cast<int64_t>(est_done),
                       fmt::format("{}/{} runs done, {} running", done, plan.runs.size(), active.size()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (progress) progress->finish();

  for (const RunRecord& rec : store.runs(exp)) {
    if (!index_of.count(rec.name)) continue;  // a run of an earlier version of the spec
    result.done += rec.status == RunStatus::done;
    result.failed += rec.status == RunStatus::failed;
    result.pending += rec.status == RunStatus::planned || rec.status == RunStatus::running;
  }
  result.complete = result.pending == 0;
  result.wall_seconds = wall.seconds();
  return result;
}

}  // namespace scalelab::sweep
