// defines: sweep::launch_order, sweep::ladder_ended, sweep::ready_runs (the rules are in
// scheduler.h)
#include "sweep/scheduler.h"

#include <algorithm>

#include "core/error.h"

namespace scalelab::sweep {

namespace {
bool ended(RunStatus s) { return s == RunStatus::done || s == RunStatus::failed; }
}  // namespace

std::vector<size_t> launch_order(const Plan& plan) {
  std::vector<size_t> order(plan.runs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const PlannedRun &x = plan.runs[a], &y = plan.runs[b];
    if (x.heldout != y.heldout) return !x.heldout;
    if (x.trunk.empty() != y.trunk.empty()) return x.trunk.empty();
    return x.est_seconds > y.est_seconds;
  });
  return order;
}

bool ladder_ended(const Plan& plan, const std::vector<RunView>& views) {
  SL_ASSERT(views.size() == plan.runs.size());
  for (size_t i = 0; i < plan.runs.size(); ++i)
    if (!plan.runs[i].heldout && !ended(views[i].status)) return false;
  return true;
}

std::vector<size_t> ready_runs(const Plan& plan, const std::vector<size_t>& order, const std::vector<RunView>& views) {
  SL_ASSERT(views.size() == plan.runs.size());
  bool busy_here = false, heldout_here = false;
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    busy_here = busy_here || views[i].running_here;
    heldout_here = heldout_here || (views[i].running_here && plan.runs[i].heldout);
  }
  if (heldout_here) return {};  // a held-out run trains alone
  const bool ladder_done = ladder_ended(plan, views);
  auto trunk_ended = [&](const std::string& trunk) {
    for (size_t j = 0; j < plan.runs.size(); ++j)
      if (plan.runs[j].name == trunk) return ended(views[j].status);
    return true;  // a trunk not in this plan cannot hold the branch back
  };
  std::vector<size_t> ready;
  for (size_t i : order) {
    const PlannedRun& r = plan.runs[i];
    const RunView& v = views[i];
    if (v.running_here || ended(v.status)) continue;
    if (r.heldout) {
      if (!ladder_done || busy_here || !v.forecast_saved) continue;
      if (ready.empty()) return {i};  // alone
      continue;
    }
    if (!r.trunk.empty() && !v.fork_ready && !trunk_ended(r.trunk)) continue;
    ready.push_back(i);
  }
  return ready;
}

}  // namespace scalelab::sweep
