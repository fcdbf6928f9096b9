// defines: cpu::attention_forward, cpu::attention_backward
//
// Causal multi-head self-attention (Vaswani et al. 2017, eq. 1) with the probabilities
// P (B,NH,T,T) kept for backward. Threads take (batch, head) pairs. Within a pair,
// queries go in groups of kRows = 8 rows, and every product is one of three small
// register-blocked loops on Highway vectors, restricted to the keys the group sees:
//   RowsDot      S[r, j]  = sum_d X[r, d] Y[j, d]     (q k^T, dout v^T; Y packed as Y^T)
//   RowsCombine  O[r, :]  = sum_j W[r, j] Y[j, :]     (P v, dS k)
//   RowsScatter  A[j, :] += sum_r W[r, j] X[r, :]     (dS^T q, P^T dout)
// The register block (kBlockRows rows x up to kBlockVectors vectors of accumulators) is
// sized from the target's vector registers (simd-inl.h): 8 x 2 on AVX-512's 32 registers,
// 4 x 3 on AVX2's 16, where an 8 x 2 block of 16-float vectors (the previous, fixed
// design) needed 32 ymm halves and spilled. Head size 16..128 and T of a few hundred are
// the target. There, small cblas_sgemm calls per block of rows ran 1.5-1.9x slower with
// OpenBLAS's AVX2 kernels, mostly in packing, edges and the masked half of the scores.
//
// Backward, per head (FlashAttention's form of the softmax backward, Dao et al. 2022,
// sec. 3.1 and appendix B.2: rowsum(P * dP) = dout . out):
//   dP = dout v^T;  dS = P * (dP - D),  D_t = dout_t . out_t;
//   dq += scale dS k;  dk += scale dS^T q;  dv += P^T dout.
// Each pair writes only its own columns of dqkv and runs its groups in a fixed order, so
// results are reproducible without atomics (for a given SIMD path and thread count).
//
// State: row t of P holds P[t, 0..t] and zeros up to the end of its group of rows; the
// rest of the upper triangle is never written or read.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backend/cpu/attention.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/cpu/kernels.h"
#include "backend/cpu/simd-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace scalelab::cpu::HWY_NAMESPACE {
namespace {

constexpr int kRows = 8;  // query rows per group (the P padding above relies on it)
constexpr int kBlockRows = kVectorRegisters >= 32 ? 8 : 4;
constexpr int kBlockVectors = kVectorRegisters >= 32 ? 2 : 3;
// RowsScatter keeps X's block in registers, plus the broadcasts of W and one accumulator.
constexpr int kScatterVectors = 2;

inline size_t RoundUp(size_t n, size_t m) { return (n + m - 1) / m * m; }

// S[r][j0 + i] = scale * sum_k X[r][k] Yt[k][j0 + i], i < NC lanes-vectors, r < R.
template <int R, int NC>
HWY_INLINE void RowsDot(const float* const* X, const float* Yt, size_t ldy, int hs, float scale, float* S, size_t lds,
                        size_t j0) {
  const DF d;
  const size_t N = hn::Lanes(d);
  VF acc[R][NC];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < NC; ++c) acc[r][c] = hn::Zero(d);
  for (int k = 0; k < hs; ++k) {
    VF y[NC];
    for (int c = 0; c < NC; ++c) y[c] = hn::LoadU(d, Yt + k * ldy + j0 + c * N);
    for (int r = 0; r < R; ++r) {
      const VF x = hn::Set(d, X[r][k]);
      for (int c = 0; c < NC; ++c) acc[r][c] = hn::MulAdd(x, y[c], acc[r][c]);
    }
  }
  const VF s = hn::Set(d, scale);
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < NC; ++c) hn::StoreU(hn::Mul(acc[r][c], s), d, S + r * lds + j0 + c * N);
}

