// Muennighoff et al. 2023 ("Scaling Data-Constrained Language Models"), sec. 3.1, eqs. 5-6:
// training for several epochs on U_D unique tokens is worth less than fresh data, and
// parameters beyond the compute-optimal size for U_D tokens are worth less than fresh ones.
// The Chinchilla form (Hoffmann et al. 2022, eq. 2) is evaluated at an effective data count
// D' and an effective parameter count N':
//   L(N, D, U) = E + A / N'^alpha + B / D'^beta
//   D' = U_D + U_D R*_D (1 - exp(-R_D / R*_D)),  U_D = min(U, D),   R_D = D / U_D - 1   (eq. 5)
//   N' = U_N + U_N R*_N (1 - exp(-R_N / R*_N)),  U_N = min(N_opt(U_D), N), R_N = N / U_N - 1 (eq. 6)
// R*_D (R*_N) is the number of repetitions (excess-parameter multiples) after which more
// are worth ~1/e as much; Muennighoff et al. fit R*_D = 15.4 and R*_N = 5.3. N_opt(U_D) is
// the compute-optimal size for U_D tokens under the law's own Chinchilla part (Hoffmann et
// al. 2022, eq. 4: D_opt(C) = U_D gives C/6 = (G U_D)^(1/b) and N_opt = G (C/6)^a), which
// in closed form is the first-order condition alpha A / N^alpha = beta B / U_D^beta:
//   log N_opt(U_D) = L = (log(alpha / beta) + a - b + beta log U_D) / alpha,  a = log A, b = log B.
//
// Conventions: a point with U = 0 (unknown) is unconstrained: D' = D and N' = N (plain
// Chinchilla). A point with U >= D saw no repetition (D' = D) but, as in the paper, its
// parameters still decay beyond N_opt(D). N_opt needs alpha, beta > 0; elsewhere (only
// met by a solver's excursions) U_N = N.
//
// Fit space: e, a, b, alpha, beta, rD = log R*_D, rN = log R*_N. With x' = u (1 + R* q),
// q = 1 - exp(-z), z = R / R* (the shared "decay" below):
//   d log x' / d log R* = R* (q - z e^-z) / (1 + R* q),
//   d log x' / d log(1 + R) = (1 + R) e^-z / (1 + R* q).
// For N', log(1 + R_N) = log N - L, so with k = d log N' / d L = 1 - d log N' / d log(1 + R_N),
// t1 = a - alpha log N' has
//   d t1/da = 1 - k,  d t1/db = k,  d t1/dalpha = -log N' - k (1/alpha - L),
//   d t1/dbeta = -k (log U_D - 1/beta),  d t1/drN = -alpha d log N' / d rN.
// The min() in U_N is a kink in the parameters (where N = N_opt(U_D)): the value is
// continuous there (R_N = 0 on both sides gives N' = N) but the gradient is not; we return
// the gradient of the active branch (N' = N, k = 0, when N <= N_opt(U_D)), a valid
// one-sided derivative, which L-BFGS tolerates as it does Huber's kinks.
#include "core/error.h"
#include "fit/derived.h"
#include "fit/law_families.h"

#include <cmath>

namespace scalelab::fit::detail {
namespace {

// x' = u (1 + R* q) for R >= 0 repetitions of u, in logs, with its two derivatives.
struct Decay {
  double log_value;  // log x'
  double d_logRs;    // d log x' / d log R*
  double d_log1pR;   // d log x' / d log(1 + R), the log-u side held fixed
};

Decay decay(double log_u, double R, double Rs) {
  if (!(R > 0)) return {log_u, 0.0, 0.0};
  double z = R / Rs;
  double ez = std::exp(-z);
  double q = -std::expm1(-z);
  double inner = 1 + Rs * q;
  double zez = z > 700 ? 0.0 : z * ez;  // z e^-z; 0 (not inf * 0) for huge or infinite R
  return {log_u + std::log(inner), Rs * (q - zez) / inner, (ez + Rs * zez) / inner};
}

// log D' (eq. 5) and its d / d log R*_D; log U_D for N_opt (log D when U is unknown).
struct EffectiveData {
  Decay d;
  double logUD;
  bool known;  // U > 0
};

EffectiveData effective_data(double D, double logD, double U, double RsD) {
  if (!(U > 0)) return {{logD, 0.0, 0.0}, logD, false};
  if (U >= D) return {{logD, 0.0, 0.0}, logD, true};
  return {decay(std::log(U), D / U - 1, RsD), std::log(U), true};
}

// log N' (eq. 6) with k = d log N' / d L and d log N' / d log R*_N.
struct EffectiveParams {
  double logN;  // log N'
  double L;     // log N_opt(U_D) (meaningful when k != 0)
  double k;
  double d_logRs;
};

EffectiveParams effective_params(double a, double b, double alpha, double beta, double RsN, double logN,
                                 const EffectiveData& ed) {
  EffectiveParams inactive{logN, logN, 0.0, 0.0};
  if (!ed.known || !(alpha > 0 && beta > 0)) return inactive;
  double L = (std::log(alpha / beta) + a - b + beta * ed.logUD) / alpha;
  if (!(L < logN)) return inactive;  // N <= N_opt(U_D): U_N = N, R_N = 0
  Decay d = decay(L, std::expm1(logN - L), RsN);
  return {d.log_value, L, 1 - d.d_log1pR, d.d_logRs};
}

class DataConstrainedLaw final : public Law {
 public:
  explicit DataConstrainedLaw(const LawOptions& o) : Law(o) {}

