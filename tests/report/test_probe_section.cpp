// Probe results to report data (report/probe_section.h): hand-made JSON becomes the
// figures and tables it describes, with the documented defaults; every malformed field is
// an InputError naming the probe and the field's path; and from a store, every
// experiment's probes reach the report in the order emergence, icl, ngram, ensemble,
// others, also when the store holds nothing but probe experiments.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <regex>
#include <set>

#include "../core/core_testing.h"
#include "report/html_report.h"
#include "report/probe_section.h"
#include "report/report_builder.h"
#include "sweep/run_store.h"
#include "xml_check.h"

namespace scalelab::report {
namespace {

using core_testing::input_error_message;
using core_testing::ScratchDir;

// An "icl"-like result with two figures (the second with a colour scale and a reference
// line) and one table.
Json icl_json() {
  return Json::parse(R"json({
    "probe": "icl", "title": "In-context learning", "experiment": "icl-demo",
    "figures": [
      {"id": "icl-score", "title": "ICL score against N",
       "x": {"label": "N (params)", "log": true, "counts": true},
       "y": {"label": "ICL score (nats)", "log": false, "min": -1, "max": 0.5},
       "series": [
         {"label": "runs", "x": [1e4, 1e5, 1e6], "y": [-0.1, null, -0.3], "color": "#1f77b4",
          "line": false, "marker": "diamond", "dash": "dashed"},
         {"x": [1e4, 1e6], "y": [-0.05, -0.35]}
       ],
       "sentence": "The score falls from -0.1 to -0.3 nats as N grows 100x."},
      {"id": "loss-by-position", "title": "Loss per context position",
       "x": {"label": "position t", "log": true},
       "y": {"label": "loss (nats/token)", "log": true},
       "series": [
         {"label": "N = 10k", "x": [1, 10, 100], "y": [5.0, 4.5, 4.2], "color_value": 1e4, "marker": "none"},
         {"label": "N = 1M", "x": [1, 10, 100], "y": [5.0, 4.0, 3.4], "color_value": 1e6, "marker": "open"}
       ],
       "hlines": [{"y": 4.4, "label": "5-gram"}, {"y": 4.8, "dash": "solid", "color": "#abc"}],
       "colorbar": "N (params)",
       "sentence": "Larger models gain more from later positions."}
    ],
    "tables": [{"title": "ICL scores", "columns": ["run", "N", "score", "ok"],
                "rows": [["a", 12345.678, "-0.1", true], ["b", "1.2e5", null, false]]}],
    "summary": {"slope": -0.1}
  })json");
}

TEST(ProbeSection, HandMadeJsonBecomesItsFiguresAndTables) {
  const ProbeSection s = probe_section_from_json(icl_json());
  EXPECT_EQ(s.probe, "icl");
  EXPECT_EQ(s.title, "In-context learning");
  EXPECT_EQ(s.experiment, "icl-demo");
  EXPECT_TRUE(s.unavailable.empty());
  ASSERT_EQ(s.figures.size(), 2u);

  const ProbeFigure& f = s.figures[0];
  EXPECT_EQ(f.id, "icl-score");
  EXPECT_EQ(f.title, "ICL score against N");
  EXPECT_EQ(f.x.label, "N (params)");
  EXPECT_TRUE(f.x.log);
  EXPECT_TRUE(f.x.counts);
  EXPECT_TRUE(std::isnan(f.x.min) && std::isnan(f.x.max));
  EXPECT_FALSE(f.y.log);
  EXPECT_EQ(f.y.min, -1);
  EXPECT_EQ(f.y.max, 0.5);
  ASSERT_EQ(f.series.size(), 2u);
  EXPECT_EQ(f.series[0].label, "runs");
  EXPECT_EQ(f.series[0].x, (std::vector<double>{1e4, 1e5, 1e6}));
  ASSERT_EQ(f.series[0].y.size(), 3u);
  EXPECT_EQ(f.series[0].y[0], -0.1);
  EXPECT_TRUE(std::isnan(f.series[0].y[1]));  // null: a point that is not drawn
  EXPECT_EQ(f.series[0].color, "#1f77b4");
  EXPECT_FALSE(f.series[0].line);
  EXPECT_EQ(f.series[0].marker, Marker::Diamond);
  EXPECT_EQ(f.series[0].dash, Dash::Dashed);
  // Defaults: a solid line with circle markers, no colour of its own.
  EXPECT_EQ(f.series[1].label, "");
  EXPECT_EQ(f.series[1].color, "");
  EXPECT_TRUE(std::isnan(f.series[1].color_value));
  EXPECT_TRUE(f.series[1].line);
  EXPECT_EQ(f.series[1].marker, Marker::Circle);
  EXPECT_EQ(f.series[1].dash, Dash::Solid);
  EXPECT_TRUE(f.hlines.empty());
  EXPECT_EQ(f.colorbar, "");
  EXPECT_EQ(f.sentence, "The score falls from -0.1 to -0.3 nats as N grows 100x.");

  const ProbeFigure& g = s.figures[1];
  EXPECT_TRUE(g.y.log);
  EXPECT_EQ(g.series[0].color_value, 1e4);
  EXPECT_EQ(g.series[0].marker, Marker::None);
  EXPECT_EQ(g.series[1].marker, Marker::OpenCircle);
  ASSERT_EQ(g.hlines.size(), 2u);
  EXPECT_EQ(g.hlines[0].y, 4.4);
  EXPECT_EQ(g.hlines[0].label, "5-gram");
  EXPECT_EQ(g.hlines[0].dash, Dash::Dotted);  // the default for a reference line
  EXPECT_EQ(g.hlines[1].dash, Dash::Solid);
  EXPECT_EQ(g.hlines[1].color, "#abc");
  EXPECT_EQ(g.colorbar, "N (params)");

  ASSERT_EQ(s.tables.size(), 1u);
  const ProbeTable& t = s.tables[0];
  EXPECT_EQ(t.title, "ICL scores");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"run", "N", "score", "ok"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"a", "12346", "-0.1", "yes"}));  // numbers: 4 significant digits
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"b", "1.2e5", "n/a", "no"}));
}

