// defines: scalelab::fit::LawOptions, scalelab::fit::Law, scalelab::fit::Points,
//          scalelab::fit::ParamScale, scalelab::fit::make_law, scalelab::fit::law_names
//
// A scaling law as a typed object: its name, formula, parameter names, value and analytic
// gradient in natural parameters, plus what a fitter needs (a well-conditioned "fit space",
// a start grid of the Hoffmann kind, a design check).
//
//   auto law = make_law("chinchilla");                       // E + A/N^alpha + B/D^beta
//   std::vector<double> p = {1.817, 477.8, 2143.9, 0.3473, 0.3672};
//   Observation x{.N = 7e10, .D = 1.4e12};
//   double loss = law->predict(p, x);                        // nats/token
//   std::vector<double> g(law->dim());
//   law->gradient(p, x, g);                                  // d loss / d p, natural space
//
// The six families (one file each, laws_<family>.cpp):
//   "power"            L(X) = E + A X^-alpha, X in {N, D, C}          (LawOptions::variable)
//   "kaplan"           Kaplan et al. 2020, eqs. 1.1, 1.2, 1.5: L(N) = (Nc/N)^aN (variable "N"),
//                      L(D) = (Dc/D)^aD ("D"), joint [(Nc/N)^(aN/aD) + Dc/D]^aD ("ND")
//   "chinchilla"       Hoffmann et al. 2022, eq. 2: L(N,D) = E + A/N^alpha + B/D^beta
//   "data-constrained" Muennighoff et al. 2023, eqs. 5-6: Chinchilla's form at the effective
//                      data D' of repeated epochs (R*_D) and effective parameters N' beyond the
//                      compute-optimal size for the unique data (R*_N); laws_data_constrained.cpp
//   "bnsl"             Caballero et al. 2022, eq. 1: broken neural scaling law with 1 or 2
//                      breaks (LawOptions::breaks) in X (LawOptions::variable)
//   "overtrain"        Gadre et al. 2024, eq. 4: L(N,D) = E + (a M^eta + b M^-eta) C^-eta,
//                      M = D/N, C = 6ND (over-trained models); laws_overtrain.cpp
//
// Fit space: every parameter is either fitted as is or as its logarithm (scale parameters
// E, A, B, Nc, ... span many decades; Hoffmann et al. 2022 and Besiroglu et al. 2024 fit
// a = log A, b = log B, e = log E). The objective (objective.h) works on log predicted
// loss, so each law gives log L-hat and its gradient with respect to fit-space theta.
#pragma once

#include "core/json.h"
#include "fit/observations.h"

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace scalelab::fit {

struct LawOptions {
  // The variable of a one-variable law: "power" and "bnsl" take N, D or C; "kaplan" takes
  // N, D or ND (the joint form). Ignored by chinchilla and data-constrained.
  std::string variable = "N";
  int breaks = 1;  // bnsl: number of breaks, 1 or 2

  // Throws InputError naming the field (law_options.variable / law_options.breaks).
  void validate(const std::string& law) const;
  Json to_json() const;
  static LawOptions from_json(const Json& j);  // missing fields keep their defaults
};

// Observations as structure-of-arrays with the logarithms precomputed, so objective loops
// over points vectorise. All arrays have size() entries; logs are of positive values only
// (a column a law does not use may hold zeros and then its log is -inf, never read).
struct Points {
  std::vector<double> N, D, C, U, loss;
  std::vector<double> logN, logD, logC, logloss;
  Observations obs;  // the rows themselves (run names, natural values)

  static Points from(const Observations& obs);
  size_t size() const { return loss.size(); }
  const Observation& at(size_t i) const { return obs[i]; }
};

// How a natural parameter p maps to fit space theta.
enum class ParamScale { kLinear, kLog };  // theta = p, or theta = log p (p > 0)

class Law {
 public:
  virtual ~Law();

  virtual std::string name() const = 0;     // "chinchilla" | "kaplan" | "power" | ...
  virtual std::string formula() const = 0;  // e.g. "L(N,D) = E + A/N^alpha + B/D^beta"
  virtual std::vector<std::string> param_names() const = 0;  // natural-space names
  int dim() const { return static_cast<int>(param_names().size()); }
  const LawOptions& options() const { return options_; }

  // Predicted loss (nats/token) at x, and its gradient with respect to the natural params.
  virtual double predict(std::span<const double> params, const Observation& x) const = 0;
  // The default gradient goes through log_predict_fit and the chain rule (needs every
  // log-scale parameter > 0); laws with a short closed form override it.
  virtual void gradient(std::span<const double> params, const Observation& x,
                        std::span<double> grad) const;

  // ---- fitting interface --------------------------------------------------------------
  virtual std::vector<ParamScale> scales() const = 0;  // one per parameter
  void to_fit(std::span<const double> params, std::span<double> theta) const;
  void to_natural(std::span<const double> theta, std::span<double> params) const;

  // log L-hat at point i and d log L-hat / d theta (fit space), written in a stable
  // log-sum-exp form so that extreme grid starts (a = 25, alpha = 0) neither overflow nor
  // lose the gradient. Checked against exp(predict) and finite differences in tests.
  virtual double log_predict_fit(std::span<const double> theta, const Points& pts, size_t i,
                                 std::span<double> grad_theta) const = 0;

  // Summed, weighted Huber objective (objective.h) and its gradient in fit space. The
  // default loops over points with log_predict_fit; chinchilla and power override it with
  // fused, vectorised loops (chinchilla is the law the 4,500-start grid runs on).
  virtual double objective(std::span<const double> theta, const Points& pts,
                           std::span<const double> weights, double delta,
                           std::span<double> grad) const;

  // Multi-start grid in fit space, "of the same spirit" as Hoffmann et al. 2022's
  // (Appendix D.2) 4,500-point grid; may depend on the data's range (break locations).
  virtual std::vector<std::vector<double>> start_grid(const Points& pts) const = 0;

  // InputError naming the law when the points cannot determine the parameters: fewer
  // points than parameters, a degenerate design (all points at one N), missing columns.
  virtual void check_design(const Points& pts) const;
  // Columns the law reads, e.g. "N", "ND", "NDU" (U may be 0 = unknown).
  virtual std::string columns() const = 0;

  // Quantities derived from the natural parameters (chinchilla: a, b, G); may be empty.
  virtual std::map<std::string, double> derived(std::span<const double> params) const;

 protected:
  explicit Law(LawOptions options) : options_(std::move(options)) {}
  LawOptions options_;
};

// The law named `name` ("chinchilla", "kaplan", "power", "data-constrained", "bnsl",
// "overtrain");
// InputError naming the law (and listing the known ones) if unknown, or naming the option
// if `options` do not fit the law.
std::unique_ptr<Law> make_law(const std::string& name, const LawOptions& options = {});
std::vector<std::string> law_names();

}  // namespace scalelab::fit
