// `scalelab fit` with row selection, held-out forecasts and the loss-to-error law: the
// Gadre et al. 2024 RedPajama reproduction as one command (table and --json "heldout"),
// and the one-line exit-2 errors for a law's missing column, a --heldout that selects every
// row or none, and malformed or unknown row options.
#include <gtest/gtest.h>

#include <string>

#include "../core/core_testing.h"
#include "cli_testing.h"
#include "core/json.h"

namespace scalelab {
namespace {

using cli_testing::expect_input_error;
using cli_testing::quote;
using cli_testing::run_scalelab;

std::string gadre() { return quote(std::string(SCALELAB_SOURCE_DIR) + "/tests/data/gadre2024_runs.csv"); }

// The reproduction command of README's "Fitting scaling laws" section, on one dataset.
std::string reproduction(const std::string& dataset) {
  return "fit " + gadre() +
         " --law overtrain --objective lsq --n-col params --d-col tokens --loss-col c4_loss --where dataset=" +
         dataset +
         " --fit-rows role=fit_loss --heldout role=target --error-col avg_top1_error"
         " --error-fit-rows role=fit_loss,fit_error --name-col name --threads 2";
}

TEST(HeldoutCli, GadreRedPajamaReproductionTableAndJson) {
  core_testing::ScratchDir dir;
  const std::string json = (dir.path() / "rpj.json").string();
  cli_testing::CliResult r =
      run_scalelab(dir.path(), reproduction("rpj") + " --bootstrap 40 --seed 3 --json " + quote(json));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("law overtrain"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("points 5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("error law (6 rows of \"avg_top1_error\")"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("held-out rows (2, not fitted)"), std::string::npos) << r.out;
  // The paper's 0.71% / 0.73% loss and 3.64% / 0.05% error, as the table prints them.
  EXPECT_NE(r.out.find("rpj-open_lm_1b-32.0"), std::string::npos) << r.out;
  for (const char* pct : {"0.71%", "0.73%", "3.64%", "0.05%"}) EXPECT_NE(r.out.find(pct), std::string::npos) << pct;

  Json j = read_json_file(json);
  EXPECT_EQ(j["law"], "overtrain");
  EXPECT_EQ(j["objective_kind"], "lsq");
  EXPECT_EQ(j["points"], 5);
  EXPECT_EQ(j["error_law"]["points"], 6);
  ASSERT_EQ(j["heldout"].size(), 2u);
  for (const Json& h : j["heldout"]) {
    for (const char* k : {"N", "D", "predicted", "lo", "hi", "actual", "rel_error", "predicted_error", "actual_error",
                          "error_rel_error"})
      EXPECT_TRUE(h[k].is_number()) << k << " in " << h.dump();
    EXPECT_LT(h["rel_error"].get<double>(), 0.01) << h.dump();
    EXPECT_LE(h["lo"].get<double>(), h["predicted"].get<double>());
    EXPECT_GE(h["hi"].get<double>(), h["predicted"].get<double>());
  }
  EXPECT_EQ(j["heldout"][1]["row"], "rpj-open_lm_7b-1.0");
  EXPECT_LE(j["heldout"][0]["error_rel_error"].get<double>(), 0.0364 + 0.005);
  EXPECT_LE(j["heldout"][1]["error_rel_error"].get<double>(), 0.0005 + 0.005);
  // The fit file still serves `scalelab forecast`.
  cli_testing::CliResult f = run_scalelab(dir.path(), "forecast --fit " + quote(json) + " --N 6889410560 --D 137788211200");
  ASSERT_EQ(f.code, 0) << f.err;
  EXPECT_NE(f.out.find("2.4427"), std::string::npos) << f.out;
}

TEST(HeldoutCli, RowsWithoutANameColumnAreNumbered) {
  core_testing::ScratchDir dir;
  const std::string json = (dir.path() / "c4.json").string();
  cli_testing::CliResult r = run_scalelab(
      dir.path(), "fit " + gadre() +
                      " --law overtrain --objective lsq --n-col params --d-col tokens --loss-col c4_loss"
                      " --where dataset=c4_original --where role=fit_loss,target --heldout role=target --json " +
                      quote(json));
  ASSERT_EQ(r.code, 0) << r.err;
  Json j = read_json_file(json);
  ASSERT_EQ(j["heldout"].size(), 2u);
  EXPECT_EQ(j["heldout"][0]["row"], 33);  // 1-based data row of c4_original-open_lm_1b-4.0
  EXPECT_FALSE(j["heldout"][0].contains("predicted_error"));
  EXPECT_TRUE(j["heldout"][0]["lo"].is_null());  // no --bootstrap, no interval
  EXPECT_NE(r.out.find("row 33"), std::string::npos) << r.out;
}

TEST(HeldoutCli, BadRowSelectionsAndMissingColumnsAreOneLineErrors) {
  core_testing::ScratchDir dir;
  const std::string base = "fit " + gadre() + " --law overtrain --n-col params --d-col tokens --loss-col c4_loss";
  struct Case {
    std::string args;
    std::initializer_list<std::string> fragments;
  };
  const Case cases[] = {
      {base + " --where dataset=rpj --heldout role=nothing", {"--heldout role=nothing", "selects none of the 35 rows"}},
      {base + " --where dataset=rpj --heldout dataset=rpj,c4_original",
       {"--heldout dataset=rpj,c4_original", "selects every one of the 35 rows", "--where dataset=rpj"}},
      {base + " --where dataset=nowhere --heldout role=target", {"--where dataset=nowhere", "selects no rows"}},
      {base + " --where dataset=rpj --heldout role=target --fit-rows role=nothing,none",
       {"--fit-rows role=nothing,none", "selects no rows"}},
      {base + " --where set=rpj", {"--where", "no column \"set\""}},
      {base + " --where dataset", {"--where 'dataset'", "COLUMN=VALUE"}},
      {base + " --heldout role=target --error-col top1", {"missing column \"top1\"", "--error-col"}},
      {"fit " + gadre() + " --law overtrain --n-col params --d-col toks --loss-col c4_loss",
       {"missing column \"toks\"", "tokens D"}},
      {"fit " + gadre() + " --law overtrain --n-col params --loss-col c4_loss",
       {"missing columns \"D\"", "\"C\""}},
      {base + " --objective l1", {"--objective", "huber-log or lsq"}},
      {base + " --error-fit-rows role=fit_loss", {"--error-fit-rows", "--error-col"}},
      {base + " --where dataset=rpj --where role=fit_loss,fit_error --heldout role=target --error-col avg_top1_error",
       {"--heldout role=target", "selects none"}},
  };
  for (const Case& c : cases) expect_input_error(run_scalelab(dir.path(), c.args), c.fragments, c.args);
}

}  // namespace
}  // namespace scalelab