TEST(ProbeSection, OnlyTheProbeNameIsRequired) {
  const ProbeSection s = probe_section_from_json({{"probe", "ngram"}, {"summary", {{"bpb", 2.1}}}});
  EXPECT_EQ(s.probe, "ngram");
  EXPECT_EQ(s.title, "ngram");
  EXPECT_EQ(s.experiment, "");
  EXPECT_TRUE(s.figures.empty());
  EXPECT_TRUE(s.tables.empty());
  // null reads as "not given" for optional fields.
  const ProbeSection n = probe_section_from_json(
      Json::parse(R"({"probe": "x", "title": null, "figures": [{"x": {"min": null}, "series": null}]})"));
  EXPECT_EQ(n.title, "x");
  ASSERT_EQ(n.figures.size(), 1u);
  EXPECT_TRUE(n.figures[0].series.empty());
  EXPECT_TRUE(std::isnan(n.figures[0].x.min));
}

// Each case changes one field of icl_json(); the message must name the probe, the path of
// that field and what was expected.
TEST(ProbeSection, MalformedJsonIsAnInputErrorNamingTheField) {
  struct Case {
    std::function<void(Json&)> change;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](Json& j) {
         j["figures"][0]["series"][1]["y"] = {1.0, 2.0, 3.0};
       },
       "probe result 'icl': figures[0].series[1].x and .y differ in length (2 and 3)"},
      {[](Json& j) { j.erase("probe"); }, "probe result: probe: missing (expected the probe's name"},
      {[](Json& j) { j["probe"] = 7; }, "probe result: probe: missing"},
      {[](Json& j) { j["title"] = 3; }, "probe result 'icl': title: expected a string, got number"},
      {[](Json& j) { j["figures"] = Json::object(); }, "probe result 'icl': figures: expected an array, got object"},
      {[](Json& j) { j["figures"][1] = "plot"; }, "probe result 'icl': figures[1]: expected a JSON object, got string"},
      {[](Json& j) { j["figures"][0]["series"][0]["y"][2] = "low"; },
       "probe result 'icl': figures[0].series[0].y[2]: expected a number, got \"low\""},
      {[](Json& j) { j["figures"][0]["series"][1].erase("x"); },
       "probe result 'icl': figures[0].series[1].x: missing (expected an array)"},
      {[](Json& j) { j["figures"][0]["series"][0]["marker"] = "star"; },
       "probe result 'icl': figures[0].series[0].marker: \"star\": expected circle, open, diamond, cross or none"},
      {[](Json& j) { j["figures"][1]["series"][0]["dash"] = "dashdot"; },
       "probe result 'icl': figures[1].series[0].dash: \"dashdot\": expected solid, dashed or dotted"},
      {[](Json& j) { j["figures"][0]["series"][0]["line"] = "yes"; },
       "probe result 'icl': figures[0].series[0].line: expected true or false, got \"yes\""},
      {[](Json& j) { j["figures"][0]["series"][0]["color"] = "\"/><script>"; },
       "probe result 'icl': figures[0].series[0].color: \"\"/><script>\" is not a colour"},
      {[](Json& j) { j["figures"][1]["series"][1]["color_value"] = 0; },
       "probe result 'icl': figures[1].series[1].color_value: 0 (expected a positive number"},
      {[](Json& j) { j["figures"][0]["x"]["min"] = 0; },
       "probe result 'icl': figures[0].x.min: 0 on a log axis (expected > 0)"},
      {[](Json& j) { j["figures"][0]["y"]["max"] = -2; },
       "probe result 'icl': figures[0].y.max: -2 is not above min -1"},
      {[](Json& j) { j["figures"][0]["y"] = "score"; }, "probe result 'icl': figures[0].y: expected a JSON object"},
      {[](Json& j) { j["figures"][1]["hlines"][0].erase("y"); },
       "probe result 'icl': figures[1].hlines[0].y: missing or not finite"},
      {[](Json& j) {
         j["tables"][0]["rows"][1] = {"b", "1"};
       },
       "probe result 'icl': tables[0].rows[1]: has 2 cells for 4 columns"},
      {[](Json& j) {
         j["tables"][0]["rows"][0][1] = {{"v", 1}};
       },
       "probe result 'icl': tables[0].rows[0][1]: expected a string or a number, got object"},
      {[](Json& j) { j["tables"][0]["columns"][2] = 5; },
       "probe result 'icl': tables[0].columns[2]: expected a string"},
      {[](Json& j) { j["tables"][0].erase("rows"); },
       "probe result 'icl': tables[0].rows: missing (expected an array)"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    Json j = icl_json();
    cases[i].change(j);
    const std::string msg = input_error_message([&] { probe_section_from_json(j); });
    EXPECT_EQ(msg.rfind(cases[i].message, 0), 0u) << "case " << i << ": " << msg;
  }
  EXPECT_EQ(input_error_message([] { probe_section_from_json(Json::array()); }),
            "probe result: expected a JSON object, got array");
}

