// The plan's design check (design_table.h).
#include "sweep/design_table.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "core/training_compute.h"
#include "fit/design_check.h"
#include "fit/law.h"

namespace scalelab::sweep {
namespace {

// The bar for a ladder whose intervals mean something: E, alpha and beta within
// +-30% (A and B trade off with the exponents and may be wider).
constexpr double kWide = 0.30;

std::string width(double hw) { return std::isfinite(hw) ? fmt::format("+-{:.1f}%", 100 * hw) : "not identified"; }

}  // namespace

std::string format_design_check(const Plan& plan, double noise, const fit::FitResult* prior_fit) {
  fit::Observations design, targets;
  std::set<int64_t> budgets;
  for (const PlannedRun& r : plan.runs) {
    fit::Observation o;
    o.N = static_cast<double>(r.params_nonembedding);
    o.D = static_cast<double>(r.tokens);
    o.C = training_compute(o.N, o.D);
    o.run = r.name;
    (r.heldout ? targets : design).push_back(o);
    if (!r.heldout) budgets.insert(r.tokens);
  }
  std::string out = "design check: ";
  const auto law = fit::make_law("chinchilla");
  if (static_cast<int>(design.size()) < law->dim())
    return out + fmt::format("{} ladder run(s) cannot determine the {} parameters of the Chinchilla law\n",
                             design.size(), law->dim());
  std::vector<double> params;
  std::string world;
  if (prior_fit) {
    SL_REQUIRE(prior_fit->law == law->name(), "--prior: a {} fit, expected a {} fit (the law the sweep fits)",
               prior_fit->law, law->name());
    params = prior_fit->params;
    world = fmt::format("the fitted law {} with", prior_fit->formula);
    for (size_t i = 0; i < params.size(); ++i)
      world += fmt::format("{} {} = {:.4g}", i ? "," : "", prior_fit->names[i], params[i]);
  } else {
    const fit::DesignPrior prior = fit::chinchilla_prior(design);
    params = prior.params;
    world = prior.describe();
  }
  const fit::DesignCheck c = fit::check_design_precision(*law, params, design, targets, noise);
  out += fmt::format("expected 90% intervals of the fitted law (Fisher information at the planned points; prior: {}; "
                     "final losses scattered by {:g}% around the law)\n",
                     world, 100 * noise);
  std::vector<std::string> weak, blind;
  for (const fit::ParamPrecision& p : c.params) {
    const bool key = p.name == "E" || p.name == "alpha" || p.name == "beta";
    const bool flagged = key && p.half_width > kWide;
    out += fmt::format("  {:<6} {:>16}{}\n", p.name, width(p.half_width), flagged ? "  <- wider than +-30%" : "");
    if (!std::isfinite(p.half_width))
      blind.push_back(p.name);
    else if (flagged)
      weak.push_back(p.name);
  }
  for (const fit::ParamPrecision& f : c.forecasts)
    out += fmt::format("  forecast of held-out {}: {}\n", f.name, width(f.half_width));
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  if (!blind.empty())
    out += fmt::format("warning: this design cannot identify {} ({} distinct token budget(s)); E, B and beta need at "
                       "least three budgets, A and alpha three sizes\n",
                       joined(blind), budgets.size());
  if (!weak.empty())
    out += fmt::format("warning: {} will be poorly determined (90% interval wider than +-30%); spread the sizes or "
                       "the token budgets over more decades, or add runs\n",
                       joined(weak));
  return out;
}

}  // namespace scalelab::sweep
