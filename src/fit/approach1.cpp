// Approach 1 (Hoffmann et al. 2022, section 3.1): the envelope of training curves.
#include "fit/approach1.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "core/rng.h"
#include "core/training_compute.h"
#include "fit/derived.h"
#include "fit/power_fit.h"

namespace scalelab::fit {
namespace {

// One run's curve, sorted by C, with log C and log D for interpolation in log C.
struct Curve {
  std::string run;
  double N = 0;
  std::vector<double> logC, logD, loss;
};

std::vector<Curve> make_curves(const Observations& obs, bool* grouped_by_N) {
  bool any_run = std::any_of(obs.begin(), obs.end(), [](const Observation& o) { return !o.run.empty(); });
  *grouped_by_N = !any_run;
  // Without run ids, points of one model size are taken to be one run's curve.
  std::map<std::string, size_t> index;
  std::vector<std::vector<const Observation*>> members;
  for (const auto& o : obs) {
    std::string key = any_run ? o.run : fmt::format("N={:.17g}", o.N);
    auto [it, fresh] = index.emplace(key, members.size());
    if (fresh) members.emplace_back();
    members[it->second].push_back(&o);
  }
  std::vector<std::string> keys(members.size());
  for (const auto& [k, i] : index) keys[i] = k;
  std::vector<Curve> curves;
  for (size_t r = 0; r < members.size(); ++r) {
    auto& m = members[r];
    std::sort(m.begin(), m.end(), [](const Observation* x, const Observation* y) { return x->C < y->C; });
    Curve c;
    c.run = keys[r];
    c.N = m.front()->N;
    for (const Observation* o : m) {
      SL_REQUIRE(std::abs(o->N - c.N) <= 1e-9 * c.N,
                 "approach 1: run \"{}\" has points at N = {} and N = {}; a run must have one model size", c.run, c.N,
                 o->N);
      double lc = std::log(o->C);
      if (!c.logC.empty() && lc <= c.logC.back()) continue;  // repeated budget: keep the first point
      c.logC.push_back(lc);
      c.logD.push_back(std::log(o->D));
      c.loss.push_back(o->loss);
    }
    if (c.logC.size() >= 2) curves.push_back(std::move(c));  // one point covers no budget range
  }
  SL_REQUIRE(curves.size() >= 2,
             "approach 1: needs training curves: at least 2 runs with 2 or more points each (run column, or points "
             "sharing N), found {}",
             curves.size());
  return curves;
}

// Grid range [lo, hi] in log C where at least `k` of the selected curves have points.
bool covered_range(const std::vector<const Curve*>& cs, int k, double* lo, double* hi) {
  std::vector<std::pair<double, int>> events;
  for (const Curve* c : cs) {
    events.emplace_back(c->logC.front(), +1);
    events.emplace_back(c->logC.back(), -1);
  }
  // Starts before ends at the same abscissa so touching ranges count as overlapping.
  std::sort(events.begin(), events.end(), [](auto& x, auto& y) { return x.first < y.first || (x.first == y.first && x.second > y.second); });
  int count = 0;
  bool found = false;
  for (auto& [x, d] : events) {
    if (d > 0) {
      ++count;
      if (count >= k && !found) {
        *lo = x;
        found = true;
      }
    } else {
      if (count >= k) *hi = x;
      --count;
    }
  }
  return found;
}

std::vector<EnvelopePoint> envelope_of(const std::vector<const Curve*>& cs, const Approach1Options& opt) {
  SL_REQUIRE(opt.grid >= 2, "approach 1: grid {} is too small, expected >= 2", opt.grid);
  double lo = 0, hi = 0;
  if (opt.C_min > 0 && opt.C_max > 0) {
    SL_REQUIRE(opt.C_min < opt.C_max, "approach 1: C_min {} must be below C_max {}", opt.C_min, opt.C_max);
    lo = std::log(opt.C_min);
    hi = std::log(opt.C_max);
  } else {
    int k = std::min<int>(std::max(1, opt.min_cover), static_cast<int>(cs.size()));
    SL_REQUIRE(covered_range(cs, k, &lo, &hi) && hi > lo,
               "approach 1: no budget range is covered by {} runs; the curves do not overlap in C", k);
  }
  std::vector<EnvelopePoint> env;
  env.reserve(static_cast<size_t>(opt.grid));
  for (int g = 0; g < opt.grid; ++g) {
    double lc = lo + (hi - lo) * g / (opt.grid - 1);
    EnvelopePoint best;
    best.loss = INFINITY;
    for (size_t r = 0; r < cs.size(); ++r) {
      const Curve& c = *cs[r];
      if (lc < c.logC.front() || lc > c.logC.back()) continue;
      size_t j = static_cast<size_t>(std::upper_bound(c.logC.begin(), c.logC.end(), lc) - c.logC.begin());
      j = std::clamp<size_t>(j, 1, c.logC.size() - 1);
      double w = (lc - c.logC[j - 1]) / (c.logC[j] - c.logC[j - 1]);
      double loss = c.loss[j - 1] + w * (c.loss[j] - c.loss[j - 1]);
      if (loss < best.loss) {
        best.loss = loss;
        best.N = c.N;
        best.D = std::exp(c.logD[j - 1] + w * (c.logD[j] - c.logD[j - 1]));
        best.run = static_cast<int>(r);
      }
    }
    if (!std::isfinite(best.loss)) continue;  // a gap no selected run covers
    best.C = std::exp(lc);
    env.push_back(best);
  }
  double nmin = INFINITY, nmax = 0;
  for (const Curve* c : cs) nmin = std::min(nmin, c->N), nmax = std::max(nmax, c->N);
  size_t sizes = 0;
  {
    std::vector<double> ns;
    for (const Curve* c : cs) ns.push_back(c->N);
    std::sort(ns.begin(), ns.end());
    sizes = static_cast<size_t>(std::unique(ns.begin(), ns.end()) - ns.begin());
  }
  if (opt.trim_extremes && sizes >= 3)
    std::erase_if(env, [&](const EnvelopePoint& e) { return e.N == nmin || e.N == nmax; });
  SL_REQUIRE(!env.empty(),
             "approach 1: degenerate envelope, the smallest or largest model has the lowest loss at every budget; "
             "need runs of several sizes whose curves cross");
  SL_REQUIRE(env.size() >= 2, "approach 1: the envelope has {} points, need at least 2", env.size());
  bool spread = std::any_of(env.begin(), env.end(), [&](const EnvelopePoint& e) { return e.N != env.front().N; });
  SL_REQUIRE(spread,
             "approach 1: degenerate envelope, one model size (N = {}) has the lowest loss at every budget; need runs "
             "of several sizes whose curves cross",
             env.front().N);
  return env;
}

PowerAllocation fit_envelope(const std::vector<EnvelopePoint>& env) {
  std::vector<double> x, n, d;
  for (const auto& e : env) {
    x.push_back(e.C / kFlopsPerParamToken);
    n.push_back(e.N);
    d.push_back(e.D);
  }
  PowerLawFit fn = fit_power_law(x, n, "approach 1: N_opt(C)");
  PowerLawFit fd = fit_power_law(x, d, "approach 1: D_opt(C)");
  return {fn.coef, fn.exponent, fd.coef, fd.exponent, static_cast<int>(env.size()), fn.rms_log_residual,
          fd.rms_log_residual};
}

std::vector<const Curve*> all_of(const std::vector<Curve>& curves) {
  std::vector<const Curve*> cs;
  for (const auto& c : curves) cs.push_back(&c);
  return cs;
}

}  // namespace

std::vector<EnvelopePoint> training_envelope(const Observations& obs, const Approach1Options& opt) {
  bool by_N = false;
  std::vector<Curve> curves = make_curves(obs, &by_N);
  return envelope_of(all_of(curves), opt);
}

FitResult fit_approach1(const Observations& obs, const FitOptions& fit, const Approach1Options& opt) {
  fit.validate();
  bool by_N = false;
  std::vector<Curve> curves = make_curves(obs, &by_N);
  PowerAllocation best = fit_envelope(envelope_of(all_of(curves), opt));

  // Bootstrap over runs: draw R runs with replacement. A run drawn twice leaves the
  // envelope unchanged, so each draw is the envelope of a random subset of runs. Draw k uses
  // the stream Rng(seed).split(k), so results do not depend on the thread count.
  const int K = fit.bootstrap;
  std::vector<PowerAllocation> draws(static_cast<size_t>(std::max(K, 0)));
  std::vector<char> ok(draws.size(), 0);
  const Rng base(fit.seed);
  const size_t R = curves.size();
#pragma omp parallel for schedule(dynamic) num_threads(fit.threads > 0 ? fit.threads : omp_get_max_threads())
  for (int k = 0; k < K; ++k) {
    Rng rng = base.split(static_cast<uint64_t>(k));
    std::vector<char> picked(R, 0);
    for (size_t i = 0; i < R; ++i) picked[rng.below(R)] = 1;
    std::vector<const Curve*> cs;
    for (size_t i = 0; i < R; ++i)
      if (picked[i]) cs.push_back(&curves[i]);
    try {
      if (cs.size() < 2) continue;
      draws[static_cast<size_t>(k)] = fit_envelope(envelope_of(cs, opt));
      ok[static_cast<size_t>(k)] = 1;
    } catch (const InputError&) {
      // A draw whose runs leave one size on the envelope has no exponent; it is counted
      // as failed in the message, never silently replaced.
    }
  }
  std::vector<PowerAllocation> good;
  for (size_t k = 0; k < draws.size(); ++k)
    if (ok[k]) good.push_back(draws[k]);
  std::string msg = fmt::format("envelope of {} runs on {} budgets{}", R, best.points,
                                by_N ? " (no run column: points sharing N taken as one run)" : "");
  return allocation_fit_result(1, best, good, K, fit, static_cast<int>(obs.size()), msg);
}

FitResult allocation_fit_result(int approach, const PowerAllocation& best, const std::vector<PowerAllocation>& draws,
                                int requested_draws, const FitOptions& fit, int n_observations, std::string message) {
  FitResult r;
  r.law = "";  // approaches 1 and 2 fit no loss law, only the allocation power laws
  r.formula = "N_opt = G (C/6)^a, D_opt = H (C/6)^b";
  r.approach = approach;
  r.names = {"G", "a", "H", "b"};
  r.params = {best.G, best.a, best.H, best.b};
  // Least-squares objective of the two log-log fits: sum of squared log residuals.
  r.objective = best.points * (best.rms_log_N * best.rms_log_N + best.rms_log_D * best.rms_log_D);
  r.iterations = 0;
  r.converged = true;  // closed-form least squares
  r.starts = 1;
  r.starts_converged = 1;
  r.points = n_observations;
  const double budgets[] = {1e21, 1e23, 1e25};
  auto derived_of = [&](const PowerAllocation& p) {
    std::map<std::string, double> d{{"a", p.a}, {"b", p.b}};
    for (double C : budgets)
      d[fmt::format("tokens_per_param_1e{}", std::lround(std::log10(C)))] = tokens_per_param(p, C);
    return d;
  };
  r.derived = derived_of(best);
  r.bootstrap = requested_draws;
  r.seed = fit.seed;
  r.ci_level = fit.ci_level;
  for (const auto& p : draws) r.samples.push_back({p.G, p.a, p.H, p.b});
  if (requested_draws > 0) {
    message += fmt::format("; bootstrap {}/{} draws usable", draws.size(), requested_draws);
    if (draws.size() >= 2) {
      auto add = [&](const std::string& name, const std::vector<double>& v) {
        r.ci[name] = percentile_interval(v, fit.ci_level);
        r.se[name] = standard_error(v);
      };
      for (size_t i = 0; i < r.names.size(); ++i) {
        std::vector<double> v;
        for (const auto& s : r.samples) v.push_back(s[i]);
        add(r.names[i], v);
      }
      std::map<std::string, std::vector<double>> dv;
      for (const auto& p : draws)
        for (auto& [k, v] : derived_of(p)) dv[k].push_back(v);
      for (auto& [k, v] : dv)
        if (k != "a" && k != "b") add(k, v);  // a, b already have CIs as parameters
    }
  }
  r.message = message;
  return r;
}

}  // namespace scalelab::fit