// O[r][c0 + i] = sum_{j < jn} W[r][j] Y[j][c0 + i].
template <int R, int NC>
HWY_INLINE void RowsCombine(const float* const* W, const float* Y, size_t ldy, int jn, float* const* O, size_t c0) {
  const DF d;
  const size_t N = hn::Lanes(d);
  VF acc[R][NC];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < NC; ++c) acc[r][c] = hn::Zero(d);
  for (int j = 0; j < jn; ++j) {
    VF y[NC];
    for (int c = 0; c < NC; ++c) y[c] = hn::LoadU(d, Y + j * ldy + c0 + c * N);
    for (int r = 0; r < R; ++r) {
      const VF w = hn::Set(d, W[r][j]);
      for (int c = 0; c < NC; ++c) acc[r][c] = hn::MulAdd(w, y[c], acc[r][c]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < NC; ++c) hn::StoreU(acc[r][c], d, O[r] + c0 + c * N);
}

// A[j][c0 + i] += sum_r W[r][j] X[r][c0 + i] for j < jn.
template <int R, int NC>
HWY_INLINE void RowsScatter(const float* const* W, const float* const* X, int jn, float* A, size_t lda, size_t c0) {
  const DF d;
  const size_t N = hn::Lanes(d);
  VF x[R][NC];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < NC; ++c) x[r][c] = hn::LoadU(d, X[r] + c0 + c * N);
  for (int j = 0; j < jn; ++j) {
    VF w[R];
    for (int r = 0; r < R; ++r) w[r] = hn::Set(d, W[r][j]);
    for (int c = 0; c < NC; ++c) {
      float* a = A + j * lda + c0 + c * N;
      VF acc = hn::LoadU(d, a);
      for (int r = 0; r < R; ++r) acc = hn::MulAdd(w[r], x[r][c], acc);
      hn::StoreU(acc, d, a);
    }
  }
}

// Calls kernel.template operator()<K>(offset) over `vectors` vectors, K <= NC at a time.
template <int NC, class F>
HWY_INLINE void ByChunks(size_t vectors, size_t lanes, size_t offset, F& kernel) {
  size_t v = 0;
  for (; v + NC <= vectors; v += NC) kernel.template operator()<NC>(offset + v * lanes);
  if constexpr (NC > 1) {
    if (v < vectors) ByChunks<NC - 1>(vectors - v, lanes, offset + v * lanes, kernel);
  }
}

// The group's rows in blocks of kBlockRows (blocks wholly past the last real row skipped),
// each over `vectors` vectors in chunks of at most NC.
template <int NC, class F>
HWY_INLINE void ByBlocks(int nr, size_t vectors, F&& kernel) {
  const size_t N = hn::Lanes(DF());
  for (int r0 = 0; r0 < nr; r0 += kBlockRows) {
    auto at_rows = [&]<int K>(size_t off) { kernel.template operator()<K>(r0, off); };
    ByChunks<NC>(vectors, N, 0, at_rows);
  }
}

// p[0..n) = softmax(s[0..n)) (n >= 1), then zeros in p[n..len). s has room for whole
// vectors past n; the exponentials go there (in L1), so the large P array is written once.
HWY_INLINE void SoftmaxRow(float* p, float* s, int n, int len) {
  const DF d;
  const int N = static_cast<int>(hn::Lanes(d));
  const int nv = static_cast<int>(RoundUp(n, N));
  for (int j = n; j < nv; ++j) s[j] = -INFINITY;  // padding: exp gives exactly 0
  VF vmax = hn::Set(d, -INFINITY);
  for (int j = 0; j < nv; j += N) vmax = hn::Max(vmax, hn::LoadU(d, s + j));
  const VF mx = hn::Set(d, MaxLanes(d, vmax));
  VF vsum = hn::Zero(d);
  for (int j = 0; j < nv; j += N) {
    const VF e = hn::Exp(d, hn::Sub(hn::LoadU(d, s + j), mx));
    hn::StoreU(e, d, s + j);
    vsum = hn::Add(vsum, e);
  }
  const float inv = 1.0f / SumLanes(d, vsum);
  const VF vinv = hn::Set(d, inv);
  int j = 0;
  for (; j + N <= n; j += N) hn::StoreU(hn::Mul(hn::LoadU(d, s + j), vinv), d, p + j);
  for (; j < len; ++j) p[j] = j < n ? s[j] * inv : 0.0f;  // P's row ends at T: no whole vector
}

void PackRows(float* dst, size_t hsp, const float* src, size_t ld, int T, int hs) {
  for (int t = 0; t < T; ++t) std::memcpy(dst + t * hsp, src + t * ld, hs * sizeof(float));
}
void PackTransposed(float* dst, size_t Tp, const float* src, size_t ld, int T, int hs) {
  // Tiles of 16 rows: the stores run along dst rows, the loads stay in 16 cached rows.
  for (int t0 = 0; t0 < T; t0 += 16) {
    const int t1 = std::min(T, t0 + 16);
    for (int k = 0; k < hs; ++k)
      for (int t = t0; t < t1; ++t) dst[k * Tp + t] = src[t * ld + k];
  }
}

}  // namespace

size_t AttentionLanes() { return hn::Lanes(DF()); }

