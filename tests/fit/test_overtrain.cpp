// The over-training law and the loss-to-error law of Gadre et al. 2024 (arXiv:2403.08540,
// eqs. 4 and 5), the least-squares objective, row selection (--where/--heldout) in the
// reader, and the paper's RedPajama reproduction on tests/data/gadre2024_runs.csv.
// Value and gradient checks of the law by finite differences are in test_laws.cpp, and
// its Huber-objective recovery in test_recovery.cpp (both loop over every law).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/rng.h"
#include "fit/approach3.h"
#include "fit/error_law.h"
#include "fit_testing.h"
#include "fit/heldout.h"
#include "fit/law.h"
#include "fit/objective.h"
#include "fit/observations_io.h"
#include "fit/row_filter.h"

namespace scalelab::fit {
namespace {

using testing::input_error_message;

const std::vector<double> kTruth = {1.8, 210, 370, 0.14};  // E, a, b, eta

// Four sizes 1e7 .. 1e10 at tokens per parameter M in {5, 20, 80, 320}.
Observations over_training_design() {
  Observations obs;
  for (double N : {1e7, 1e8, 1e9, 1e10})
    for (double M : {5.0, 20.0, 80.0, 320.0}) {
      Observation o{.N = N, .D = M * N};
      o.C = 6 * o.N * o.D;
      obs.push_back(o);
    }
  return obs;
}

TEST(Overtrain, IsChinchillaWithBothExponentsTwoEta) {
  // a M^eta C^-eta = a 6^-eta N^-2eta and b M^-eta C^-eta = b 6^-eta D^-2eta.
  auto ot = make_law("overtrain"), ch = make_law("chinchilla");
  const double E = kTruth[0], a = kTruth[1], b = kTruth[2], eta = kTruth[3];
  std::vector<double> chp = {E, a * std::pow(6.0, -eta), b * std::pow(6.0, -eta), 2 * eta, 2 * eta};
  for (const auto& o : over_training_design()) {
    EXPECT_NEAR(ot->predict(kTruth, o), ch->predict(chp, o), 1e-12 * ch->predict(chp, o));
    double M = o.D / o.N, C = 6 * o.N * o.D;
    EXPECT_NEAR(ot->predict(kTruth, o), E + (a * std::pow(M, eta) + b * std::pow(M, -eta)) * std::pow(C, -eta), 1e-12);
  }
  EXPECT_EQ(ot->param_names(), (std::vector<std::string>{"E", "a", "b", "eta"}));
}

TEST(Overtrain, MOptMinimisesLossAtFixedCompute) {
  auto law = make_law("overtrain");
  double Mopt = law->derived(kTruth).at("M_opt");
  EXPECT_NEAR(Mopt, std::pow(kTruth[2] / kTruth[1], 1 / (2 * kTruth[3])), 1e-12);
  const double C = 1e21;
  auto at = [&](double M) {
    double N = std::sqrt(C / (6 * M));
    return law->predict(kTruth, Observation{.N = N, .D = M * N});
  };
  EXPECT_LT(at(Mopt), at(Mopt * 1.2));
  EXPECT_LT(at(Mopt), at(Mopt / 1.2));
}

TEST(Overtrain, DesignAtOneTokensPerParameterIsAnInputError) {
  Observations obs;
  for (double N : {1e7, 1e8, 1e9, 1e10, 1e11}) {
    Observation o{.N = N, .D = 20 * N, .loss = 3.0};
    o.C = 6 * o.N * o.D;
    obs.push_back(o);
  }
  std::string msg = input_error_message([&] { fit_parametric(*make_law("overtrain"), obs, FitOptions{}); });
  EXPECT_NE(msg.find("overtrain"), std::string::npos) << msg;
  EXPECT_NE(msg.find("M = D/N"), std::string::npos) << msg;
}

TEST(Overtrain, LeastSquaresGradientMatchesFiniteDifferences) {
  auto law = make_law("overtrain");
  Observations obs = over_training_design();
  Rng rng(3);
  for (auto& o : obs) o.loss = law->predict(kTruth, o) + 0.05 * rng.normal();
  Points pts = Points::from(obs);
  std::vector<double> theta(4), g(4), gp(4), w(pts.size(), 1.0);
  law->to_fit(std::vector<double>{2.0, 150, 500, 0.12}, theta);
  w[3] = 2;  // a bootstrap weight
  least_squares_objective(*law, theta, pts, w, g);
  for (size_t j = 0; j < 4; ++j) {
    const double h = 1e-6;
    auto t = theta;
    t[j] += h;
    double fp = least_squares_objective(*law, t, pts, w, gp);
    t[j] -= 2 * h;
    double fm = least_squares_objective(*law, t, pts, w, gp);
    EXPECT_NEAR(g[j], (fp - fm) / (2 * h), 1e-6 * std::max(1.0, std::fabs(g[j]))) << j;
  }
}

TEST(Overtrain, LeastSquaresRecoversKnownParametersAndRecordsTheObjective) {
  auto law = make_law("overtrain");
  Observations obs = over_training_design();
  Rng rng(5);
  for (auto& o : obs) o.loss = law->predict(kTruth, o) + 0.002 * rng.normal();  // additive noise
  FitOptions opt;
  opt.objective = ObjectiveKind::kLeastSquares;
  FitResult r = fit_parametric(*law, obs, opt);
  EXPECT_TRUE(r.converged) << r.message;
  const std::vector<double> tol = {0.02, 0.2, 0.2, 0.03};
  for (size_t j = 0; j < 4; ++j) EXPECT_NEAR(r.params[j], kTruth[j], tol[j] * kTruth[j]) << r.names[j];
  EXPECT_EQ(r.objective_kind, ObjectiveKind::kLeastSquares);
  Json j = r.to_json();
  EXPECT_EQ(j["objective_kind"], "lsq");
  EXPECT_EQ(FitResult::from_json(j).objective_kind, ObjectiveKind::kLeastSquares);
  j.erase("objective_kind");  // fits written before the option was added
  EXPECT_EQ(FitResult::from_json(j).objective_kind, ObjectiveKind::kHuberLog);
  EXPECT_NE(input_error_message([] { parse_objective_kind("l2"); }).find("--objective"), std::string::npos);
}

TEST(ErrorLaw, RecoversKnownParameters) {
  const double eps = 0.86, k = 2.2, gamma = 0.71;
  Observations rows;
  Rng rng(9);
  for (double L : {2.6, 2.9, 3.2, 3.5, 3.9, 4.3, 4.8, 5.4}) {
    Observation o;
    o.loss = L;
    o.error = eps - k * std::exp(-gamma * L) + 0.0005 * rng.normal();
    rows.push_back(o);
  }
  ErrorLawFit e = fit_error_law(rows, FitOptions{});
  EXPECT_TRUE(e.converged) << e.message;
  EXPECT_NEAR(e.epsilon, eps, 0.02);
  EXPECT_NEAR(e.k, k, 0.3);
  EXPECT_NEAR(e.gamma, gamma, 0.05);
  EXPECT_NEAR(e.predict(3.0), eps - k * std::exp(-gamma * 3.0), 0.002);
  EXPECT_EQ(e.to_json()["params"]["gamma"].get<double>(), e.gamma);
}

TEST(ErrorLaw, TooFewRowsOrMissingErrorsAreInputErrors) {
  Observations rows(3);
  for (size_t i = 0; i < rows.size(); ++i) rows[i].loss = 3.0 + i, rows[i].error = 0.6;
  EXPECT_NE(input_error_message([&] { fit_error_law(rows, FitOptions{}); }).find("error law: 3 rows"),
            std::string::npos);
  rows.resize(5);
  for (size_t i = 0; i < rows.size(); ++i) rows[i].loss = 3.0 + i, rows[i].row = i + 1;
  rows[4].error = std::nan("");
  rows[3].error = 0.5;
  std::string msg = input_error_message([&] { fit_error_law(rows, FitOptions{}); });
  EXPECT_NE(msg.find("row 5"), std::string::npos) << msg;
}

TEST(RowFilter, ParsesValueListsAndNegates) {
  RowFilter f = RowFilter::parse("role=fit_loss,fit_error", "--where");
  EXPECT_EQ(f.column, "role");
  EXPECT_EQ(f.values, (std::vector<std::string>{"fit_loss", "fit_error"}));
  EXPECT_TRUE(f.matches("fit_error"));
  EXPECT_FALSE(f.matches("target"));
  EXPECT_FALSE(f.matches(""));
  EXPECT_TRUE(f.negated().matches("target"));
  EXPECT_EQ(f.negated().describe(), "not --where role=fit_loss,fit_error");
  for (const char* bad : {"role", "=x", "role=", "role=a,,b"})
    EXPECT_NE(input_error_message([&] { RowFilter::parse(bad, "--heldout"); }).find("--heldout"), std::string::npos)
        << bad;
}

const char* kCsv =
    "name,N,D,loss,role,set,err\n"
    "s1,1e7,2e8,4.0,fit,a,0.8\n"
    "s2,1e8,2e9,3.5,fit,a,\n"
    "t1,1e9,2e10,3.0,target,a,0.6\n"
    "x1,bad,2e10,3.0,fit,b,0.6\n";

TEST(ReadRows, WhereFiltersBeforeParsingAndReadsNamesAndErrors) {
  ReadOptions opt;
  opt.cols.name = "name";
  opt.cols.error = "err";
  opt.where = {RowFilter::parse("set=a", "--where")};
  Observations all = parse_csv_observations(kCsv, "t.csv", opt);  // row x1 (N = "bad") is never parsed
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].name, "t1");
  EXPECT_EQ(all[2].row, 3u);
  EXPECT_DOUBLE_EQ(all[0].error, 0.8);
  EXPECT_TRUE(std::isnan(all[1].error));
  opt.where.push_back(RowFilter::parse("role=target", "--heldout").negated());
  EXPECT_EQ(parse_csv_observations(kCsv, "t.csv", opt).size(), 2u);
  opt.where.push_back(RowFilter::parse("role=none", "--fit-rows"));
  EXPECT_NE(input_error_message([&] { parse_csv_observations(kCsv, "t.csv", opt); }).find("no data rows"),
            std::string::npos);
  opt.allow_empty = true;
  EXPECT_TRUE(parse_csv_observations(kCsv, "t.csv", opt).empty());
  opt.where = {RowFilter::parse("dataset=a", "--where")};
  std::string msg = input_error_message([&] { parse_csv_observations(kCsv, "t.csv", opt); });
  EXPECT_NE(msg.find("--where: t.csv: no column \"dataset\""), std::string::npos) << msg;
  opt.where.clear();
  opt.cols.error = "downstream";
  msg = input_error_message([&] { parse_csv_observations(kCsv, "t.csv", opt); });
  EXPECT_NE(msg.find("missing column \"downstream\""), std::string::npos) << msg;
}

