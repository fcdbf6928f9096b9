// defines: fit::chinchilla_objective, fit::power_objective (the fused loops)
//
// The summed Huber objectives of the two laws that run on big start grids, fused and
// vectorised over points in Google Highway double vectors (Exp and Log from Highway's
// contrib math, 1 ulp), compiled for every SIMD target and dispatched at run time like the
// CPU kernels (backend/cpu/simd_path.h; SCALELAB_SIMD pins these too). A portable build
// so keeps the speed that -march=native gave the autovectorised loops before.
// Sums are over vector lanes, then across lanes: the bits depend on the SIMD path (one
// path, one answer; each evaluation is single-threaded, so multi-start results do not
// depend on the thread count).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "fit/objective_simd.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "core/error.h"
#include "core/simd-inl.h"
#include "fit/objective.h"
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace scalelab::fit::HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;
using DD = hn::ScalableTag<double>;
using VD = hn::Vec<DD>;
using simd::HWY_NAMESPACE::ForVectors;
using simd::HWY_NAMESPACE::LoadN;

// Huber (Huber 1964) and its slope, as law_math.h's huber/huber_slope, lane-wise.
HWY_INLINE VD Huber(DD d, VD r, VD delta) {
  const VD a = hn::Abs(r);
  return hn::IfThenElse(hn::Le(a, delta), hn::Mul(hn::Set(d, 0.5), hn::Mul(r, r)),
                        hn::Mul(delta, hn::NegMulAdd(hn::Set(d, 0.5), delta, a)));
}
HWY_INLINE VD HuberSlope(VD r, VD delta) { return hn::Min(hn::Max(r, hn::Neg(delta)), delta); }

}  // namespace

// Per point, with t1 = a - alpha log N, t2 = b - beta log D, t3 = e, m = max(t1, t2, t3):
//   lse = m + log(e^(t1-m) + e^(t2-m) + e^(t3-m)),  r = lse - log L,
//   d lse / d(a, b, e) = softmax weights (p1, p2, p3),
//   d lse / d alpha = -p1 log N,  d lse / d beta = -p2 log D.
// out = {f, d/de, d/da, d/db, d/dalpha, d/dbeta}.
void ChinchillaSums(const double* theta, const double* lN, const double* lD, const double* lL, const double* w,
                    size_t n, double delta, double* out) {
  const DD d;
  const VD e = hn::Set(d, theta[0]), a = hn::Set(d, theta[1]), b = hn::Set(d, theta[2]),
           alpha = hn::Set(d, theta[3]), beta = hn::Set(d, theta[4]), vdelta = hn::Set(d, delta),
           one = hn::Set(d, 1.0);
  VD f = hn::Zero(d), ge = f, ga = f, gb = f, gal = f, gbe = f;
  // Lanes past the last point load as 0: weight 0, no contribution.
  ForVectors(d, n, [&]<bool kFull>(size_t i, size_t len) {
    const VD ln = LoadN<kFull>(d, lN + i, len), ld = LoadN<kFull>(d, lD + i, len);
    const VD ll = LoadN<kFull>(d, lL + i, len), wi = LoadN<kFull>(d, w + i, len);
    const VD t1 = hn::NegMulAdd(alpha, ln, a), t2 = hn::NegMulAdd(beta, ld, b), t3 = e;
    // Sort the three exponents without branches: e^(max - max) = 1 needs no exp, so two
    // exps per point instead of three; each term's weight is then picked by value (ties
    // pick equal values, so the choice among tied terms does not matter).
    const VD hi12 = hn::Max(t1, t2), lo12 = hn::Min(t1, t2);
    const VD m = hn::Max(hi12, t3), lo = hn::Min(lo12, t3);
    const VD mid = hn::IfThenElse(hn::Gt(hi12, t3), hn::Max(lo12, t3), hi12);
    const VD e_mid = hn::Exp(d, hn::Sub(mid, m)), e_lo = hn::Exp(d, hn::Sub(lo, m));
    const VD s = hn::Add(one, hn::Add(e_mid, e_lo));
    auto weight = [&](VD t) { return hn::IfThenElse(hn::Eq(t, m), one, hn::IfThenElse(hn::Eq(t, mid), e_mid, e_lo)); };
    const VD e1 = weight(t1), e2 = weight(t2), e3 = weight(t3);
    const VD r = hn::Sub(hn::Add(m, hn::Log(d, s)), ll);
    const VD ws = hn::Div(hn::Mul(wi, HuberSlope(r, vdelta)), s);
    f = hn::MulAdd(wi, Huber(d, r, vdelta), f);
    ga = hn::MulAdd(ws, e1, ga);
    gb = hn::MulAdd(ws, e2, gb);
    ge = hn::MulAdd(ws, e3, ge);
    gal = hn::NegMulAdd(hn::Mul(ws, e1), ln, gal);
    gbe = hn::NegMulAdd(hn::Mul(ws, e2), ld, gbe);
  });
  const VD sums[6] = {f, ge, ga, gb, gal, gbe};
  for (int k = 0; k < 6; ++k) out[k] = hn::GetLane(hn::SumOfLanes(d, sums[k]));
}