// One (batch, head) pair. Scratch (zero-initialised where noted, by the caller):
// kt (hs, Tp) zeros past T, vp (T, hsp) zeros past hs, sc (kRows, Tp), ob (kRows, hsp).
void AttentionForwardHead(float* o, float* P, const float* q, int T, int C, int hs, float scale, size_t Tp,
                          size_t hsp, float* kt, float* vp, float* sc, float* ob) {
  const size_t C3 = 3 * static_cast<size_t>(C), N = hn::Lanes(DF());
  PackTransposed(kt, Tp, q + C, C3, T, hs);
  PackRows(vp, hsp, q + 2 * C, C3, T, hs);
  for (int t0 = 0; t0 < T; t0 += kRows) {
    const int nr = std::min(kRows, T - t0), jend = t0 + nr;  // keys 0..jend-1 are visible
    const float* X[kRows];
    const float* W[kRows];
    float* S[kRows];
    for (int r = 0; r < kRows; ++r) {
      const int t = t0 + std::min(r, nr - 1);  // past the end: repeat the last row
      X[r] = q + t * C3;
      W[r] = P + static_cast<size_t>(t) * T;
      S[r] = ob + r * hsp;
    }
    ByBlocks<kBlockVectors>(nr, RoundUp(jend, N) / N, [&]<int NC>(int r0, size_t j0) {
      RowsDot<kBlockRows, NC>(X + r0, kt, Tp, hs, scale, sc + r0 * Tp, Tp, j0);
    });
    for (int r = 0; r < nr; ++r) SoftmaxRow(P + static_cast<size_t>(t0 + r) * T, sc + r * Tp, t0 + r + 1, jend);
    ByBlocks<kBlockVectors>(nr, hsp / N, [&]<int NC>(int r0, size_t c0) {
      RowsCombine<kBlockRows, NC>(W + r0, vp, hsp, jend, S + r0, c0);
    });
    for (int r = 0; r < nr; ++r) std::memcpy(o + (t0 + r) * static_cast<size_t>(C), ob + r * hsp, hs * 4);
  }
}

// One (batch, head) pair. Scratch: vt (hs, Tp) zeros past T; kp, qp, dyp (T, hsp) zeros
// past hs; dk, dv (T, hsp); ds (kRows, Tp); dqb (kRows, hsp); zero (Tp) zeros.
void AttentionBackwardHead(float* dq, const float* dy, const float* q, const float* o, const float* P, int T, int C,
                           int hs, float scale, size_t Tp, size_t hsp, float* vt, float* kp, float* qp, float* dyp,
                           float* dk, float* dv, float* ds, float* dqb, const float* zero) {
  const size_t C3 = 3 * static_cast<size_t>(C), N = hn::Lanes(DF());
  PackTransposed(vt, Tp, q + 2 * C, C3, T, hs);
  PackRows(kp, hsp, q + C, C3, T, hs);
  PackRows(qp, hsp, q, C3, T, hs);
  PackRows(dyp, hsp, dy, C, T, hs);
  std::fill(dk, dk + T * hsp, 0.0f);
  std::fill(dv, dv + T * hsp, 0.0f);
  for (int t0 = 0; t0 < T; t0 += kRows) {
    const int nr = std::min(kRows, T - t0), jend = t0 + nr;
    const float *Xdy[kRows], *Xq[kRows], *Wds[kRows], *Wp[kRows];
    float* Odq[kRows];
    for (int r = 0; r < kRows; ++r) {
      const int t = t0 + std::min(r, nr - 1);
      Xdy[r] = dyp + t * hsp;
      Xq[r] = qp + t * hsp;
      Wds[r] = ds + r * Tp;
      Wp[r] = r < nr ? P + static_cast<size_t>(t) * T : zero;
      Odq[r] = dqb + r * hsp;
    }
    ByBlocks<kBlockVectors>(nr, RoundUp(jend, N) / N, [&]<int NC>(int r0, size_t j0) {
      RowsDot<kBlockRows, NC>(Xdy + r0, vt, Tp, hs, 1.0f, ds + r0 * Tp, Tp, j0);
    });
    for (int r = 0; r < kRows; ++r) {
      float* dsr = ds + r * Tp;
      if (r >= nr) {  // rows a partial block computes but that do not exist: no weight
        std::fill(dsr, dsr + jend, 0.0f);
        continue;
      }
      const int t = t0 + r;
      const float *ot = o + static_cast<size_t>(t) * C, *dyt = dy + static_cast<size_t>(t) * C;
      float D = 0.0f;
      for (int i = 0; i < hs; ++i) D += dyt[i] * ot[i];
      const float* p = P + static_cast<size_t>(t) * T;
      for (int j = 0; j <= t; ++j) dsr[j] = p[j] * (dsr[j] - D);
      std::fill(dsr + t + 1, dsr + jend, 0.0f);
    }
    ByBlocks<kBlockVectors>(nr, hsp / N, [&]<int NC>(int r0, size_t c0) {
      RowsCombine<kBlockRows, NC>(Wds + r0, kp, hsp, jend, Odq + r0, c0);
    });
    ByBlocks<kScatterVectors>(nr, hsp / N, [&]<int NC>(int r0, size_t c0) {
      RowsScatter<kBlockRows, NC>(Wds + r0, Xq + r0, jend, dk, hsp, c0);
      RowsScatter<kBlockRows, NC>(Wp + r0, Xdy + r0, jend, dv, hsp, c0);
    });
    for (int r = 0; r < nr; ++r) {
      float* dqt = dq + (t0 + r) * C3;
      for (int i = 0; i < hs; ++i) dqt[i] += scale * dqb[r * hsp + i];
    }
  }
  for (int t = 0; t < T; ++t) {
    float *dkt = dq + C + t * C3, *dvt = dq + 2 * C + t * C3;
    for (int i = 0; i < hs; ++i) {
      dkt[i] += scale * dk[t * hsp + i];
      dvt[i] += dv[t * hsp + i];
    }
  }
}

}  // namespace scalelab::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace scalelab::cpu {