  std::string name() const override { return "data-constrained"; }
  std::string formula() const override {
    return "L(N,D,U) = E + A/N'^alpha + B/D'^beta; D' = U_D + U_D*R*_D*(1 - exp(-R_D/R*_D)), U_D = min(U, D), "
           "R_D = D/U_D - 1; N' = U_N + U_N*R*_N*(1 - exp(-R_N/R*_N)), U_N = min(N_opt(U_D), N), "
           "R_N = N/U_N - 1, N_opt(U_D) = (alpha*A*U_D^beta/(beta*B))^(1/alpha) "
           "(Muennighoff et al. 2023, eqs. 5-6; U = 0: D' = D, N' = N)";
  }
  std::vector<std::string> param_names() const override {
    return {"E", "A", "B", "alpha", "beta", "R_D_star", "R_N_star"};
  }
  std::vector<ParamScale> scales() const override {
    return {ParamScale::kLog,    ParamScale::kLog,    ParamScale::kLog, ParamScale::kLinear,
            ParamScale::kLinear, ParamScale::kLog,    ParamScale::kLog};
  }
  std::string columns() const override { return "NDU"; }

  double predict(std::span<const double> p, const Observation& x) const override {
    EffectiveData ed = effective_data(x.D, std::log(x.D), x.U, p[5]);
    EffectiveParams en = effective_params(std::log(p[1]), std::log(p[2]), p[3], p[4], p[6], std::log(x.N), ed);
    return p[0] + p[1] * std::exp(-p[3] * en.logN) + p[2] * std::exp(-p[4] * ed.d.log_value);
  }

  // theta = {e, a, b, alpha, beta, rD, rN}; gradient formulas in the file comment.
  double log_predict_fit(std::span<const double> t, const Points& pts, size_t i,
                         std::span<double> g) const override {
    EffectiveData ed = effective_data(pts.D[i], pts.logD[i], pts.U[i], std::exp(t[5]));
    EffectiveParams en = effective_params(t[1], t[2], t[3], t[4], std::exp(t[6]), pts.logN[i], ed);
    double p1, p2, p3;
    double lse = lse3(t[1] - t[3] * en.logN, t[2] - t[4] * ed.d.log_value, t[0], p1, p2, p3);
    g[0] = p3;
    g[1] = p1 * (1 - en.k);
    g[2] = p2 + p1 * en.k;
    g[3] = -p1 * (en.logN + (en.k != 0 ? en.k * (1 / t[3] - en.L) : 0.0));
    g[4] = -p2 * ed.d.log_value - (en.k != 0 ? p1 * en.k * (ed.logUD - 1 / t[4]) : 0.0);
    g[5] = -p2 * t[4] * ed.d.d_logRs;
    g[6] = -p1 * t[3] * en.d_logRs;
    return lse;
  }

  // A coarser Hoffmann grid (3^7 = 2,187 starts): the five Chinchilla coordinates at 3
  // values each, R*_D at 2, 10 and 50 repetitions and R*_N at 1, 5 and 25 (Muennighoff et
  // al.'s 15.4 and 5.3 lie inside).
  std::vector<std::vector<double>> start_grid(const Points&) const override {
    return grid_product({{-1, 0, 1},
                         {0, 10, 20},
                         {0, 10, 20},
                         {0.25, 0.5, 1.0},
                         {0.25, 0.5, 1.0},
                         {std::log(2.0), std::log(10.0), std::log(50.0)},
                         {0.0, std::log(5.0), std::log(25.0)}});
  }

  // R*_N is determined only by points whose N exceeds N_opt(U_D), which depends on the
  // fitted parameters and so cannot be checked here; a design without such points leaves
  // R*_N free (its bootstrap interval then spans decades).
  void check_design(const Points& pts) const override {
    Law::check_design(pts);
    SL_REQUIRE(count_distinct(pts.logN) >= 2,
               "data-constrained: degenerate design: all points have the same N = {:g}", pts.N[0]);
    SL_REQUIRE(count_distinct(pts.logD) >= 2,
               "data-constrained: degenerate design: all points have the same D = {:g}", pts.D[0]);
    int repeated = 0;
    for (size_t i = 0; i < pts.size(); ++i) repeated += (pts.U[i] > 0 && pts.U[i] < pts.D[i]);
    SL_REQUIRE(repeated >= 2,
               "data-constrained: {} points repeat data (U > 0 and D > U); R_D_star needs at least 2 "
               "(give the unique-token column U)", repeated);
  }

  std::map<std::string, double> derived(std::span<const double> p) const override {
    if (!(p[1] > 0 && p[2] > 0 && p[3] > 0 && p[4] > 0)) return {};
    ChinchillaAllocation al = chinchilla_allocation(p);  // for fresh data (U large)
    return {{"a", al.a}, {"b", al.b}, {"G", al.G}};
  }
};

}  // namespace

std::unique_ptr<Law> make_data_constrained_law(const LawOptions& options) {
  return std::make_unique<DataConstrainedLaw>(options);
}

}  // namespace scalelab::fit::detail
