// Caballero et al. 2022 ("Broken Neural Scaling Laws"), eq. 1, with n = 1 or 2 breaks:
//   L(x) = E + b x^-c0 prod_{i=1..n} (1 + (x / d_i)^(1/f_i))^(-c_i f_i)
// (the paper's a is our E). Each break bends the log-log slope from -(c0 + .. + c_{i-1})
// to -(c0 + .. + c_i) around x = d_i, with sharpness f_i (small f = sharp break).
// Fit space: log E, log b, c0, then per break c_i, log d_i, log f_i; with lx = log x,
// z_i = (lx - log d_i) / f_i and softplus(z) = log(1 + e^z),
//   g = log b - c0 lx - sum_i c_i f_i softplus(z_i),   log L = LSE(log E, g),
//   dg/dc_i = -f_i softplus(z_i),  dg/dlog d_i = c_i sigmoid(z_i),
//   dg/dlog f_i = -c_i f_i (softplus(z_i) - z_i sigmoid(z_i)).
#include "core/error.h"
#include "fit/law_families.h"

#include <algorithm>
#include <cmath>

namespace scalelab::fit::detail {
namespace {

class BnslLaw final : public Law {
 public:
  explicit BnslLaw(const LawOptions& o) : Law(o), breaks_(o.breaks), col_(log_member(o.variable)) {}

  std::string name() const override { return "bnsl"; }
  std::string formula() const override {
    const std::string& x = options_.variable;
    std::string f = "L(" + x + ") = E + b*" + x + "^-c0";
    for (int i = 1; i <= breaks_; ++i)
      f += fmt::format(" * (1 + ({}/d{})^(1/f{}))^(-c{}*f{})", x, i, i, i, i);
    return f;
  }
  std::vector<std::string> param_names() const override {
    std::vector<std::string> n = {"E", "b", "c0"};
    for (int i = 1; i <= breaks_; ++i)
      for (const char* s : {"c", "d", "f"}) n.push_back(s + std::to_string(i));
    return n;
  }
  std::vector<ParamScale> scales() const override {
    std::vector<ParamScale> s = {ParamScale::kLog, ParamScale::kLog, ParamScale::kLinear};
    for (int i = 0; i < breaks_; ++i)
      s.insert(s.end(), {ParamScale::kLinear, ParamScale::kLog, ParamScale::kLog});
    return s;
  }
  std::string columns() const override { return options_.variable; }

  double predict(std::span<const double> p, const Observation& x) const override {
    double X = column_value(x, options_.variable);
    double v = p[1] * std::pow(X, -p[2]);
    for (int i = 0; i < breaks_; ++i) {
      double c = p[3 + 3 * i], d = p[4 + 3 * i], f = p[5 + 3 * i];
      v *= std::pow(1 + std::pow(X / d, 1 / f), -c * f);
    }
    return p[0] + v;
  }

  double log_predict_fit(std::span<const double> t, const Points& pts, size_t i,
                         std::span<double> g) const override {
    double lx = (pts.*col_)[i];
    double gv = t[1] - t[2] * lx;
    std::fill(g.begin(), g.end(), 0.0);
    g[1] = 1.0;
    g[2] = -lx;
    for (int k = 0; k < breaks_; ++k) {
      double c = t[3 + 3 * k], ld = t[4 + 3 * k], f = std::exp(t[5 + 3 * k]);
      double z = (lx - ld) / f;
      // softplus(z) and sigmoid(z) from one exp: with u = e^-|z|,
      // softplus = max(z, 0) + log1p(u), sigmoid = 1/(1+u) for z >= 0 and u/(1+u) otherwise.
      double u = std::exp(-std::fabs(z));
      double sp = std::max(z, 0.0) + std::log1p(u);
      double sg = z >= 0 ? 1 / (1 + u) : u / (1 + u);
      gv -= c * f * sp;
      g[3 + 3 * k] = -f * sp;
      g[4 + 3 * k] = c * sg;
      g[5 + 3 * k] = -c * f * (sp - z * sg);
    }
    double pg = 0;
    double lse = lse2(gv, t[0], pg);
    for (size_t j = 1; j < g.size(); ++j) g[j] *= pg;
    g[0] = 1 - pg;
    return lse;
  }

  // Breaks start at quantiles of the observed log x (a break outside the data is not
  // identifiable), the rest at values of the same spirit as Hoffmann's grid:
  // 3 (E) x 3 (b) x 2 (c0) x 3 (c_i) x 3 (d_i or pairs) x 2 (f_i) starts.
  std::vector<std::vector<double>> start_grid(const Points& pts) const override {
    std::vector<double> lx = log_column(pts, options_.variable);
    std::sort(lx.begin(), lx.end());
    auto q = [&](double p) { return lx[static_cast<size_t>(p * (lx.size() - 1))]; };
    std::vector<double> e = {-1, 0, 1}, lb = {0, 5, 10}, c0 = {0.0, 0.5}, c = {0.0, 0.5, 1.0};
    std::vector<double> lf = {std::log(0.1), std::log(1.0)};
    if (breaks_ == 1) return grid_product({e, lb, c0, c, {q(0.25), q(0.5), q(0.75)}, lf});
    std::vector<std::vector<double>> out;
    for (auto [d1, d2] : {std::pair{0.2, 0.5}, {0.2, 0.8}, {0.5, 0.8}})
      for (auto& s : grid_product({e, lb, c0, c, {q(d1)}, {std::log(0.3)}, c, {q(d2)}, lf}))
        out.push_back(std::move(s));
    return out;
  }

  void check_design(const Points& pts) const override {
    Law::check_design(pts);
    int d = count_distinct(log_column(pts, options_.variable));
    SL_REQUIRE(d > dim(), "bnsl: degenerate design: {} distinct values of {} for {} parameters ({} "
               "break(s)); a broken power law needs points on both sides of each break",
               d, options_.variable, dim(), breaks_);
  }

 private:
  int breaks_;
  LogColumn col_;
};

}  // namespace

std::unique_ptr<Law> make_bnsl_law(const LawOptions& options) { return std::make_unique<BnslLaw>(options); }

}  // namespace scalelab::fit::detail