HWY_EXPORT(AttentionLanes);
HWY_EXPORT(AttentionForwardHead);
HWY_EXPORT(AttentionBackwardHead);

namespace {
constexpr int kRows = 8;  // as in the kernels: the scratch row blocks
inline size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }
}  // namespace

void attention_forward(float* out, float* att, const float* qkv, int B, int T, int C, int NH, float scale, int nt) {
  const int hs = C / NH;
  const size_t lanes = HWY_DYNAMIC_DISPATCH(AttentionLanes)();
  const size_t C3 = 3 * static_cast<size_t>(C), Tp = round_up(T, lanes), hsp = round_up(hs, lanes);
#pragma omp parallel num_threads(nt)
  {
    std::vector<float> kt(hs * Tp, 0.0f), vp(T * hsp, 0.0f), sc(kRows * Tp), ob(kRows * hsp);
#pragma omp for collapse(2) schedule(static)
    for (int b = 0; b < B; ++b)
      for (int h = 0; h < NH; ++h)
        HWY_DYNAMIC_DISPATCH(AttentionForwardHead)(
            out + static_cast<size_t>(b) * T * C + h * hs, att + (static_cast<size_t>(b) * NH + h) * T * T,
            qkv + static_cast<size_t>(b) * T * C3 + h * hs, T, C, hs, scale, Tp, hsp, kt.data(), vp.data(),
            sc.data(), ob.data());
  }
}

void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* out, const float* att, int B,
                        int T, int C, int NH, float scale, int nt) {
  const int hs = C / NH;
  const size_t lanes = HWY_DYNAMIC_DISPATCH(AttentionLanes)();
  const size_t C3 = 3 * static_cast<size_t>(C), Tp = round_up(T, lanes), hsp = round_up(hs, lanes);
  const size_t rows = static_cast<size_t>(T) * hsp;
#pragma omp parallel num_threads(nt)
  {
    std::vector<float> vt(hs * Tp, 0.0f), kp(rows, 0.0f), qp(rows, 0.0f), dyp(rows, 0.0f), dk(rows), dv(rows);
    std::vector<float> ds(kRows * Tp), dqb(kRows * hsp), zero(Tp, 0.0f);
#pragma omp for collapse(2) schedule(static)
    for (int b = 0; b < B; ++b)
      for (int h = 0; h < NH; ++h) {
        const size_t qoff = static_cast<size_t>(b) * T * C3 + h * hs, ooff = static_cast<size_t>(b) * T * C + h * hs;
        HWY_DYNAMIC_DISPATCH(AttentionBackwardHead)(
            dqkv + qoff, dout + ooff, qkv + qoff, out + ooff, att + (static_cast<size_t>(b) * NH + h) * T * T, T, C,
            hs, scale, Tp, hsp, vt.data(), kp.data(), qp.data(), dyp.data(), dk.data(), dv.data(), ds.data(),
            dqb.data(), zero.data());
      }
  }
}

}  // namespace scalelab::cpu
#endif  // HWY_ONCE
