// The embedded demo spec meets what the demo promises (issue 4): at least 6 sizes over at
// least 1.5 decades of non-embedding N, at least 2 token budgets per size (WSD branches
// count), and one held-out run with at least 4x the compute of the largest other run.
#include "sweep/demo_spec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "sweep/planner.h"

namespace scalelab::sweep {
namespace {

Plan demo_plan() {
  // The Brown corpus may not be prepared where the tests run; the plan's shape does not
  // depend on the corpus beyond its size.
  const std::string sample = std::string(SCALELAB_SOURCE_DIR) + "/tests/data/corpus/train_sample.txt";
  return make_plan(demo_spec(), {.workers = 2, .threads = 2, .probe = false, .sets = {"data.path=" + sample}});
}

TEST(DemoSpec, MeetsTheDemoDesign) {
  const ExperimentSpec spec = demo_spec();
  EXPECT_EQ(spec.name, "demo");
  EXPECT_TRUE(spec.wsd_reuse);
  const Plan plan = demo_plan();
  std::map<int64_t, int> budgets_per_size;
  double max_other_flops = 0, heldout_flops = 0;
  int heldout = 0;
  for (const PlannedRun& r : plan.runs) {
    if (r.heldout) {
      ++heldout;
      heldout_flops = r.flops;
      continue;
    }
    ++budgets_per_size[r.params_nonembedding];
    max_other_flops = std::max(max_other_flops, r.flops);
  }
  ASSERT_GE(budgets_per_size.size(), 6u);
  for (const auto& [n, k] : budgets_per_size) EXPECT_GE(k, 2) << "size " << n;
  const double decades = std::log10(static_cast<double>(budgets_per_size.rbegin()->first) /
                                    static_cast<double>(budgets_per_size.begin()->first));
  EXPECT_GE(decades, 1.5);
  EXPECT_EQ(heldout, 1);
  // Compute as the planner and the report count it: C = 6 N D with N non-embedding
  // (Kaplan et al. 2020). (In the full count of Hoffmann et al. 2022, appendix F, which
  // adds embeddings and attention, the long runs of the tiny models weigh more.)
  EXPECT_GE(heldout_flops / max_other_flops, 4.0);
  // WSD reuse saves compute.
  EXPECT_LT(plan.tokens_to_train, plan.tokens_without_reuse);
}

TEST(DemoSpec, PrintedSpecIsTheOneThatRuns) {
  const ExperimentSpec a = demo_spec();
  const ExperimentSpec b = parse_spec(demo_spec_text(), "printed.toml");
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.run_sections, b.run_sections);
}

}  // namespace
}  // namespace scalelab::sweep
