// `scalelab plan`'s table (plan_table.h).
#include "sweep/plan_table.h"

#include <fmt/format.h>

#include "core/progress.h"

namespace scalelab::sweep {

std::string format_plan(const Plan& plan) {
  std::string out = fmt::format("experiment {}: {} runs, {} worker{} x {} thread{} (corpus: {} training tokens)\n",
                                plan.experiment, plan.runs.size(), plan.workers, plan.workers == 1 ? "" : "s",
                                std::max(1, plan.threads / plan.workers), plan.threads / plan.workers == 1 ? "" : "s",
                                plan.corpus_train_tokens);
  out += fmt::format("{:<26} {:>8} {:>11} {:>10} {:>9} {:>7} {:>6} {:>9} {:>9}  {}\n", "run", "shape", "N", "D",
                     "C (6ND)", "D/N", "epochs", "lr", "est", "WSD");
  for (const PlannedRun& r : plan.runs) {
    std::string wsd;
    if (!r.trunk.empty()) wsd = fmt::format("branch of {} at step {}", r.trunk, r.fork_step);
    if (!r.forks.empty()) wsd = fmt::format("trunk, {} fork{}", r.forks.size(), r.forks.size() == 1 ? "" : "s");
    if (r.heldout) wsd = "held out: forecast first";
    out += fmt::format("{:<26} {:>8} {:>11} {:>10.3g} {:>9.3g} {:>7.1f} {:>6.2f} {:>9.2e} {:>9}  {}\n", r.name,
                       fmt::format("{}x{}", r.config.model.n_layer, r.config.model.d_model), r.params_nonembedding,
                       static_cast<double>(r.tokens), r.flops,
                       static_cast<double>(r.tokens) / static_cast<double>(r.params_nonembedding), r.epochs, r.lr,
                       format_duration(r.est_seconds), wsd);
  }
  out += fmt::format("total: {:.3g} tokens, {:.3g} FLOPs (6ND) to train; {} of runs at about {} per worker\n",
                     static_cast<double>(plan.tokens_to_train), plan.flops_to_train,
                     format_duration(plan.est_seconds_serial), format_duration(plan.est_wall_seconds));
  if (plan.tokens_without_reuse > plan.tokens_to_train)
    out += fmt::format("WSD reuse saves {:.3g} tokens ({:.0f}% of {:.3g}) and {:.3g} FLOPs\n",
                       static_cast<double>(plan.tokens_without_reuse - plan.tokens_to_train),
                       100.0 * static_cast<double>(plan.tokens_without_reuse - plan.tokens_to_train) /
                           static_cast<double>(plan.tokens_without_reuse),
                       static_cast<double>(plan.tokens_without_reuse), plan.flops_without_reuse - plan.flops_to_train);
  out += fmt::format("estimated wall time: {} (list schedule on {} worker{}; held-out runs after the rest)\n",
                     format_duration(plan.est_wall_seconds), plan.workers, plan.workers == 1 ? "" : "s");
  for (const std::string& w : plan.warnings) out += "warning: " + w + "\n";
  return out;
}

}  // namespace scalelab::sweep
