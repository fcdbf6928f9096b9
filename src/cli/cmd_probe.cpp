// scalelab probe KIND [SPEC]: a probe of the scaling hypothesis beyond the loss law.
// Trains the spec's ladder like `scalelab sweep` (keeping snapshots along training), then
// scores the runs (probe/probe_runner.h), saves the result in the run store, writes the
// report with its "Scaling hypothesis" section next to the store, and prints what it found.
//
//   scalelab probe emergence                       # the embedded default spec
//   scalelab probe icl my_icl.toml --store lab/store.sqlite
//   scalelab probe ngram --print-spec > ngram.toml
#include <cstdio>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/sweep_common.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/timer.h"
#include "probe/probe_runner.h"
#include "probe/probe_spec.h"
#include "report/html_report.h"
#include "report/report_builder.h"
#include "sweep/run_store.h"
#include "sweep/store_database.h"
#include "sweep/spec.h"

namespace scalelab::cli {

namespace {

struct ProbeArgs {
  std::string kind;
  std::string spec;
  bool print_spec = false;
  SweepCliOptions sweep;
};

void run_probe_command(ProbeArgs a) {
  const std::string& text = probe::default_probe_spec_text(a.kind);  // names an unknown kind
  if (a.print_spec) {
    fmt::print("{}", text);
    return;
  }
  Timer wall;
  const sweep::ExperimentSpec spec =
      a.spec.empty() ? sweep::parse_spec(text, fmt::format("<probe {}>", a.kind)) : sweep::load_spec(a.spec);
  const probe::ProbeOptions options = probe::parse_probe_options(spec, a.kind);
  const sweep::ExperimentSpec to_train = probe::probe_sweep_spec(spec, options);
  a.sweep.sets.insert(a.sweep.sets.begin(), probe::snapshot_set(options));
  const sweep::SweepResult r = run_sweep_command(to_train, a.sweep);
  if (r.interrupted) return;

  sweep::RunStore store(a.sweep.store);
  const std::filesystem::path root = runs_root(a.sweep.store, a.sweep.runs_dir);
  const int64_t exp = store.experiment(spec.name).id;
  const auto [workers, threads] = resolve_workers(0, a.sweep.threads);
  (void)workers;
  probe::ProbeContext ctx{spec, options, probe::probe_runs(store, exp, root / spec.name),
                          threads, [](const std::string& line) { fmt::print(stderr, "{}\n", line); }};
  fmt::print("probe {}: scoring {} runs and their snapshots\n", a.kind, ctx.runs.size());
  std::fflush(stdout);  // before the scorer's progress lines on stderr
  Json result = probe::run_probe(ctx);
  result["wall_seconds"] = wall.seconds();
  store.save_probe(exp, options.kind, result);

  // Next to a SQLite store; in the runs' root for a server.
  const std::filesystem::path report_path =
      (sweep::is_store_url(a.sweep.store) ? root : std::filesystem::path(a.sweep.store).parent_path()) /
      fmt::format("report-{}.html", spec.name);
  report::write_report_html(report::build_report_data(store, spec.name), report_path);
  fmt::print("\nWhat the {} probe found:\n", a.kind);
  for (const Json& s : result["findings"]) fmt::print("  - {}\n", s.get<std::string>());
  fmt::print("\nsaved in {} (probe '{}' of experiment '{}'); wrote {} in {}\n", store.location(), options.kind,
             spec.name, report_path.string(), format_duration(wall.seconds()));
}

void setup_probe(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "probe", "Probe the scaling hypothesis: emergence and its metrics, in-context learning, n-gram (lazy) "
               "learning, ensembles");
  auto a = std::make_shared<ProbeArgs>();
  cmd->add_option("kind", a->kind, "emergence | icl | ngram | ensemble")
      ->required()
      ->check(CLI::IsMember({"emergence", "icl", "ngram", "ensemble"}));
  cmd->add_option("spec", a->spec, "experiment spec with a [probe] table (default: the embedded spec of KIND)");
  cmd->add_flag("--print-spec", a->print_spec, "print the embedded spec of KIND and exit");
  add_sweep_options(cmd, a->sweep, "scalelab-probes/store.sqlite");
  cmd->callback([a] { run_probe_command(*a); });
}

}  // namespace

SCALELAB_COMMAND(probe, setup_probe);

}  // namespace scalelab::cli
