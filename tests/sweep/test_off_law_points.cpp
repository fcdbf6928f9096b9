// Final points off the law (off_law_points.h): a larger model above a smaller one at the
// same tokens, and a size above its own shorter run, are found; noise-sized rises are not;
// the sweep's fit leaves found points out with a note, unless too few would remain.
#include "sweep/off_law_points.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sweep/experiment_fits.h"
#include "sweep_testing.h"

namespace scalelab::sweep {
namespace {

using sweep_testing::make_result;
using sweep_testing::make_row;

double law(double N, double D) { return 1.2 + 40.0 / std::pow(N, 0.35) + 300.0 / std::pow(D, 0.3); }

fit::Observation point(const std::string& run, double N, double D, double loss) {
  return {.N = N, .D = D, .C = 6 * N * D, .loss = loss, .run = run};
}

TEST(OffLawPoints, APlateauAndARiseWithDataAreFoundAndNoiseIsNot) {
  fit::Observations pts;
  for (double N : {1e4, 3e4, 1e5})
    for (double D : {1e6, 3e6, 1e7}) pts.push_back(point(fmt::format("n{}-d{}", N, D), N, D, law(N, D)));
  EXPECT_TRUE(find_off_law_points(pts).empty());
  pts[8].loss *= 1.004;  // noise-sized departures from the law change nothing
  pts[7].loss *= 1.003;
  EXPECT_TRUE(find_off_law_points(pts).empty());
  // The largest model on the fewest tokens ends above the smallest one there.
  pts[6].loss = law(1e4, 1e6) * 1.11;
  // The smallest size ends 5% higher with its most tokens than with its middle budget.
  pts[2].loss = pts[1].loss * 1.05;
  const std::vector<OffLawPoint> off = find_off_law_points(pts);
  ASSERT_EQ(off.size(), 2u);
  EXPECT_EQ(off[0].run, pts[6].run);
  // Compared with the lowest loss of the smaller models on its tokens: n3e4's.
  EXPECT_NE(off[0].why.find(fmt::format("is {:.1f}% above {}'s", 100 * (pts[6].loss / pts[3].loss - 1), pts[3].run)),
            std::string::npos)
      << off[0].why;
  EXPECT_NE(off[0].why.find("pre-law plateau"), std::string::npos) << off[0].why;
  EXPECT_EQ(off[1].run, pts[2].run);
  EXPECT_NE(off[1].why.find("the same size on fewer tokens"), std::string::npos) << off[1].why;
  // A wider tolerance keeps the 5% rise.
  const std::vector<OffLawPoint> wide = find_off_law_points(pts, 0.06);
  ASSERT_EQ(wide.size(), 1u) << wide[1].run << ": " << wide[1].why;
  EXPECT_EQ(wide[0].run, pts[6].run);
}

// The sweep's fit: the plateau point is left out (a note says so and the fit's message
// names it) and the law is recovered from the rest.
TEST(OffLawPoints, TheSweepFitLeavesThemOutWithANote) {
  sweep_testing::StoreFixture f;
  std::vector<RunRow> rows;
  for (double N : {1e4, 3e4, 1e5, 3e5})
    for (double D : {1e6, 3e6, 1e7}) rows.push_back(make_row(fmt::format("n{}-d{}", N, D), N, D));
  const int64_t exp = f.store.upsert_experiment("ladder", "", "h");
  const std::vector<int64_t> ids = f.store.add_runs(exp, rows);
  for (size_t i = 0; i < rows.size(); ++i) {
    const double N = rows[i].plan["params"], D = rows[i].plan["tokens"];
    const double loss = rows[i].name == "n300000-d1000000" ? 1.15 * law(1e4, 1e6) : law(N, D);
    ASSERT_TRUE(f.store.try_claim(ids[i], RunStore::this_owner()));
    ASSERT_TRUE(f.store.finish_run(ids[i], RunStore::this_owner(),
                                   make_result(static_cast<int64_t>(N), static_cast<int64_t>(N) + 1000,
                                               static_cast<int64_t>(D), loss),
                                   {}));
  }
  const ExperimentFits fits = fit_experiment(f.store, exp, {.bootstrap = 0});
  ASSERT_TRUE(fits.approach3);
  EXPECT_EQ(fits.approach3->points, 11);
  EXPECT_NE(fits.approach3->message.find("n300000-d1000000"), std::string::npos) << fits.approach3->message;
  ASSERT_FALSE(fits.notes.empty());
  EXPECT_NE(fits.notes[0].find("left out of the fit: n300000-d1000000: "), std::string::npos) << fits.notes[0];
  EXPECT_NEAR(fits.approach3->param("alpha"), 0.35, 0.01);
  EXPECT_NEAR(fits.approach3->param("beta"), 0.3, 0.01);
}

}  // namespace
}  // namespace scalelab::sweep
