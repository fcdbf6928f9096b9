// scalelab show: one run in detail: status, provenance, the planner's facts, the final
// metrics, the forecast (held-out runs), the error (failed runs), its curve's ends and
// its config.
//
//   scalelab show --store lab/store.sqlite demo/n100k-d2M     (or a bare name, or an id)
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "cli/command.h"
#include "sweep/run_store.h"

namespace scalelab::cli {

namespace {

struct ShowArgs {
  std::string store = "scalelab.sqlite";
  std::string run;
  bool json = false;
};

void run_show(const ShowArgs& a) {
  const sweep::RunStore store(a.store, sweep::StoreMode::read_only);
  const sweep::RunRecord r = store.find_run(a.run);
  const std::vector<sweep::CurvePoint> curve = store.curve(r.id);
  if (a.json) {
    Json points = Json::array();
    for (const auto& p : curve)
      points.push_back({{"step", p.step},
                        {"tokens", p.tokens},
                        {"loss", std::isfinite(p.loss) ? Json(p.loss) : Json(nullptr)},
                        {"val_loss", std::isfinite(p.val_loss) ? Json(p.val_loss) : Json(nullptr)},
                        {"lr", std::isfinite(p.lr) ? Json(p.lr) : Json(nullptr)}});
    fmt::print("{}\n", Json{{"id", r.id},
                            {"experiment", r.experiment},
                            {"name", r.name},
                            {"status", sweep::to_string(r.status)},
                            {"config", r.config},
                            {"config_hash", r.config_hash},
                            {"plan", r.plan},
                            {"result", r.result},
                            {"forecast", r.forecast},
                            {"error", r.error},
                            {"attempts", r.attempts},
                            {"git_commit", r.git_commit},
                            {"host", r.host},
                            {"started_at", r.started_at},
                            {"ended_at", r.ended_at},
                            {"curve", points}}
                           .dump(2));
    return;
  }
  fmt::print("run {}/{} (id {}): {}\n", r.experiment, r.name, r.id, sweep::to_string(r.status));
  fmt::print("  started {}  ended {}  attempts {}  host {}  commit {}\n", r.started_at.empty() ? "-" : r.started_at,
             r.ended_at.empty() ? "-" : r.ended_at, r.attempts, r.host.empty() ? "-" : r.host,
             r.git_commit.empty() ? "-" : r.git_commit);
  if (!r.owner.empty()) fmt::print("  owner {}\n", r.owner);
  if (!r.error.empty()) fmt::print("  error: {}\n", r.error);
  fmt::print("  plan: {}\n", r.plan.dump());
  if (r.result.is_object()) {
    const Json& s = r.result;
    fmt::print("  result: val_loss {:.4f}  val_bpb {}  train_loss {}  tokens {}  params {} (non-embedding {})  "
               "{:.0f} tok/s  wall {:.1f}s\n",
               s.value("final_val_loss", 0.0), s.value("final_val_bpb", Json(nullptr)).dump(),
               s.value("final_train_loss", Json(nullptr)).dump(), s.value("tokens_trained", 0),
               s.value("params_total", 0), s.value("params_nonembedding", 0), s.value("tokens_per_second", 0.0),
               s.value("wall_seconds", 0.0));
  }
  if (r.forecast.is_object()) fmt::print("  forecast (saved before training): {}\n", r.forecast.dump());
  if (!curve.empty()) {
    fmt::print("  curve: {} points, steps {}..{}\n", curve.size(), curve.front().step, curve.back().step);
    for (const auto& p : curve)
      if (std::isfinite(p.val_loss)) fmt::print("    step {:>6}  tokens {:>10}  val_loss {:.4f}\n", p.step, p.tokens, p.val_loss);
  }
  fmt::print("  config ({}): {}\n", r.config_hash, r.config.dump());
}

void setup_show(CLI::App& app) {
  auto* cmd = app.add_subcommand("show", "Show one run of a run store in detail");
  auto a = std::make_shared<ShowArgs>();
  cmd->add_option("run", a->run, "EXPERIMENT/NAME, a name unique in the store, or a run id")->required();
  cmd->add_option("--store", a->store, "run store: a SQLite file or a postgresql:// URL")->capture_default_str();
  cmd->add_flag("--json", a->json, "everything as one JSON object, curve included");
  cmd->callback([a] { run_show(*a); });
}

}  // namespace

SCALELAB_COMMAND(show, setup_show);

}  // namespace scalelab::cli
