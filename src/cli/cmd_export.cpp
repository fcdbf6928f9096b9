// scalelab export: an experiment's finished runs as CSV or JSONL that `scalelab fit` reads
// directly (sweep/export.h).
//
//   scalelab export --store lab/store.sqlite demo -o demo.csv [--curves]
//   scalelab fit demo.csv --bootstrap 200
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "sweep/export.h"
#include "sweep/run_store.h"

namespace scalelab::cli {

namespace {

struct ExportArgs {
  std::string store = "scalelab.sqlite";
  std::string experiment;
  std::string out;
  bool curves = false;
  bool no_heldout = false;
};

void run_export(const ExportArgs& a) {
  const sweep::RunStore store(a.store, sweep::StoreMode::read_only);
  const int64_t exp = store.experiment(a.experiment).id;
  const auto what = a.curves ? sweep::ExportWhat::curves : sweep::ExportWhat::final_points;
  if (a.out == "-") {
    fmt::print("{}", sweep::export_runs(store, exp, what, sweep::ExportFormat::csv, !a.no_heldout));
    return;
  }
  const std::string text = sweep::export_runs(store, exp, what, sweep::export_format_for(a.out), !a.no_heldout);
  write_file_atomic(a.out, text);
  fmt::print(stderr, "export: wrote {}\n", a.out);
}

void setup_export(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Write an experiment's runs as CSV/JSONL for `scalelab fit`");
  auto a = std::make_shared<ExportArgs>();
  cmd->add_option("experiment", a->experiment, "experiment name")->required();
  cmd->add_option("-o,--out", a->out, "output file (.csv, .jsonl; - for CSV on stdout)")->required();
  cmd->add_option("--store", a->store, "run store: a SQLite file or a postgresql:// URL")->capture_default_str();
  cmd->add_flag("--curves", a->curves, "every validation point of every run instead of the final points");
  cmd->add_flag("--no-heldout", a->no_heldout, "leave out held-out runs: the points the sweep's own fit used");
  cmd->callback([a] { run_export(*a); });
}

}  // namespace

SCALELAB_COMMAND(export, setup_export);

}  // namespace scalelab::cli
