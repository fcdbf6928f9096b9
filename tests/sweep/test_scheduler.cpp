// The scheduler's rules (sweep/scheduler.h) on a hand-made plan: a plain ladder run, a WSD
// trunk with one branch, and two held-out runs.
#include <gtest/gtest.h>

#include <vector>

#include "sweep/scheduler.h"

namespace scalelab::sweep {
namespace {

// 0 plain (10 s), 1 trunk (30 s), 2 branch of 1 (5 s), 3 held-out (40 s), 4 held-out (50 s).
Plan test_plan() {
  Plan plan;
  auto run = [](const char* name, double est) {
    PlannedRun r;
    r.name = name;
    r.est_seconds = est;
    return r;
  };
  plan.runs = {run("plain", 10), run("trunk", 30), run("branch", 5), run("held1", 40), run("held2", 50)};
  plan.runs[1].forks = {{100, "branch"}};
  plan.runs[2].trunk = "trunk";
  plan.runs[2].fork_step = 100;
  plan.runs[3].heldout = plan.runs[4].heldout = true;
  plan.workers = 2;
  return plan;
}

using V = std::vector<size_t>;

TEST(Scheduler, LaunchOrderPutsTrunksFirstThenLongestAndHeldOutLast) {
  EXPECT_EQ(launch_order(test_plan()), (V{1, 0, 2, 4, 3}));
}

TEST(Scheduler, BranchesWaitForTheirForkOrTheirTrunk) {
  const Plan plan = test_plan();
  const V order = launch_order(plan);
  std::vector<RunView> views(plan.runs.size());
  EXPECT_EQ(ready_runs(plan, order, views), (V{1, 0}));  // the branch has no fork yet
  views[1].running_here = true;
  EXPECT_EQ(ready_runs(plan, order, views), (V{0}));
  views[2].fork_ready = true;  // the trunk wrote the branch's fork
  EXPECT_EQ(ready_runs(plan, order, views), (V{0, 2}));
  views[2].fork_ready = false;
  views[1] = {RunStatus::done, false, false, false};  // a trunk that ended without the fork
  EXPECT_EQ(ready_runs(plan, order, views), (V{0, 2}));
  // The trunk running under another worker: the branch waits for the fork. The trunk
  // itself stays a candidate: if its owner died, try_claim takes it over (the caller's call).
  views[1].status = RunStatus::running;
  EXPECT_EQ(ready_runs(plan, order, views), (V{1, 0}));
}

TEST(Scheduler, EndedAndRunningRunsAreNotStartedAgain) {
  const Plan plan = test_plan();
  std::vector<RunView> views(plan.runs.size());
  views[0].status = RunStatus::done;
  views[1].status = RunStatus::failed;
  EXPECT_EQ(ready_runs(plan, launch_order(plan), views), (V{2}));  // the trunk ended: the branch from scratch
  views[2].running_here = true;
  EXPECT_TRUE(ready_runs(plan, launch_order(plan), views).empty());
}

TEST(Scheduler, HeldOutRunsWaitForTheLadderAndTheirForecastAndRunAlone) {
  const Plan plan = test_plan();
  const V order = launch_order(plan);
  std::vector<RunView> views(plan.runs.size());
  views[3].forecast_saved = views[4].forecast_saved = true;
  views[0].status = views[1].status = RunStatus::done;
  views[2].status = RunStatus::running;  // another worker still trains a ladder run
  EXPECT_FALSE(ladder_ended(plan, views));
  EXPECT_EQ(ready_runs(plan, order, views), (V{2}));  // (a takeover candidate), no held-out run
  views[2].status = RunStatus::failed;
  EXPECT_TRUE(ladder_ended(plan, views));
  EXPECT_EQ(ready_runs(plan, order, views), (V{4}));  // one at a time, longest first
  views[4].running_here = true;
  EXPECT_TRUE(ready_runs(plan, order, views).empty());  // nothing beside a held-out run
  views[4] = {RunStatus::done, true, false, false};
  EXPECT_EQ(ready_runs(plan, order, views), (V{3}));
  views[3].forecast_saved = false;  // no forecast: it does not train
  EXPECT_TRUE(ready_runs(plan, order, views).empty());
}

}  // namespace
}  // namespace scalelab::sweep