// E + A X^-alpha: t1 = a - alpha log X, t3 = e; out = {f, d/de, d/da, d/dalpha}.
void PowerSums(const double* theta, const double* lx, const double* lL, const double* w, size_t n, double delta,
               double* out) {
  const DD d;
  const VD e = hn::Set(d, theta[0]), a = hn::Set(d, theta[1]), alpha = hn::Set(d, theta[2]),
           vdelta = hn::Set(d, delta);
  VD f = hn::Zero(d), ge = f, ga = f, gal = f;
  ForVectors(d, n, [&]<bool kFull>(size_t i, size_t len) {
    const VD x = LoadN<kFull>(d, lx + i, len), ll = LoadN<kFull>(d, lL + i, len), wi = LoadN<kFull>(d, w + i, len);
    const VD t1 = hn::NegMulAdd(alpha, x, a);
    const VD m = hn::Max(t1, e);
    const VD e1 = hn::Exp(d, hn::Sub(t1, m)), e3 = hn::Exp(d, hn::Sub(e, m));
    const VD s = hn::Add(e1, e3);
    const VD r = hn::Sub(hn::Add(m, hn::Log(d, s)), ll);
    const VD ws = hn::Div(hn::Mul(wi, HuberSlope(r, vdelta)), s);
    f = hn::MulAdd(wi, Huber(d, r, vdelta), f);
    ga = hn::MulAdd(ws, e1, ga);
    ge = hn::MulAdd(ws, e3, ge);
    gal = hn::NegMulAdd(hn::Mul(ws, e1), x, gal);
  });
  const VD sums[4] = {f, ge, ga, gal};
  for (int k = 0; k < 4; ++k) out[k] = hn::GetLane(hn::SumOfLanes(d, sums[k]));
}

}  // namespace scalelab::fit::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace scalelab::fit {

HWY_EXPORT(ChinchillaSums);
HWY_EXPORT(PowerSums);

double chinchilla_objective(std::span<const double> theta, const Points& pts, std::span<const double> weights,
                            double delta, std::span<double> grad) {
  SL_ASSERT(theta.size() == 5 && grad.size() == 5 && weights.size() == pts.size());
  double out[6];
  HWY_DYNAMIC_DISPATCH(ChinchillaSums)(theta.data(), pts.logN.data(), pts.logD.data(), pts.logloss.data(),
                                       weights.data(), pts.size(), delta, out);
  std::copy(out + 1, out + 6, grad.begin());
  return out[0];
}

double power_objective(std::span<const double> theta, std::span<const double> logx,
                       std::span<const double> logloss, std::span<const double> weights, double delta,
                       std::span<double> grad) {
  SL_ASSERT(theta.size() == 3 && grad.size() == 3 && weights.size() == logx.size());
  double out[4];
  HWY_DYNAMIC_DISPATCH(PowerSums)(theta.data(), logx.data(), logloss.data(), weights.data(), logx.size(), delta,
                                  out);
  std::copy(out + 1, out + 4, grad.begin());
  return out[0];
}

}  // namespace scalelab::fit
#endif  // HWY_ONCE
