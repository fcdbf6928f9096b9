// defines: scalelab::cuda::LtMatmul
//
// Matrix products through cuBLASLt, column-major as cuBLAS sees them:
//   D (m x n, ldd) = op(A) op(B) + beta D   [+ bias per row of D] [then GELU, keeping the
//   pre-activation in aux]
// The algorithm for each shape, type and alignment comes from cuBLASLt's heuristic once and
// is cached. Compute is fp32 (fp32 mode), TF32 tensor cores (tf32) or bf16 tensor cores
// with fp32 accumulation (bf16). run() returns false when cuBLASLt has no algorithm for a
// fused epilogue, so the caller can compose the epilogue from separate kernels instead;
// a plain product that cuBLASLt's heuristic has no kernel for (odd leading dimensions of
// bf16 matrices, say) goes to cublasGemmEx, which takes any shape.
//
//   LtMatmul mm(stream, Precision::bf16);
//   mm.run({w, CUDA_R_16BF, true, C}, {x, CUDA_R_16BF, false, C}, {y, CUDA_R_16BF, OC}, OC, N, C, 0.0f,
//          Epilogue::bias, b_bf16, nullptr, 0);
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>

#include <map>
#include <tuple>

#include "backend/backend.h"
#include "backend/cuda/common.cuh"

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

  bool run(const MatIn& a, const MatIn& b, const MatOut& d, int m, int n, int k, float beta, Epilogue epilogue,
           const void* bias, void* aux, int aux_ld);

 private:
  using Key = std::tuple<int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int>;
  cudaStream_t stream_;
  Precision precision_;
  bool gemm_ex(const MatIn& a, const MatIn& b, const MatOut& d, int m, int n, int k, float beta);

  cublasLtHandle_t handle_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_;
  std::map<Key, std::pair<bool, cublasLtMatmulAlgo_t>> algos_;
};

}  // namespace scalelab::cuda
