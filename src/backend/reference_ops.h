// defines: scalelab::ref:: encoder, layernorm, matmul, attention, gelu, residual,
//          crossentropy, sum_squares and adamw reference ops (forward and backward)
//
// The ground truth of every Backend op (backend.h): plain, single-threaded loops that
// read like the formulas, templated on the scalar so the tests can run them in double
// for finite-difference gradient checks and in float against the fast kernels
// (backend/cpu/). Never optimise this file; the fast paths are checked against it.
// Shapes and accumulate (+=) semantics are exactly those of backend.h.
//
//   std::vector<double> out(N * OC);
//   ref::matmul_forward<double>(out.data(), inp.data(), w.data(), b.data(), N, C, OC);
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace scalelab::ref {

// out (B,T,C) = wte[inp[b,t]] + wpe[t].
template <class T>
void encoder_forward(T* out, const int32_t* inp, const T* wte, const T* wpe, int B, int Tn, int C) {
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < Tn; ++t) {
      T* o = out + (static_cast<size_t>(b) * Tn + t) * C;
      const T* e = wte + static_cast<size_t>(inp[b * Tn + t]) * C;
      const T* p = wpe + static_cast<size_t>(t) * C;
      for (int c = 0; c < C; ++c) o[c] = e[c] + p[c];
    }
}

template <class T>
void encoder_backward(T* dwte, T* dwpe, const T* dout, const int32_t* inp, int B, int Tn, int C) {
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < Tn; ++t) {
      const T* d = dout + (static_cast<size_t>(b) * Tn + t) * C;
      T* de = dwte + static_cast<size_t>(inp[b * Tn + t]) * C;
      T* dp = dwpe + static_cast<size_t>(t) * C;
      for (int c = 0; c < C; ++c) {
        de[c] += d[c];
        dp[c] += d[c];
      }
    }
}

// LayerNorm (Ba, Kiros and Hinton 2016) over the last axis, biased variance, eps = 1e-5.
template <class T>
void layernorm_forward(T* out, T* mean, T* rstd, const T* inp, const T* w, const T* b, int N, int C) {
  const T eps = T(1e-5);
  for (int i = 0; i < N; ++i) {
    const T* x = inp + static_cast<size_t>(i) * C;
    T m = 0;
    for (int c = 0; c < C; ++c) m += x[c];
    m /= C;
    T var = 0;
    for (int c = 0; c < C; ++c) var += (x[c] - m) * (x[c] - m);
    var /= C;
    T s = T(1) / std::sqrt(var + eps);
    T* o = out + static_cast<size_t>(i) * C;
    for (int c = 0; c < C; ++c) o[c] = (x[c] - m) * s * w[c] + b[c];
    mean[i] = m;
    rstd[i] = s;
  }
}

// With xhat = (x - mean) rstd and g = w * dout:
//   dx = rstd (g - mean(g) - xhat mean(g xhat)),  dw += xhat dout,  db += dout.
template <class T>
void layernorm_backward(T* dinp, T* dw, T* db, const T* dout, const T* inp, const T* w, const T* mean,
                        const T* rstd, int N, int C) {
  for (int i = 0; i < N; ++i) {
    const T* x = inp + static_cast<size_t>(i) * C;
    const T* d = dout + static_cast<size_t>(i) * C;
    T gmean = 0, gxmean = 0;
    for (int c = 0; c < C; ++c) {
      T xhat = (x[c] - mean[i]) * rstd[i];
      gmean += w[c] * d[c];
      gxmean += w[c] * d[c] * xhat;
    }
    gmean /= C;
    gxmean /= C;
    T* dx = dinp + static_cast<size_t>(i) * C;
    for (int c = 0; c < C; ++c) {
      T xhat = (x[c] - mean[i]) * rstd[i];
      dx[c] += rstd[i] * (w[c] * d[c] - gmean - xhat * gxmean);
      dw[c] += xhat * d[c];
      db[c] += d[c];
    }
  }
}

