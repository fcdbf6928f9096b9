// The executor end to end through the scalelab binary: a sweep SIGKILLed mid-run and run
// again ends with the same results as an uninterrupted sweep and a sound store; a run
// that crashes or diverges is recorded as failed while the sweep goes on; two sweeps on
// one store train every run exactly once. Each runs on a SQLite store and on PostgreSQL.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include "core/atomic_file.h"
#include "sweep/executor.h"
#include "sweep/planner.h"
#include "sweep/run_store.h"
#include "executor_testing.h"
#include "sweep_testing.h"

namespace scalelab {
namespace {

namespace fs = std::filesystem;
using sweep::RunRecord;
using sweep::RunStatus;
using sweep::RunStore;
using sweep_testing::ScratchDir;

using namespace executor_testing;

// The sweep tests that hold for every store, on SQLite and on PostgreSQL.
class ExecutorStores : public ::testing::TestWithParam<sweep_testing::StoreKind> {};
INSTANTIATE_TEST_SUITE_P(Stores, ExecutorStores, sweep_testing::StoreKinds, sweep_testing::store_kind_name);

// A sweep into store b (either kind) SIGKILLed mid-run and run again ends as an
// uninterrupted sweep into SQLite store a.
TEST_P(ExecutorStores, SigkillMidSweepThenRerunMatchesUninterrupted) {
  ScratchDir dir;
  const sweep_testing::ScratchStore where(GetParam());
  const std::string store = where.location();
  const fs::path b = where.dir().path();
  fs::create_directories(dir / "a");
  write_file_atomic(dir / "spec.toml", spec_text());

  ASSERT_EQ(wait_exit(start_sweep(dir / "spec.toml", dir / "a" / "store.sqlite")), 0)
      << read_file(dir / "a" / "sweep.log");

  // Kill the second sweep once some run has finished and others are under way.
  const pid_t pid = start_sweep(dir / "spec.toml", store, b);
  bool killed_mid_run = false;
  for (int i = 0; i < 600 && !killed_mid_run; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (GetParam() == sweep_testing::StoreKind::sqlite && !fs::exists(store)) continue;
    int done = 0, running = 0;
    try {
      for (const auto& [name, r] : by_name(store))
        done += r.status == RunStatus::done, running += r.status == RunStatus::running;
    } catch (const std::exception&) {
      continue;  // the store is being created
    }
    if (done >= 1 && running >= 1) {
      kill(pid, SIGKILL);
      killed_mid_run = true;
    }
  }
  ASSERT_TRUE(killed_mid_run) << read_file(b / "sweep.log");
  EXPECT_EQ(wait_exit(pid), 128 + SIGKILL);
  {
    auto mid = by_name(store);
    int unfinished = 0;
    for (const auto& [name, r] : mid) unfinished += r.status != RunStatus::done;
    EXPECT_GT(unfinished, 0) << "the kill came after the sweep had finished";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // children die with their parent
  ASSERT_EQ(wait_exit(start_sweep(dir / "spec.toml", store, b)), 0)
      << read_file(b / "sweep.log");

  expect_same_results((dir / "a" / "store.sqlite").string(), store);
}

// A plan recorded by `sweep --no-train` in store b (either kind), trained by `scalelab
// worker` processes: two at once, the first SIGKILLed while it trains a run; its run is
// taken over (on this host a dead pid frees it at once) and resumed from its checkpoint,
// by the other worker or by a third. The results equal one uninterrupted sweep's into
// SQLite store a, and no other run trains twice.
TEST_P(ExecutorStores, WorkersTrainARecordedPlanLikeOneSweep) {
  ScratchDir dir;
  const sweep_testing::ScratchStore where(GetParam());
  fs::create_directories(dir / "a");
  const fs::path b = where.dir().path();
  write_file_atomic(dir / "spec.toml", spec_text());
  const std::string store = where.location();
  ASSERT_EQ(wait_exit(start_sweep(dir / "spec.toml", dir / "a" / "store.sqlite")), 0)
      << read_file(dir / "a" / "sweep.log");
  ASSERT_EQ(wait_exit(start_sweep(dir / "spec.toml", store, b, {"--no-train"})), 0) << read_file(b / "sweep.log");
  for (const auto& [name, r] : by_name(store)) {
    EXPECT_EQ(r.status, RunStatus::planned) << name;  // recorded, not trained
    EXPECT_EQ(r.attempts, 0) << name;
  }

  auto worker = [&](int k) {
    return start_scalelab({"worker", "--store", store, "--runs-dir", (b / "runs").string(), "--bootstrap", "20"},
                          b / ("worker" + std::to_string(k) + ".log"));
  };
  auto logs = [&] {
    std::string all;
    for (int k : {1, 2, 3})
      if (fs::exists(b / ("worker" + std::to_string(k) + ".log")))
        all += read_file(b / ("worker" + std::to_string(k) + ".log"));
    return all;
  };
  const pid_t w1 = worker(1), w2 = worker(2);
  std::string killed_run;
  const std::string w1_owner_part = ":" + std::to_string(w1) + ":";
  for (int i = 0; i < 600 && killed_run.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (const auto& [name, r] : by_name(store))
      if (r.status == RunStatus::running && r.owner.find(w1_owner_part) != std::string::npos) {
        kill(w1, SIGKILL);
        killed_run = name;
        break;
      }
  }
  ASSERT_FALSE(killed_run.empty()) << "worker 1 never held a run\n" << logs();
  EXPECT_EQ(wait_exit(w1), 128 + SIGKILL);
  EXPECT_EQ(wait_exit(w2), 0) << logs();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // children die with their parent
  ASSERT_EQ(wait_exit(worker(3)), 0) << logs();

  expect_same_results((dir / "a" / "store.sqlite").string(), store);
  for (const auto& [name, r] : by_name(store)) {
    const std::string log = read_file(b / "runs" / "t" / name / "train.log");
    const size_t sessions = train_sessions(log);
    if (name == killed_run) {
      EXPECT_EQ(r.attempts, 2) << name;  // taken over once
    } else {
      EXPECT_EQ(r.attempts, 1) << name << "\n" << logs();
      EXPECT_EQ(sessions, 1u) << name;
    }
  }
}

TEST(Executor, WorkerBadInput) {
  ScratchDir dir;
  const fs::path missing = dir / "nowhere" / "store.sqlite";
  ASSERT_NE(wait_exit(start_scalelab({"worker", "--store", missing.string()}, dir / "w.log")), 0);
  const std::string err = read_file(dir / "w.log");
  EXPECT_NE(err.find("--store " + missing.string() + ": no run store there"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(missing));  // nothing created
  // An experiment the store does not have.
  write_file_atomic(dir / "spec.toml", spec_text());
  ASSERT_EQ(wait_exit(start_sweep(dir / "spec.toml", dir / "store.sqlite", {"--no-train"})), 0);
  EXPECT_EQ(wait_exit(start_scalelab({"worker", "--store", (dir / "store.sqlite").string(), "--experiment", "nope"},
                                     dir / "w2.log")), 2);
  const std::string err2 = read_file(dir / "w2.log");
  EXPECT_NE(err2.find("experiment 'nope' is not in"), std::string::npos) << err2;
}

TEST_P(ExecutorStores, CrashedAndDivergedRunsAreRecordedAndTheSweepGoesOn) {
  const sweep_testing::ScratchStore where(GetParam()), where2(GetParam());
  const fs::path dir = where.dir().path();
  const sweep::ExperimentSpec spec = sweep::parse_spec(spec_text(), "spec.toml");
  const sweep::Plan plan = sweep::make_plan(spec, {.workers = 2, .threads = 2, .probe = false});
  // A wrapper that kills one run's trainer with SIGSEGV and passes the others on.
  std::string victim;
  for (const auto& r : plan.runs)
    if (!r.trunk.empty()) victim = r.name;  // a branch: its trunk and the rest still finish
  ASSERT_FALSE(victim.empty());
  const fs::path wrapper = dir / "train-wrapper.sh";
  write_file_atomic(wrapper, "#!/bin/sh\ncase \"$*\" in *\"/" + victim + " --set\"*) kill -SEGV $$ ;; esac\nexec " + binary() +
                                 " \"$@\"\n");
  fs::permissions(wrapper, fs::perms::owner_all);
  RunStore store(where.location());
  sweep::SweepOptions opt;
  opt.runs_dir = dir / "runs";
  opt.executable = wrapper;
  opt.progress = false;
  opt.fits.bootstrap = 10;
  const sweep::SweepResult r = sweep::run_sweep(spec, plan, store, opt);
  EXPECT_TRUE(r.complete);
  for (const RunRecord& rec : store.runs(r.experiment_id)) {
    if (rec.name == victim) {
      EXPECT_EQ(rec.status, RunStatus::failed);
      EXPECT_NE(rec.error.find("signal 11"), std::string::npos) << rec.error;
    } else if (!rec.plan.value("heldout", false)) {
      EXPECT_EQ(rec.status, RunStatus::done) << rec.name << ": " << rec.error;
    }
  }

  // Divergence: an absurd learning rate makes every run's loss non-finite.
  const fs::path dir2 = where2.dir().path();
  const sweep::ExperimentSpec bad = sweep::parse_spec(spec_text("rule = \"fixed\"\nlr = 1e9\n"), "bad.toml");
  const sweep::Plan bad_plan = sweep::make_plan(bad, {.workers = 2, .threads = 2, .probe = false});
  RunStore store2(where2.location());
  sweep::SweepOptions opt2;
  opt2.runs_dir = dir2 / "runs";
  opt2.executable = binary();
  opt2.progress = false;
  const sweep::SweepResult r2 = sweep::run_sweep(bad, bad_plan, store2, opt2);
  EXPECT_TRUE(r2.complete);
  EXPECT_EQ(r2.done, 0);
  for (const RunRecord& rec : store2.runs(r2.experiment_id)) {
    EXPECT_EQ(rec.status, RunStatus::failed) << rec.name;
    if (!rec.plan.value("heldout", false))
      EXPECT_NE(rec.error.find("diverged"), std::string::npos) << rec.error;
    else
      EXPECT_NE(rec.error.find("no forecast"), std::string::npos) << rec.error;
  }
}

// Two sweeps of one spec (two users of a lab's store) started together train every run once.
TEST_P(ExecutorStores, TwoSweepsOnOneStoreTrainEveryRunOnce) {
  const sweep_testing::ScratchStore where(GetParam());
  const fs::path dir = where.dir().path();
  write_file_atomic(dir / "spec.toml", spec_text());
  const pid_t p1 = start_sweep(dir / "spec.toml", where.location(), dir);
  const pid_t p2 = start_sweep(dir / "spec.toml", where.location(), dir);
  EXPECT_EQ(wait_exit(p1), 0) << read_file(dir / "sweep.log");
  EXPECT_EQ(wait_exit(p2), 0) << read_file(dir / "sweep.log");
  const auto runs = by_name(where.location());
  ASSERT_EQ(runs.size(), 7u);
  for (const auto& [name, r] : runs) {
    EXPECT_EQ(r.status, RunStatus::done) << name << ": " << r.error;
    EXPECT_EQ(r.attempts, 1) << name;
    const std::string log = read_file(dir / "runs" / "t" / name / "train.log");
    const size_t sessions = train_sessions(log);
    EXPECT_EQ(sessions, 1u) << name;
  }
}

}  // namespace
}  // namespace scalelab
