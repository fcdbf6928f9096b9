// scalelab demo: the whole story in one command. Trains the embedded ladder
// (sweep/demo_spec.h) on the Brown corpus, fits the scaling law, forecasts the held-out
// larger model before training it, trains it and scores the forecast, then writes
//   DIR/report.html    the report (report/html_report.h)
//   DIR/summary.json   fit, exponents, forecast against actual, tokens per parameter, wall time
//   DIR/store.sqlite   the run store (scalelab runs/show/export/report --store DIR/store.sqlite)
// and prints what it found. Rerunning continues an interrupted demo and redoes nothing.
//
//   scalelab demo --out scalelab-demo
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/sweep_common.h"
#include "core/json.h"
#include "core/progress.h"
#include "core/timer.h"
#include "report/html_report.h"
#include "report/report_builder.h"
#include "sweep/demo_spec.h"
#include "sweep/run_store.h"

namespace scalelab::cli {

namespace {

struct DemoArgs {
  std::string out = "scalelab-demo";
  bool print_spec = false;
  SweepCliOptions sweep;
};

void run_demo(DemoArgs a) {
  if (a.print_spec) {
    fmt::print("{}", sweep::demo_spec_text());
    return;
  }
  Timer wall;
  const std::filesystem::path out = a.out;
  a.sweep.store = (out / "store.sqlite").string();
  a.sweep.refuse_repeated_data = true;  // never a forecast from a ladder that repeats a small corpus
  const sweep::ExperimentSpec spec = sweep::demo_spec();
  const sweep::SweepResult r = run_sweep_command(spec, a.sweep);
  if (r.interrupted) return;

  const sweep::RunStore store(out / "store.sqlite", sweep::StoreMode::read_only);
  const report::ReportData data = report::build_report_data(store, spec.name);
  report::write_report_html(data, out / "report.html");
  const double seconds = wall.seconds();
  write_json_atomic(out / "summary.json", report::experiment_summary(store, spec.name, data, seconds));
  fmt::print("\nWhat the demo found:\n");
  for (const std::string& s : data.story) fmt::print("  - {}\n", s);
  fmt::print("\nwrote {} and {} in {}\n", (out / "report.html").string(), (out / "summary.json").string(),
             format_duration(seconds));
}

void setup_demo(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Run the built-in scaling experiment on the Brown corpus and report it");
  auto a = std::make_shared<DemoArgs>();
  cmd->add_option("--out", a->out, "output directory (store, runs, report.html, summary.json)")->capture_default_str();
  cmd->add_flag("--print-spec", a->print_spec, "print the embedded experiment spec and exit");
  add_sweep_options(cmd, a->sweep, "");
  cmd->callback([a] { run_demo(*a); });
}

}  // namespace

SCALELAB_COMMAND(demo, setup_demo);

}  // namespace scalelab::cli