// Gadre et al. 2024's procedure on one training set: the over-training law by least squares
// on raw C4 loss over the 5 fit_loss runs, the error law over fit_loss + fit_error, both
// chained onto the two target runs.
std::vector<HeldoutForecast> reproduce(const std::string& dataset) {
  const std::string path = std::string(SCALELAB_SOURCE_DIR) + "/tests/data/gadre2024_runs.csv";
  ReadOptions base;
  base.cols.N = "params";
  base.cols.D = "tokens";
  base.cols.loss = "c4_loss";
  base.cols.error = "avg_top1_error";
  base.cols.name = "name";
  auto rows = [&](const std::string& role) {
    ReadOptions r = base;
    r.where = {RowFilter::parse("dataset=" + dataset, "--where"), RowFilter::parse("role=" + role, "--fit-rows")};
    return read_observations(path, r);
  };
  FitOptions opt;
  opt.objective = ObjectiveKind::kLeastSquares;
  FitResult fit = fit_parametric(*make_law("overtrain"), rows("fit_loss"), opt);
  EXPECT_TRUE(fit.converged) << fit.message;
  EXPECT_EQ(fit.points, 5);
  ErrorLawFit err = fit_error_law(rows("fit_loss,fit_error"), opt);
  EXPECT_EQ(err.points, 6);
  return forecast_heldout(fit, rows("target"), &err);
}

TEST(Gadre2024, RedPajamaTargetsWithinOnePercentLossAndThePapersError) {
  auto h = reproduce("rpj");
  ASSERT_EQ(h.size(), 2u);
  // Paper (RedPajama, C4 eval loss; 17-task top-1 error): 1.4B at M = 640: 0.71%, 3.64%;
  // 6.9B at M = 20: 0.73%, 0.05%.
  EXPECT_EQ(h[0].row.name, "rpj-open_lm_1b-32.0");
  EXPECT_EQ(h[1].row.name, "rpj-open_lm_7b-1.0");
  const double paper_loss[] = {0.0071, 0.0073}, paper_err[] = {0.0364, 0.0005};
  for (int i = 0; i < 2; ++i) {
    EXPECT_LT(h[i].rel_error, 0.01) << h[i].row.name;
    EXPECT_NEAR(h[i].rel_error, paper_loss[i], 0.0005) << h[i].row.name;
    EXPECT_LE(h[i].error_rel_error, paper_err[i] + 0.005) << h[i].row.name;
    EXPECT_NEAR(h[i].loss.value, h[i].row.loss * (1 + h[i].rel_error), 1e-9) << "over-predicts, as in the paper";
  }
}

}  // namespace
}  // namespace scalelab::fit
