// defines: cpu::attention_forward, cpu::attention_backward
//
// Causal multi-head self-attention (Vaswani et al. 2017, eq. 1) with the probabilities
// P (B,NH,T,T) kept for backward. Threads take (batch, head) pairs. Within a pair,
// queries go in groups of kRows = 8 rows, and every product is one of three small
// register-blocked loops on 16-float vectors (GCC vector extensions: AVX-512 registers
// with -march=native, narrower ones otherwise), restricted to the keys the group sees:
//   rows_dot      S[r, j]  = sum_d X[r, d] Y[j, d]     (q k^T, dout v^T; Y packed as Y^T)
//   rows_combine  O[r, :]  = sum_j W[r, j] Y[j, :]     (P v, dS k)
//   rows_scatter  A[j, :] += sum_r W[r, j] X[r, :]     (dS^T q, P^T dout)
// Head size 16..64 and T of a few hundred are the target. There, small cblas_sgemm calls
// per block of rows (the previous version of this file) ran 1.5-1.9x slower with
// OpenBLAS's AVX2 kernels, mostly in packing, edges and the masked half of the scores.
//
// Backward, per head (FlashAttention's form of the softmax backward, Dao et al. 2022,
// sec. 3.1 and appendix B.2: rowsum(P * dP) = dout . out):
//   dP = dout v^T;  dS = P * (dP - D),  D_t = dout_t . out_t;
//   dq += scale dS k;  dk += scale dS^T q;  dv += P^T dout.
// Each pair writes only its own columns of dqkv and runs its groups in a fixed order, so
// results are reproducible without atomics.
//
// State: row t of P holds P[t, 0..t] and zeros up to the end of its group of rows; the
// rest of the upper triangle is never written or read.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backend/cpu/kernels.h"

namespace scalelab::cpu {

namespace {

using vf = float __attribute__((vector_size(64)));  // 16 floats
constexpr int kLanes = 16;
constexpr int kRows = 8;      // query rows per group
constexpr int kMaxChunk = 2;  // vectors per kernel call: kRows x 2 accumulators, half the AVX-512 registers

inline vf vload(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof(v));  // an unaligned vector load
  return v;
}
inline void vstore(float* p, vf v) { std::memcpy(p, &v, sizeof(v)); }
inline size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

// S[r][j0 + i] = scale * sum_d X[r][d] Yt[d][j0 + i], i < NC * 16.
template <int NC>
void rows_dot(const float* const* X, const float* Yt, size_t ldy, int hs, float scale, float* S, size_t lds,
              size_t j0) {
  vf acc[kRows][NC] = {};
  for (int d = 0; d < hs; ++d) {
    vf y[NC];
    for (int c = 0; c < NC; ++c) y[c] = vload(Yt + d * ldy + j0 + c * kLanes);
    for (int r = 0; r < kRows; ++r) {
      const float x = X[r][d];
      for (int c = 0; c < NC; ++c) acc[r][c] += x * y[c];
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < NC; ++c) vstore(S + r * lds + j0 + c * kLanes, acc[r][c] * scale);
}

// O[r][c0 + i] = sum_{j < jn} W[r][j] Y[j][c0 + i], i < NC * 16.
template <int NC>
void rows_combine(const float* const* W, const float* Y, size_t ldy, int jn, float* O, size_t ldo, size_t c0) {
  vf acc[kRows][NC] = {};
  for (int j = 0; j < jn; ++j) {
    vf y[NC];
    for (int c = 0; c < NC; ++c) y[c] = vload(Y + j * ldy + c0 + c * kLanes);
    for (int r = 0; r < kRows; ++r) {
      const float w = W[r][j];
      for (int c = 0; c < NC; ++c) acc[r][c] += w * y[c];
    }
  }
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < NC; ++c) vstore(O + r * ldo + c0 + c * kLanes, acc[r][c]);
}

// A[j][c0 + i] += sum_r W[r][j] X[r][c0 + i] for j < jn, i < NC * 16.
template <int NC>
void rows_scatter(const float* const* W, const float* const* X, int jn, float* A, size_t lda, size_t c0) {
  vf x[kRows][NC];
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < NC; ++c) x[r][c] = vload(X[r] + c0 + c * kLanes);
  for (int j = 0; j < jn; ++j) {
    for (int c = 0; c < NC; ++c) {
      vf a = vload(A + j * lda + c0 + c * kLanes);
      for (int r = 0; r < kRows; ++r) a += W[r][j] * x[r][c];
      vstore(A + j * lda + c0 + c * kLanes, a);
    }
  }
}

