// The report's data and the summary from a store (report_builder.h), on runs whose losses
// come from a known Chinchilla law: the fit recovers it, residuals vanish, the held-out
// forecast is scored against its actual loss, and the summary has the fields the demo
// promises.
#include "report/report_builder.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../core/core_testing.h"
#include "report/html_report.h"
#include "fit/approach3.h"
#include "fit/law.h"
#include "sweep/experiment_fits.h"
#include "sweep/run_store.h"

namespace scalelab::report {
namespace {

using core_testing::ScratchDir;
using sweep::RunRow;
using sweep::RunStore;

// L(N, D) = E + A/N^alpha + B/D^beta with demo-like magnitudes.
double law(double N, double D) { return 1.2 + 40.0 / std::pow(N, 0.35) + 300.0 / std::pow(D, 0.3); }

RunRow row(const std::string& name, double N, double D, bool heldout, const std::string& kind = "") {
  RunRow r;
  r.name = name;
  r.config = {{"model", {{"N", N}}}, {"train", {{"tokens", D}}}};
  r.config_hash = r.config.dump();
  r.plan = {{"kind", !kind.empty() ? kind : heldout ? "heldout" : "ladder"},
            {"params_nonembedding", N},
            {"tokens", D},
            {"heldout", heldout}};
  return r;
}

Json result(double N, double D, double loss) {
  return {{"complete", true},        {"params_nonembedding", N}, {"params_total", N + 1000},
          {"tokens_trained", D},     {"tokens_per_step", 1000},  {"flops_6nd", 6 * N * D},
          {"final_val_loss", loss},  {"wall_seconds", 1.0}};
}

TEST(ReportBuilder, FromAStoreOfKnownLawRuns) {
  ScratchDir dir;
  RunStore store(dir / "s.sqlite");
  const int64_t exp = store.upsert_experiment("known", "[experiment]\nname = \"known\"\n", "h");
  std::vector<RunRow> rows;
  const std::vector<double> sizes = {1e4, 3e4, 1e5, 3e5}, budgets = {1e6, 3e6, 1e7};
  for (double N : sizes)
    for (double D : budgets) rows.push_back(row(fmt::format("n{}-d{}", N, D), N, D, false));
  const double hN = 6e5, hD = 2e7;
  rows.push_back(row("heldout", hN, hD, true));
  const std::vector<int64_t> ids = store.add_runs(exp, rows);
  for (size_t i = 0; i + 1 < rows.size(); ++i) {
    ASSERT_TRUE(store.try_claim(ids[i], RunStore::this_owner()));
    const double N = rows[i].plan["params_nonembedding"], D = rows[i].plan["tokens"];
    ASSERT_TRUE(store.finish_run(ids[i], RunStore::this_owner(), result(N, D, law(N, D)),
                     {{10, 10000, law(N, 1e4) + 0.1, law(N, 1e4), 1e-3}, {20, static_cast<int64_t>(D), law(N, D), law(N, D), 1e-4}}));
  }
  sweep::ExperimentFits fits = sweep::fit_experiment(store, exp, {.bootstrap = 30});
  ASSERT_TRUE(fits.approach3);
  EXPECT_NEAR(fits.approach3->param("alpha"), 0.35, 0.02);
  EXPECT_TRUE(fits.approach1.has_value()) << (fits.notes.empty() ? "" : fits.notes[0]);
  const Json fc = sweep::forecast_heldout(*fits.approach3, store.run(ids.back()));
  store.set_forecast(ids.back(), fc);
  EXPECT_NEAR(fc["predicted"].get<double>(), law(hN, hD), 0.01 * law(hN, hD));
  // The held-out run reaches 1% more than the law says.
  ASSERT_TRUE(store.try_claim(ids.back(), RunStore::this_owner()));
  ASSERT_TRUE(store.finish_run(ids.back(), RunStore::this_owner(), result(hN, hD, 1.01 * law(hN, hD)), {}));

  const ReportData d = build_report_data(store, "known");
  EXPECT_EQ(d.points.size(), 13u);
  EXPECT_EQ(d.curves.size(), 13u);
  for (const RunPoint& p : d.points) {
    if (p.heldout) continue;
    EXPECT_NEAR(p.residual, 0.0, 5e-3) << p.run;
  }
  EXPECT_EQ(d.law_by_size.size(), sizes.size());
  EXPECT_FALSE(d.frontier.x.empty());
  ASSERT_EQ(d.forecasts.size(), 1u);
  EXPECT_NEAR(d.forecasts[0].rel_error, 1.0 / 1.01 - 1.0, 3e-3);
  EXPECT_TRUE(d.isoflop.empty());  // no IsoFLOP runs in this design
  ASSERT_FALSE(d.allocation.empty());
  EXPECT_TRUE(std::isfinite(d.tokens_per_param) && d.tokens_per_param > 0);
  EXPECT_GE(d.story.size(), 4u);
  EXPECT_NE(d.story.back().find("relative error of"), std::string::npos) << d.story.back();
  EXPECT_FALSE(d.fits.empty());
  EXPECT_EQ(d.fits[0].kind, "approach3");

  const Json s = experiment_summary(store, "known", d, 12.5);
  for (const char* key : {"fit", "forecast", "tokens_per_param", "wall_seconds", "exponents", "story"})
    EXPECT_TRUE(s.contains(key)) << key;
  EXPECT_EQ(s["wall_seconds"].get<double>(), 12.5);
  EXPECT_NEAR(s["forecast"]["actual"].get<double>(), 1.01 * law(hN, hD), 1e-12);
  EXPECT_NEAR(s["forecast"]["rel_error"].get<double>(), d.forecasts[0].rel_error, 1e-12);
  EXPECT_NEAR(s["fit"]["params"]["beta"].get<double>(), 0.3, 0.02);

  // The page renders with every plot.
  const std::string html = render_report_html(d);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("heldout"), std::string::npos);
}

// A store whose approach-3 fit is another law (a power law in C): the story and the summary
// follow that law's formula and parameter names, not Chinchilla's.
TEST(ReportBuilder, TheStoryFollowsTheStoredLawsOwnFormulaAndNames) {
  ScratchDir dir;
  RunStore store(dir / "s.sqlite");
  const int64_t exp = store.upsert_experiment("power", "", "h");
  std::vector<RunRow> rows;
  for (double N : {1e4, 3e4, 1e5, 3e5})
    for (double D : {1e6, 1e7}) rows.push_back(row(fmt::format("n{}-d{}", N, D), N, D, false));
  const std::vector<int64_t> ids = store.add_runs(exp, rows);
  for (size_t i = 0; i < rows.size(); ++i) {
    const double N = rows[i].plan["params_nonembedding"], D = rows[i].plan["tokens"];
    ASSERT_TRUE(store.try_claim(ids[i], RunStore::this_owner()));
    ASSERT_TRUE(store.finish_run(ids[i], RunStore::this_owner(), result(N, D, 1.5 + 900 * std::pow(6 * N * D, -0.15)), {}));
  }
  fit::LawOptions by_compute;
  by_compute.variable = "C";
  const auto law = fit::make_law("power", by_compute);
  const fit::FitResult power = fit::fit_parametric(*law, sweep::experiment_observations(store.runs(exp), false), {});
  store.save_fit(exp, "approach3", power.to_json());

  const ReportData d = build_report_data(store, "power");
  ASSERT_GE(d.story.size(), 2u);
  const std::string& fitted = d.story[1];
  EXPECT_NE(fitted.find("Fitted " + power.formula + " with "), std::string::npos) << fitted;
  for (const std::string& name : power.names) EXPECT_NE(fitted.find(name + " = "), std::string::npos) << name;
  EXPECT_EQ(fitted.find("beta"), std::string::npos) << fitted;
  const Json s = experiment_summary(store, "power", d, 1.0);
  EXPECT_EQ(s["fit"]["law"], "power");
  EXPECT_NEAR(s["exponents"]["alpha"].get<double>(), 0.15, 0.01);
  EXPECT_TRUE(s["exponents"]["beta"].is_null());
  EXPECT_TRUE(d.allocation.empty());  // a law of compute alone says nothing of the split
  const std::string html = render_report_html(d);
  EXPECT_NE(html.find(power.formula), std::string::npos);
}

// A run's compute is what the run recorded under the named convention ("flops"); a run of
// an older scalelab without it is counted the same way, 6 N D.
TEST(ReportBuilder, RunsComputeIsTheOneTheyRecorded) {
  ScratchDir dir;
  RunStore store(dir / "s.sqlite");
  const int64_t exp = store.upsert_experiment("c", "", "h");
  const std::vector<int64_t> ids = store.add_runs(exp, {row("recorded", 1e4, 1e6, false), row("older", 2e4, 1e6, false)});
  Json recorded = result(1e4, 1e6, 3.0);
  recorded["flops"] = 7.5e10;  // e.g. imported from a tool that counts differently
  recorded["flops_convention"] = "6ND";
  ASSERT_TRUE(store.try_claim(ids[0], RunStore::this_owner()));
  ASSERT_TRUE(store.finish_run(ids[0], RunStore::this_owner(), recorded, {}));
  ASSERT_TRUE(store.try_claim(ids[1], RunStore::this_owner()));
  ASSERT_TRUE(store.finish_run(ids[1], RunStore::this_owner(), result(2e4, 1e6, 2.9), {}));
  const ReportData d = build_report_data(store, "c");
  ASSERT_EQ(d.points.size(), 2u);
  EXPECT_EQ(d.points[0].C, 7.5e10);
  EXPECT_EQ(d.points[1].C, 6 * 2e4 * 1e6);
  EXPECT_EQ(d.flops_convention, "6ND, N non-embedding");
}

// The calibration table gathers the held-out forecasts of every experiment in the store and
// says which intervals covered the loss the run reached.
TEST(ReportBuilder, CalibrationTableCoversEveryExperimentsHeldOutForecasts) {
  ScratchDir dir;
  RunStore store(dir / "s.sqlite");
  const std::string me = RunStore::this_owner();
  struct Case {
    std::string experiment;
    double predicted, lo, hi, actual;  // actual NaN: still pending; lo NaN: no interval
  };
  const double nan = std::nan("");
  const std::vector<Case> cases = {{"first", 2.0, 1.9, 2.1, 2.05},   // covered
                                   {"second", 2.0, 1.95, 2.05, 2.2},  // missed
                                   {"second", 3.0, 2.8, 3.2, nan},    // pending
                                   {"third", 1.5, nan, nan, 1.4}};    // no interval
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const int64_t exp = store.upsert_experiment(c.experiment, "", "h");
    const int64_t id = store.add_runs(exp, {row(fmt::format("heldout{}", i), 1e5, 1e7, true)})[0];
    Json fc = {{"predicted", c.predicted}, {"N", 1e5}, {"D", 1e7}, {"C", 6e12}, {"has_ci", !std::isnan(c.lo)}};
    if (!std::isnan(c.lo)) fc["lo"] = c.lo, fc["hi"] = c.hi;
    store.set_forecast(id, fc);
    if (std::isnan(c.actual)) continue;
    ASSERT_TRUE(store.try_claim(id, me));
    ASSERT_TRUE(store.finish_run(id, me, result(1e5, 1e7, c.actual), {}));
  }
  // A ladder run (no forecast) is no part of it.
  store.add_runs(store.upsert_experiment("first", "", "h"), {row("ladder", 1e4, 1e6, false)});