// out (N,OC) = inp (N,C) w^T + bias; w (OC,C); bias may be nullptr.
template <class T>
void matmul_forward(T* out, const T* inp, const T* w, const T* bias, int N, int C, int OC) {
  for (int i = 0; i < N; ++i)
    for (int o = 0; o < OC; ++o) {
      T s = bias ? bias[o] : T(0);
      for (int c = 0; c < C; ++c) s += inp[static_cast<size_t>(i) * C + c] * w[static_cast<size_t>(o) * C + c];
      out[static_cast<size_t>(i) * OC + o] = s;
    }
}

// dinp += dout w (skipped when nullptr); dw += dout^T inp; dbias += column sums of dout.
template <class T>
void matmul_backward(T* dinp, T* dw, T* dbias, const T* dout, const T* inp, const T* w, int N, int C, int OC) {
  for (int i = 0; i < N; ++i)
    for (int o = 0; o < OC; ++o) {
      T d = dout[static_cast<size_t>(i) * OC + o];
      for (int c = 0; c < C; ++c) {
        if (dinp) dinp[static_cast<size_t>(i) * C + c] += d * w[static_cast<size_t>(o) * C + c];
        dw[static_cast<size_t>(o) * C + c] += d * inp[static_cast<size_t>(i) * C + c];
      }
      if (dbias) dbias[o] += d;
    }
}

// Causal self-attention (Vaswani et al. 2017, eq. 1): per batch b and head h with head
// size hs = C / NH, S = scale q k^T with keys j > query t masked out, P = softmax(S) row
// by row, out = P v. qkv (B,T,3C) = [q | k | v]; att (B,NH,T,T) keeps P (zeros above the
// diagonal), as the CPU backend's saved state does.
template <class T>
void attention_forward(T* out, T* att, const T* qkv, int B, int Tn, int C, int NH, T scale) {
  const int hs = C / NH;
  const size_t C3 = 3 * static_cast<size_t>(C);
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < NH; ++h)
      for (int t = 0; t < Tn; ++t) {
        const T* q = qkv + (static_cast<size_t>(b) * Tn + t) * C3 + h * hs;
        T* p = att + ((static_cast<size_t>(b) * NH + h) * Tn + t) * Tn;
        T mx = -INFINITY;
        for (int j = 0; j <= t; ++j) {
          const T* k = qkv + (static_cast<size_t>(b) * Tn + j) * C3 + C + h * hs;
          T s = 0;
          for (int d = 0; d < hs; ++d) s += q[d] * k[d];
          p[j] = s * scale;
          if (p[j] > mx) mx = p[j];
        }
        T sum = 0;
        for (int j = 0; j <= t; ++j) {
          p[j] = std::exp(p[j] - mx);
          sum += p[j];
        }
        for (int j = 0; j <= t; ++j) p[j] /= sum;
        for (int j = t + 1; j < Tn; ++j) p[j] = 0;
        T* o = out + (static_cast<size_t>(b) * Tn + t) * C + h * hs;
        for (int d = 0; d < hs; ++d) {
          T s = 0;
          for (int j = 0; j <= t; ++j) s += p[j] * qkv[(static_cast<size_t>(b) * Tn + j) * C3 + 2 * C + h * hs + d];
          o[d] = s;
        }
      }
}

// dP = dout v^T; dS = P (dP - sum_j P dP) (softmax backward); dq += scale dS k;
// dk += scale dS^T q; dv += P^T dout. All into dqkv (B,T,3C).
template <class T>
void attention_backward(T* dqkv, const T* dout, const T* qkv, const T* att, int B, int Tn, int C, int NH, T scale) {
  const int hs = C / NH;
  const size_t C3 = 3 * static_cast<size_t>(C);
  std::vector<T> dp(Tn), ds(Tn);
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < NH; ++h)
      for (int t = 0; t < Tn; ++t) {
        const T* p = att + ((static_cast<size_t>(b) * NH + h) * Tn + t) * Tn;
        const T* dy = dout + (static_cast<size_t>(b) * Tn + t) * C + h * hs;
        for (int j = 0; j <= t; ++j) {
          const T* v = qkv + (static_cast<size_t>(b) * Tn + j) * C3 + 2 * C + h * hs;
          T s = 0;
          for (int d = 0; d < hs; ++d) s += dy[d] * v[d];
          dp[j] = s;
        }
        T dot = 0;
        for (int j = 0; j <= t; ++j) dot += p[j] * dp[j];
        for (int j = 0; j <= t; ++j) ds[j] = p[j] * (dp[j] - dot);
        const T* q = qkv + (static_cast<size_t>(b) * Tn + t) * C3 + h * hs;
        T* dq = dqkv + (static_cast<size_t>(b) * Tn + t) * C3 + h * hs;
        for (int j = 0; j <= t; ++j) {
          const size_t row = (static_cast<size_t>(b) * Tn + j) * C3 + h * hs;
          for (int d = 0; d < hs; ++d) {
            dq[d] += scale * ds[j] * qkv[row + C + d];
            dqkv[row + C + d] += scale * ds[j] * q[d];
            dqkv[row + 2 * C + d] += p[j] * dy[d];
          }
        }
      }
}

