// scalelab report: one self-contained HTML file (inline SVG, no network) about an
// experiment in a run store (report/html_report.h).
//
//   scalelab report --store lab/store.sqlite demo -o report.html
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "report/html_report.h"
#include "report/report_builder.h"
#include "sweep/run_store.h"

namespace scalelab::cli {

namespace {

struct ReportArgs {
  std::string store = "scalelab.sqlite";
  std::string experiment;
  std::string out = "report.html";
};

void run_report(const ReportArgs& a) {
  const sweep::RunStore store(a.store, sweep::StoreMode::read_only);
  const report::ReportData data = report::build_report_data(store, a.experiment);
  report::write_report_html(data, a.out);
  for (const std::string& s : data.story) fmt::print("{}\n", s);
  fmt::print("report: wrote {}\n", a.out);
}

void setup_report(CLI::App& app) {
  auto* cmd = app.add_subcommand("report", "Write an HTML report (inline SVG plots) of an experiment");
  auto a = std::make_shared<ReportArgs>();
  cmd->add_option("experiment", a->experiment, "experiment name")->required();
  cmd->add_option("-o,--out", a->out, "output HTML file")->capture_default_str();
  cmd->add_option("--store", a->store, "run store: a SQLite file or a postgresql:// URL")->capture_default_str();
  cmd->callback([a] { run_report(*a); });
}

}  // namespace

SCALELAB_COMMAND(report, setup_report);

}  // namespace scalelab::cli