TEST(ProbeSection, ProbesAreRankedEmergenceIclNgramEnsembleThenOthers) {
  EXPECT_EQ(probe_rank("emergence"), 0);
  EXPECT_EQ(probe_rank("icl"), 1);
  EXPECT_EQ(probe_rank("ngram"), 2);
  EXPECT_EQ(probe_rank("ensemble"), 3);
  EXPECT_EQ(probe_rank("layer-deletion"), 4);
  EXPECT_EQ(probe_rank(""), 4);
}

// A small probe result with one figure of one series.
Json probe_json(const std::string& probe, const std::string& sentence) {
  return {{"probe", probe},
          {"title", "Probe " + probe},
          {"figures",
           {{{"id", probe + "-fig"},
             {"title", probe + " figure"},
             {"x", {{"label", "C (FLOP)"}, {"log", true}}},
             {"y", {{"label", "score"}}},
             {"series", {{{"label", "measured"}, {"x", {1e12, 1e13, 1e14}}, {"y", {0.1, 0.4, 0.9}}}}},
             {"sentence", sentence}}}}};
}

// A store holding only probe experiments (no ladder, no fit): one report of the four
// probes and an unknown fifth, in rank order, each under the experiment it was saved in;
// a damaged record is shown as not available instead of hiding the rest.
TEST(ProbeSection, AReportOfAStoreWithOnlyProbeExperimentsShowsThemAll) {
  ScratchDir dir;
  {
    sweep::RunStore store(dir / "probes.sqlite");
    // Saved in an order unlike the report's, across experiments.
    const int64_t ens = store.upsert_experiment("ensemble-demo", "", "h");
    const int64_t icl = store.upsert_experiment("icl-demo", "", "h");
    const int64_t em = store.upsert_experiment("emergence-demo", "", "h");
    const int64_t ng = store.upsert_experiment("ngram-demo", "", "h");
    store.save_probe(ens, "ensemble", probe_json("ensemble", "Averaging k = 4 models of N/4 lost to one model of N."));
    store.save_probe(ens, "layer-deletion", probe_json("layer-deletion", "Deleting a middle block costs 0.02 nats."));
    store.save_probe(icl, "icl", probe_json("icl", "The ICL score grows with N."));
    store.save_probe(em, "emergence", probe_json("emergence", "Exact match jumps; log-likelihood is smooth & < 0."));
    store.save_probe(ng, "ngram", {{"probe", "ngram"}, {"figures", {{{"series", {{{"x", {1}}, {"y", {1, 2}}}}}}}}});
    // A trained run in the icl experiment, as a probe runner's ladder leaves it.
    auto ids = store.add_runs(icl, {sweep::RunRow{"n10k", {{"model", "x"}}, "c", {{"heldout", false}}}});
    ASSERT_TRUE(store.try_claim(ids[0], sweep::RunStore::this_owner()));
    ASSERT_TRUE(store.finish_run(ids[0], sweep::RunStore::this_owner(), {{"params_nonembedding", 1e4}, {"tokens_trained", 1e6}, {"final_val_loss", 4.2}},
                     {{10, 1000, 5.0, 5.1, 1e-3}, {20, 1000000, 4.2, 4.2, 1e-4}}));
  }
  const sweep::RunStore store(dir / "probes.sqlite", sweep::StoreMode::read_only);
  const std::vector<ProbeSection> all = probe_sections(store);
  std::vector<std::string> order;
  for (const ProbeSection& s : all) order.push_back(s.experiment + "/" + s.probe);
  EXPECT_EQ(order, (std::vector<std::string>{"emergence-demo/emergence", "icl-demo/icl", "ngram-demo/ngram",
                                             "ensemble-demo/ensemble", "ensemble-demo/layer-deletion"}));
  ASSERT_EQ(all.size(), 5u);
  EXPECT_TRUE(all[2].figures.empty());
  EXPECT_EQ(all[2].unavailable,
            "the stored result of experiment 'ngram-demo' cannot be read: probe result 'ngram': "
            "figures[0].series[0].x and .y differ in length (1 and 2)");
  for (size_t i : {0u, 1u, 3u, 4u}) EXPECT_TRUE(all[i].unavailable.empty()) << i;

  for (const std::string& experiment : {std::string("emergence-demo"), std::string("icl-demo")}) {
    const ReportData d = build_report_data(store, experiment);
    ASSERT_EQ(d.probes.size(), 5u) << experiment;
    EXPECT_EQ(d.probes[0].probe, "emergence");
    EXPECT_TRUE(d.fits.empty());
    // The story tells the headline of this experiment's probes only.
    const std::string headline = experiment == "icl-demo" ? "Probe icl: The ICL score grows with N."
                                                          : "Probe emergence: Exact match jumps; log-likelihood is "
                                                            "smooth & < 0.";
    ASSERT_FALSE(d.story.empty()) << experiment;
    EXPECT_EQ(d.story.back(), headline);
    for (const std::string& s : d.story) EXPECT_EQ(s.find("Averaging k = 4"), std::string::npos) << s;
    const std::string html = render_report_html(d);
    const auto check = testing::check_markup(html, /*html_void=*/true);
    EXPECT_EQ(check.error, "") << experiment;
    const size_t section = html.find("<section id=\"scaling-hypothesis\"><h2>Scaling hypothesis</h2>");
    ASSERT_NE(section, std::string::npos) << experiment;
    EXPECT_LT(section, html.find("<section id=\"provenance\""));
    // Four drawable probe figures (the ngram record is not available) and, for icl-demo,
    // the training curve, loss against compute and tokens per parameter of its one run.
    const size_t own = experiment == "icl-demo" ? 3 : 0;
    EXPECT_EQ(testing::svg_fragments(html).size(), 4 + own) << experiment;
    EXPECT_NE(html.find("Exact match jumps; log-likelihood is smooth &amp; &lt; 0."), std::string::npos);
    EXPECT_NE(html.find("not available: the stored result of experiment &#39;ngram-demo&#39; cannot be read"),
              std::string::npos)
        << html.substr(section, 2000);
    size_t last = section;
    for (const char* title : {"Probe emergence", "Probe icl", "ngram", "Probe ensemble", "Probe layer-deletion"}) {
      const size_t at = html.find(std::string("<h3>") + title, section);
      EXPECT_NE(at, std::string::npos) << title;
      EXPECT_GT(at, last) << title;
      last = at;
    }
  }
}

}  // namespace
}  // namespace scalelab::report