// Run `kernel<NC>(offset)` over `vectors` 16-float vectors in chunks of at most kMaxChunk.
template <class F>
void by_chunks(size_t vectors, F&& kernel) {
  for (size_t v = 0; v < vectors; v += kMaxChunk) {
    if (vectors - v >= 2)
      kernel.template operator()<2>(v * kLanes);
    else
      kernel.template operator()<1>(v * kLanes);
  }
}

// Copies of one head's rows (T, hs) with row stride ld, zero-padded to hsp columns (rows
// layout) or transposed to (hs, Tp) (columns layout).
void pack_rows(float* dst, size_t hsp, const float* src, size_t ld, int T, int hs) {
  for (int t = 0; t < T; ++t) std::memcpy(dst + t * hsp, src + t * ld, hs * sizeof(float));
}
void pack_transposed(float* dst, size_t Tp, const float* src, size_t ld, int T, int hs) {
  // Tiles of 16 rows: the stores run along dst rows, the loads stay in 16 cached rows.
  for (int t0 = 0; t0 < T; t0 += kLanes) {
    const int t1 = std::min(T, t0 + kLanes);
    for (int d = 0; d < hs; ++d)
      for (int t = t0; t < t1; ++t) dst[d * Tp + t] = src[t * ld + d];
  }
}

// p[0..n) = softmax(s[0..n)) (n >= 1), then zeros in p[n..len). The exponentials go
// into s (in L1), so the large P array is written once.
void softmax_row(float* p, float* s, int n, int len) {
  float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
  for (int j = 0; j < n; ++j) mx = s[j] > mx ? s[j] : mx;  // std::fmax would not vectorise
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int j = 0; j < n; ++j) {
    s[j] = exp_approx(s[j] - mx);
    sum += s[j];
  }
  const float inv = 1.0f / sum;
#pragma omp simd
  for (int j = 0; j < n; ++j) p[j] = s[j] * inv;
  for (int j = n; j < len; ++j) p[j] = 0.0f;  // at most kRows - 1 entries
}

}  // namespace

void attention_forward(float* out, float* att, const float* qkv, int B, int T, int C, int NH, float scale, int nt) {
  const int hs = C / NH;
  const size_t C3 = 3 * static_cast<size_t>(C), Tp = round_up(T, kLanes), hsp = round_up(hs, kLanes);
#pragma omp parallel num_threads(nt)
  {
    // Per-thread scratch: k^T (hs, Tp), v (T, hsp), scores (kRows, Tp), outputs (kRows, hsp).
    std::vector<float> kt(hs * Tp, 0.0f), vp(T * hsp, 0.0f), sc(kRows * Tp), ob(kRows * hsp);
#pragma omp for collapse(2) schedule(static)
    for (int b = 0; b < B; ++b)
      for (int h = 0; h < NH; ++h) {
        const float* q = qkv + static_cast<size_t>(b) * T * C3 + h * hs;
        float* P = att + (static_cast<size_t>(b) * NH + h) * T * T;
        float* o = out + static_cast<size_t>(b) * T * C + h * hs;
        pack_transposed(kt.data(), Tp, q + C, C3, T, hs);
        pack_rows(vp.data(), hsp, q + 2 * C, C3, T, hs);
        for (int t0 = 0; t0 < T; t0 += kRows) {
          const int nr = std::min(kRows, T - t0), jend = t0 + nr;  // keys 0..jend-1 are visible
          const float* X[kRows];
          const float* W[kRows];
          for (int r = 0; r < kRows; ++r) {
            const int t = t0 + std::min(r, nr - 1);  // past the end: repeat the last row
            X[r] = q + t * C3;
            W[r] = P + static_cast<size_t>(t) * T;
          }
          by_chunks(round_up(jend, kLanes) / kLanes, [&]<int NC>(size_t j0) {
            rows_dot<NC>(X, kt.data(), Tp, hs, scale, sc.data(), Tp, j0);
          });
          for (int r = 0; r < nr; ++r)
            softmax_row(P + static_cast<size_t>(t0 + r) * T, sc.data() + r * Tp, t0 + r + 1, jend);
          by_chunks(hsp / kLanes, [&]<int NC>(size_t c0) {
            rows_combine<NC>(W, vp.data(), hsp, jend, ob.data(), hsp, c0);
          });
          for (int r = 0; r < nr; ++r) std::memcpy(o + (t0 + r) * static_cast<size_t>(C), &ob[r * hsp], hs * 4);
        }
      }
  }
}