  const ReportData d = build_report_data(store, "second");
  ASSERT_EQ(d.forecasts.size(), 2u);    // this experiment's
  ASSERT_EQ(d.calibration.size(), 4u);  // the store's
  std::vector<int> covered;
  for (const CalibrationRow& c : d.calibration) covered.push_back(c.covered());
  EXPECT_EQ(covered, (std::vector<int>{1, 0, -1, -1}));
  EXPECT_EQ(d.calibration[0].experiment, "first");
  EXPECT_NEAR(d.calibration[1].forecast.rel_error, 2.0 / 2.2 - 1.0, 1e-12);

  const Json s = experiment_summary(store, "second", d, 1.0);
  EXPECT_EQ(s["calibration"]["forecasts"], 4);
  EXPECT_EQ(s["calibration"]["finished"], 3);
  EXPECT_EQ(s["calibration"]["with_interval"], 2);
  EXPECT_EQ(s["calibration"]["covered"], 1);
  const std::string html = render_report_html(d);
  EXPECT_NE(html.find("1 of 2 finished held-out runs with an interval fell inside it (50%)"), std::string::npos);
  EXPECT_NE(html.find("id=\"calibration\""), std::string::npos);
}

// IsoFLOP runs (a spec's [isoflop] budgets) give approach 2 and the report's profiles,
// whose minima sit at the law's compute-optimal N (Hoffmann et al. 2022, eq. 4).
TEST(ReportBuilder, IsoFlopRunsGiveApproach2AndProfiles) {
  ScratchDir dir;
  RunStore store(dir / "s.sqlite");
  const int64_t exp = store.upsert_experiment("iso", "", "h");
  std::vector<RunRow> rows;
  for (double C : {1e13, 1e14, 1e15})
    for (double k : {0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0}) {
      // Sizes around the law's optimum at C.
      const double a = 0.3 / (0.35 + 0.3), G = std::pow(0.35 * 40.0 / (0.3 * 300.0), 1.0 / (0.35 + 0.3));
      const double N = k * G * std::pow(C / 6.0, a), D = C / (6.0 * N);
      rows.push_back(row(fmt::format("c{}-k{}", C, k), N, D, false, "isoflop"));
    }
  const std::vector<int64_t> ids = store.add_runs(exp, rows);
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_TRUE(store.try_claim(ids[i], RunStore::this_owner()));
    const double N = rows[i].plan["params_nonembedding"], D = rows[i].plan["tokens"];
    ASSERT_TRUE(store.finish_run(ids[i], RunStore::this_owner(), result(N, D, law(N, D)), {}));
  }
  const sweep::ExperimentFits fits = sweep::fit_experiment(store, exp, {.bootstrap = 20});
  ASSERT_TRUE(fits.approach2.has_value()) << (fits.notes.empty() ? "" : fits.notes.back());
  // With C = 6ND exactly, a is the law's beta / (alpha + beta) = 0.3 / 0.65.
  EXPECT_NEAR(fits.approach2->param("a"), 0.3 / 0.65, 0.03);
  const ReportData d = build_report_data(store, "iso");
  ASSERT_EQ(d.isoflop.size(), 3u);
  for (const IsoFlopPanel& p : d.isoflop) {
    EXPECT_TRUE(p.usable);
    EXPECT_EQ(p.N.size(), 7u);
    EXPECT_FALSE(p.parabola.x.empty());
  }
  EXPECT_NE(render_report_html(d).find("IsoFLOP"), std::string::npos);
}

TEST(ReportBuilder, UnknownExperimentIsAnInputError) {
  ScratchDir dir;
  RunStore store(dir / "s.sqlite");
  const std::string msg = core_testing::input_error_message([&] { build_report_data(store, "nope"); });
  EXPECT_NE(msg.find("nope"), std::string::npos) << msg;
}

}  // namespace
}  // namespace scalelab::report
