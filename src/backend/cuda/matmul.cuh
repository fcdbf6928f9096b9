// defines: scalelab::cuda::LtMatmul
//
// Matrix products through cuBLASLt (loaded lazily, cublas_api.cuh), column-major as cuBLAS sees them:
//   D (m x n, ldd) = op(A) op(B) + beta D   [+ bias per row of D] [then GELU, keeping the
//   pre-activation in aux]
// The descriptors and algorithm (cuBLASLt's heuristic) for each shape, type and alignment
// are made once and cached, so a call in the training loop only launches. Compute is fp32
// (fp32 mode), TF32 tensor cores (tf32) or bf16 tensor cores with fp32 accumulation (bf16).
// run_epilogue() returns false when cuBLASLt cannot fuse the epilogue, so the caller can
// compose it from separate kernels instead; a plain product that cuBLASLt's heuristic has
// no kernel for (odd leading dimensions of bf16 matrices, say) goes to cublasGemmEx, which
// takes any shape.
//
//   LtMatmul mm(stream, Precision::bf16);
//   const MatIn w_t{w, CUDA_R_16BF, true, C}, x_in{x, CUDA_R_16BF, false, C};
//   if (!mm.run_epilogue(w_t, x_in, {y, CUDA_R_16BF, OC}, OC, N, C, Epilogue::bias, b_bf16, nullptr, 0))
//     mm.run(w_t, x_in, {y, CUDA_R_16BF, OC}, OC, N, C, 0.0f);
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>

#include <map>
#include <memory>
#include <tuple>

#include "backend/backend.h"
#include "backend/cuda/common.cuh"
#include "backend/cuda/cublas_api.cuh"

namespace scalelab::cuda {

enum class Epilogue { none, bias, gelu_aux_bias };

struct MatIn {
  const void* ptr;
  cudaDataType_t type;
  bool transposed;  // op(X) = X^T
  int ld;
};
struct MatOut {
  void* ptr;
  cudaDataType_t type;
  int ld;
};

class LtMatmul {
 public:
  LtMatmul(cudaStream_t stream, Precision precision);
  ~LtMatmul();
  LtMatmul(const LtMatmul&) = delete;
  LtMatmul& operator=(const LtMatmul&) = delete;

  // A plain product, beta 0 or 1; never fails (cublasGemmEx takes what cuBLASLt does not).
  void run(const MatIn& a, const MatIn& b, const MatOut& d, int m, int n, int k, float beta);
  // The product with a fused epilogue (beta 0); false when cuBLASLt cannot fuse it.
  bool run_epilogue(const MatIn& a, const MatIn& b, const MatOut& d, int m, int n, int k, Epilogue epilogue,
                    const void* bias, void* aux, int aux_ld);

 private:
  // What a shape needs, made once: its descriptors and cuBLASLt's algorithm (ok = false:
  // cuBLASLt has none, or refused it once).
  struct Plan {
    cublasLtMatmulDesc_t op = nullptr;
    cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
    cublasLtMatmulAlgo_t algo{};
    bool ok = false;
    Plan() = default;
    Plan(const Plan&) = delete;
    Plan& operator=(const Plan&) = delete;
    ~Plan();
  };
  using Key = std::tuple<int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int>;

  // cuBLASLt alone: false when it has no algorithm for the call or refuses its epilogue.
  bool launch(const MatIn& a, const MatIn& b, const MatOut& d, int m, int n, int k, float beta, Epilogue epilogue,
              const void* bias, void* aux, int aux_ld);
  std::unique_ptr<Plan> make_plan(const MatIn& a, const MatIn& b, const MatOut& d, int m, int n, int k,
                                  Epilogue epilogue, int aux_ld, uint32_t al_a, uint32_t al_b, uint32_t al_d);
  void gemm_ex(const MatIn& a, const MatIn& b, const MatOut& d, int m, int n, int k, float beta);

  const CublasApi& api_;  // loaded on first use (cublas_api.cuh)
  cudaStream_t stream_;
  cublasComputeType_t compute_;
  cublasLtHandle_t handle_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_;
  std::map<Key, std::unique_ptr<Plan>> plans_;
};

}  // namespace scalelab::cuda