void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* out, const float* att, int B,
                        int T, int C, int NH, float scale, int nt) {
  const int hs = C / NH;
  const size_t C3 = 3 * static_cast<size_t>(C), Tp = round_up(T, kLanes), hsp = round_up(hs, kLanes);
  const size_t rows = static_cast<size_t>(T) * hsp;
#pragma omp parallel num_threads(nt)
  {
    // Per-thread scratch: v^T (hs, Tp); k, q, dout, dk, dv as (T, hsp); dP then dS
    // (kRows, Tp); dq (kRows, hsp); a zero row standing in for P past the last row.
    std::vector<float> vt(hs * Tp, 0.0f), kp(rows, 0.0f), qp(rows, 0.0f), dyp(rows, 0.0f), dk(rows), dv(rows);
    std::vector<float> ds(kRows * Tp), dqb(kRows * hsp), zero(Tp, 0.0f);
#pragma omp for collapse(2) schedule(static)
    for (int b = 0; b < B; ++b)
      for (int h = 0; h < NH; ++h) {
        const size_t qoff = static_cast<size_t>(b) * T * C3 + h * hs, ooff = static_cast<size_t>(b) * T * C + h * hs;
        const float* q = qkv + qoff;
        const float *o = out + ooff, *dy = dout + ooff;
        const float* P = att + (static_cast<size_t>(b) * NH + h) * T * T;
        float* dq = dqkv + qoff;
        pack_transposed(vt.data(), Tp, q + 2 * C, C3, T, hs);
        pack_rows(kp.data(), hsp, q + C, C3, T, hs);
        pack_rows(qp.data(), hsp, q, C3, T, hs);
        pack_rows(dyp.data(), hsp, dy, C, T, hs);
        std::fill(dk.begin(), dk.end(), 0.0f);
        std::fill(dv.begin(), dv.end(), 0.0f);
        for (int t0 = 0; t0 < T; t0 += kRows) {
          const int nr = std::min(kRows, T - t0), jend = t0 + nr;
          const float *Xdy[kRows], *Xq[kRows], *Wds[kRows], *Wp[kRows];
          for (int r = 0; r < kRows; ++r) {
            const int t = t0 + std::min(r, nr - 1);
            Xdy[r] = dyp.data() + t * hsp;
            Xq[r] = qp.data() + t * hsp;
            Wds[r] = ds.data() + r * Tp;
            Wp[r] = r < nr ? P + static_cast<size_t>(t) * T : zero.data();
          }
          by_chunks(round_up(jend, kLanes) / kLanes, [&]<int NC>(size_t j0) {
            rows_dot<NC>(Xdy, vt.data(), Tp, hs, 1.0f, ds.data(), Tp, j0);
          });
          for (int r = 0; r < kRows; ++r) {
            float* d = ds.data() + r * Tp;
            if (r >= nr) {
              std::fill(d, d + jend, 0.0f);
              continue;
            }
            const int t = t0 + r;
            const float *ot = o + static_cast<size_t>(t) * C, *dyt = dy + static_cast<size_t>(t) * C;
            float D = 0.0f;
#pragma omp simd reduction(+ : D)
            for (int i = 0; i < hs; ++i) D += dyt[i] * ot[i];
            const float* p = P + static_cast<size_t>(t) * T;
#pragma omp simd
            for (int j = 0; j <= t; ++j) d[j] = p[j] * (d[j] - D);
            std::fill(d + t + 1, d + jend, 0.0f);
          }
          by_chunks(hsp / kLanes, [&]<int NC>(size_t c0) {
            rows_combine<NC>(Wds, kp.data(), hsp, jend, dqb.data(), hsp, c0);
            rows_scatter<NC>(Wds, Xq, jend, dk.data(), hsp, c0);
            rows_scatter<NC>(Wp, Xdy, jend, dv.data(), hsp, c0);
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
  }
}

}  // namespace scalelab::cpu