// GELU, tanh form (Hendrycks and Gimpel 2016, sec. 2):
//   gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
template <class T>
T gelu(T x) {
  const T k = std::sqrt(T(2) / T(M_PI));
  return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
}

template <class T>
T gelu_grad(T x) {
  const T k = std::sqrt(T(2) / T(M_PI));
  T u = k * (x + T(0.044715) * x * x * x);
  T th = std::tanh(u);
  T du = k * (T(1) + T(3) * T(0.044715) * x * x);
  return T(0.5) * (T(1) + th) + T(0.5) * x * (T(1) - th * th) * du;
}

template <class T>
void gelu_forward(T* out, const T* inp, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = gelu(inp[i]);
}

template <class T>
void gelu_backward(T* dinp, const T* inp, const T* dout, size_t n) {
  for (size_t i = 0; i < n; ++i) dinp[i] += gelu_grad(inp[i]) * dout[i];
}

template <class T>
void residual_forward(T* out, const T* a, const T* b, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

// losses[i] = -log softmax(s z_i)[y_i]; when dloss != 0, logits z are replaced by
// dloss * s * (softmax(s z_i) - onehot(y_i)). Targets y < 0 give loss 0 and gradient 0.
template <class T>
void crossentropy_forward_backward(T* logits, T* losses, const int32_t* targets, int N, int V, T logit_scale,
                                   T dloss) {
  std::vector<T> p(V);
  for (int i = 0; i < N; ++i) {
    T* z = logits + static_cast<size_t>(i) * V;
    T mx = -INFINITY;
    for (int v = 0; v < V; ++v)
      if (logit_scale * z[v] > mx) mx = logit_scale * z[v];
    T sum = 0;
    for (int v = 0; v < V; ++v) {
      p[v] = std::exp(logit_scale * z[v] - mx);
      sum += p[v];
    }
    for (int v = 0; v < V; ++v) p[v] /= sum;
    const int y = targets[i];
    losses[i] = y >= 0 ? -std::log(p[y]) : T(0);
    if (dloss != T(0))
      for (int v = 0; v < V; ++v)
        z[v] = y >= 0 ? dloss * logit_scale * (p[v] - (v == y ? T(1) : T(0))) : T(0);
  }
}

template <class T>
double sum_squares(const T* x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  return s;
}

// AdamW (Loshchilov and Hutter 2019, algorithm 2), with bias correction (Kingma and Ba
// 2015, algorithm 1) and the gradient pre-scaled by the clipping factor.
template <class T>
void adamw_update(T* params, const T* grads, T* m, T* v, size_t n, T lr, T beta1, T beta2, T eps, T weight_decay,
                  int64_t t, T grad_scale) {
  const T c1 = T(1) - std::pow(beta1, static_cast<T>(t));
  const T c2 = T(1) - std::pow(beta2, static_cast<T>(t));
  for (size_t i = 0; i < n; ++i) {
    T g = grad_scale * grads[i];
    m[i] = beta1 * m[i] + (T(1) - beta1) * g;
    v[i] = beta2 * v[i] + (T(1) - beta2) * g * g;
    T mhat = m[i] / c1;
    T vhat = v[i] / c2;
    params[i] -= lr * (mhat / (std::sqrt(vhat) + eps) + weight_decay * params[i]);
  }
}

}  // namespace scalelab::ref
