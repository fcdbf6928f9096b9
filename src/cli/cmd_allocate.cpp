// `scalelab allocate --fit FIT.json --budget C [--inference-tokens T] [--unique-tokens U]
//    [--target-loss L [--flops-per-second F [--price-per-hour P]]] [--json OUT]`
// Compute-optimal, inference-aware and data-constrained allocation, and the cost to reach a
// target loss (fit/allocate.h, fit/cost.h), each with the fit's bootstrap CI.
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <string>

#include "cli/command.h"
#include "core/error.h"
#include "core/json.h"
#include "fit/allocate.h"
#include "fit/cost.h"

namespace scalelab::cli {
namespace {

struct AllocateCliOptions {
  std::string fit_path;
  double budget = 0;
  double inference_tokens = 0;
  double unique_tokens = 0;
  fit::CostOptions cost;
  std::string json_out;
};

struct Given {
  bool budget, inference, unique, target, flops, price;
};

void run_allocate(const AllocateCliOptions& o, const Given& g) {
  SL_REQUIRE(g.budget || g.target, "allocate: give --budget C (FLOPs) and/or --target-loss L");
  SL_REQUIRE(!g.unique || g.budget, "allocate: --unique-tokens needs --budget");
  SL_REQUIRE(!(g.flops || g.price) || g.target, "allocate: --flops-per-second/--price-per-hour need --target-loss");
  fit::FitResult f = fit::load_fit(o.fit_path);
  // Refuse before printing anything: these need a loss law, which approaches 1/2 lack.
  if (g.inference) fit::FitModel(f).require_loss("inference-aware allocation (--inference-tokens)");
  if (g.target) fit::FitModel(f).require_loss("cost to a target loss (--target-loss)");
  Json j = {{"fit", o.fit_path}, {"law", f.law}, {"approach", f.approach}, {"ci_level", f.ci_level}};
  auto section = [&](const char* key, const std::string& title, const fit::Estimates& e) {
    fmt::print("\n{}\n{}", title, fit::format_estimates(e, f.ci_level));
    j[key] = fit::estimates_to_json(e);
  };
  fmt::print("allocation from {} ({})\n", o.fit_path,
             f.approach == 3 ? "law " + f.law : fmt::format("approach {}", f.approach));
  if (g.budget) {
    j["budget"] = o.budget;
    section("compute_optimal", fmt::format("compute-optimal at C = {:.4g} FLOPs (C = 6 N D)", o.budget),
            fit::allocate_compute_optimal(f, o.budget));
  }
  if (g.inference) {
    j["inference_tokens"] = o.inference_tokens;
    std::string at = g.budget ? fmt::format("the compute-optimal loss at C = {:.4g}", o.budget)
                              : fmt::format("target loss {:.4g}", o.cost.target_loss);
    section("inference_aware",
            fmt::format("inference-aware (Sardana et al. 2023) at {}, {:.4g} inference tokens", at, o.inference_tokens),
            fit::allocate_inference_aware(f, o.budget, g.budget ? 0.0 : o.cost.target_loss, o.inference_tokens));
  }
  if (g.unique) {
    j["unique_tokens"] = o.unique_tokens;
    std::string how = f.law == "data-constrained" ? "data-constrained law prices repeated epochs"
                                                  : "D capped at U, the rest of the budget to N";
    section("data_constrained", fmt::format("data-constrained at C = {:.4g}, U = {:.4g} unique tokens ({})", o.budget,
                                            o.unique_tokens, how),
            fit::allocate_data_constrained(f, o.budget, o.unique_tokens));
  }
  if (g.target) {
    fit::CostOptions c = o.cost;
    c.U = g.unique ? o.unique_tokens : 0;
    j["target_loss"] = c.target_loss;
    if (g.flops) j["flops_per_second"] = c.flops_per_second;
    if (g.price) j["price_per_hour"] = c.price_per_hour;
    fit::Estimates e = fit::cost_to_target(f, c);
    section("cost", fmt::format("cost to reach loss {:.4g} (least compute-optimal C)", c.target_loss), e);
    if (!std::isfinite(fit::find_estimate(e, "C").value))
      fmt::print("target loss {:.4g} is unreachable: the predicted loss at C = {:.0e} FLOPs is {:.4g}\n",
                 c.target_loss, fit::kCostMaxFlops, fit::find_estimate(e, "loss").value);
  }
  if (f.samples.size() < 2) fmt::print("(no bootstrap draws in the fit: refit with --bootstrap K for CIs)\n");
  if (!o.json_out.empty()) {
    write_json_atomic(o.json_out, j);
    fmt::print("wrote {}\n", o.json_out);
  }
}

void setup_allocate(CLI::App& app) {
  auto* cmd = app.add_subcommand("allocate", "Split a compute budget between N and D; cost to a target loss");
  auto o = std::make_shared<AllocateCliOptions>();
  cmd->add_option("--fit", o->fit_path, "fit JSON written by `scalelab fit --json`")->required();
  auto* b = cmd->add_option("--budget", o->budget, "training compute budget C in FLOPs");
  auto* inf = cmd->add_option("--inference-tokens", o->inference_tokens,
                              "expected lifetime inference tokens (inference-aware allocation)");
  auto* u = cmd->add_option("--unique-tokens", o->unique_tokens, "unique training tokens available");
  auto* t = cmd->add_option("--target-loss", o->cost.target_loss, "target loss (nats/token) for the cost");
  auto* f = cmd->add_option("--flops-per-second", o->cost.flops_per_second, "sustained device FLOP/s");
  auto* p = cmd->add_option("--price-per-hour", o->cost.price_per_hour, "price per device-hour");
  cmd->add_option("--json", o->json_out, "write the allocation as JSON (atomically)");
  cmd->callback([=] {
    run_allocate(*o, Given{b->count() > 0, inf->count() > 0, u->count() > 0, t->count() > 0, f->count() > 0,
                           p->count() > 0});
  });
}

}  // namespace

SCALELAB_COMMAND(allocate, setup_allocate);

}  // namespace scalelab::cli
