// defines: cpu::layernorm_forward, cpu::layernorm_backward
//
// LayerNorm (Ba, Kiros and Hinton 2016) over rows of C floats, in Highway vectors. A row
// fits in L1, so each pass below reads a row from memory once: forward computes mean and
// variance (two sweeps over the cached row, the numerically safe form) and writes the
// output; backward computes both row sums in one sweep and dinp, dw, db in a second. dw
// and db are sums over rows: each thread accumulates its rows into a private partial, and
// the partials are added in thread order, so the result is fixed for a given thread count
// and SIMD path.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/layernorm.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <omp.h>

#include <cmath>
#include <vector>

#include "backend/cpu/kernels.h"
#include "backend/cpu/simd-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace scalelab::cpu::HWY_NAMESPACE {

void LayerNormForwardRows(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b,
                          size_t row_begin, size_t row_end, int C) {
  const DF d;
  const float eps = 1e-5f;
  for (size_t i = row_begin; i < row_end; ++i) {
    const float* x = inp + i * C;
    VF vsum = hn::Zero(d);
    ForVectors(d, C, [&]<bool kFull>(size_t c, size_t n) { vsum = hn::Add(vsum, LoadN<kFull>(d, x + c, n)); });
    const float m = SumLanes(d, vsum) / C;
    const VF vm = hn::Set(d, m);
    VF vvar = hn::Zero(d);
    ForVectors(d, C, [&]<bool kFull>(size_t c, size_t n) {
      const VF dx = ZeroPast<kFull>(d, hn::Sub(LoadN<kFull>(d, x + c, n), vm), n);
      vvar = hn::MulAdd(dx, dx, vvar);
    });
    const float s = 1.0f / std::sqrt(SumLanes(d, vvar) / C + eps);
    const VF vs = hn::Set(d, s);
    float* o = out + i * C;
    ForVectors(d, C, [&]<bool kFull>(size_t c, size_t n) {
      const VF xhat = hn::Mul(hn::Sub(LoadN<kFull>(d, x + c, n), vm), vs);
      StoreN<kFull>(d, hn::MulAdd(xhat, LoadN<kFull>(d, w + c, n), LoadN<kFull>(d, b + c, n)), o + c, n);
    });
    mean[i] = m;
    rstd[i] = s;
  }
}

// dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = w dout, xhat = (x - mean) rstd;
// pdw += xhat dout and pdb += dout over the rows.
void LayerNormBackwardRows(float* dinp, float* pdw, float* pdb, const float* dout, const float* inp, const float* w,
                           const float* mean, const float* rstd, size_t row_begin, size_t row_end, int C) {
  const DF d;
  for (size_t i = row_begin; i < row_end; ++i) {
    const float* x = inp + i * C;
    const float* dy = dout + i * C;
    const VF vm = hn::Set(d, mean[i]), vs = hn::Set(d, rstd[i]);
    VF gsum = hn::Zero(d), gxsum = hn::Zero(d);
    ForVectors(d, C, [&]<bool kFull>(size_t c, size_t n) {
      const VF g = hn::Mul(LoadN<kFull>(d, w + c, n), LoadN<kFull>(d, dy + c, n));
      const VF xhat = hn::Mul(hn::Sub(LoadN<kFull>(d, x + c, n), vm), vs);
      gsum = hn::Add(gsum, g);
      gxsum = hn::MulAdd(g, xhat, gxsum);  // zero dout past the tail: g = 0 there
    });
    const VF gmean = hn::Set(d, SumLanes(d, gsum) / C), gxmean = hn::Set(d, SumLanes(d, gxsum) / C);
    float* dx = dinp + i * C;
    ForVectors(d, C, [&]<bool kFull>(size_t c, size_t n) {
      const VF dyc = LoadN<kFull>(d, dy + c, n);
      const VF xhat = hn::Mul(hn::Sub(LoadN<kFull>(d, x + c, n), vm), vs);
      const VF g = hn::Mul(LoadN<kFull>(d, w + c, n), dyc);
      const VF dxc = hn::Mul(vs, hn::NegMulAdd(xhat, gxmean, hn::Sub(g, gmean)));
      StoreN<kFull>(d, hn::Add(LoadN<kFull>(d, dx + c, n), dxc), dx + c, n);
      StoreN<kFull>(d, hn::MulAdd(xhat, dyc, LoadN<kFull>(d, pdw + c, n)), pdw + c, n);
      StoreN<kFull>(d, hn::Add(LoadN<kFull>(d, pdb + c, n), dyc), pdb + c, n);
    });
  }
}

}  // namespace scalelab::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace scalelab::cpu {

HWY_EXPORT(LayerNormForwardRows);
HWY_EXPORT(LayerNormBackwardRows);

void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int N,
                       int C, int nt) {
#pragma omp parallel num_threads(nt)
  {
    const Range r = split(N, omp_get_num_threads(), omp_get_thread_num());
    if (r.begin < r.end) HWY_DYNAMIC_DISPATCH(LayerNormForwardRows)(out, mean, rstd, inp, w, b, r.begin, r.end, C);
  }
}

void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                        const float* mean, const float* rstd, int N, int C, int nt) {
  // Per-thread partials of dw and db, padded to whole cache lines: (nt, 2, Cp).
  const size_t Cp = (static_cast<size_t>(C) + 15) / 16 * 16;
  std::vector<float> partial(static_cast<size_t>(nt) * 2 * Cp, 0.0f);
#pragma omp parallel num_threads(nt)
  {
    const int nth = omp_get_num_threads(), tid = omp_get_thread_num();
    float* pdw = partial.data() + static_cast<size_t>(tid) * 2 * Cp;
    const Range rows = split(N, nth, tid);
    if (rows.begin < rows.end)
      HWY_DYNAMIC_DISPATCH(LayerNormBackwardRows)(dinp, pdw, pdw + Cp, dout, inp, w, mean, rstd, rows.begin,
                                                  rows.end, C);
#pragma omp barrier
    // Combine the partials in thread order; threads split the channels.
    const Range cols = split(C, nth, tid, 16);
    if (cols.begin < cols.end) {
      const size_t len = cols.end - cols.begin, stride = 2 * Cp;
      add_rows_into(dw + cols.begin, partial.data() + cols.begin, stride, nth, len);
      add_rows_into(db + cols.begin, partial.data() + Cp + cols.begin, stride, nth, len);
    }
  }
}

}  // namespace scalelab::cpu
#endif  // HWY_ONCE
