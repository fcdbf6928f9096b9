// cuBLAS and cuBLASLt are opened on first use (src/backend/cuda/cublas_api.cuh), not
// linked. This runs without a GPU: it needs only the CUDA toolkit's libraries, which CI
// has, so a wrong soname or a missing symbol shows on every machine with the backend.
#include <gtest/gtest.h>

#include "backend/backend.h"
#ifdef SCALELAB_HAS_CUDA
#include "backend/cuda/cublas_api.cuh"
#endif

namespace scalelab {
namespace {

TEST(CublasApi, LoadsEveryCallTheBackendMakes) {
#ifndef SCALELAB_HAS_CUDA
  GTEST_SKIP() << "this build has no CUDA backend (-DSCALELAB_CUDA=OFF or no nvcc): nothing to load";
#else
  const cuda::CublasApi& api = cuda::cublas_api();
  const void* calls[] = {reinterpret_cast<const void*>(api.LtCreate),
                         reinterpret_cast<const void*>(api.LtDestroy),
                         reinterpret_cast<const void*>(api.LtMatmulDescCreate),
                         reinterpret_cast<const void*>(api.LtMatmulDescDestroy),
                         reinterpret_cast<const void*>(api.LtMatmulDescSetAttribute),
                         reinterpret_cast<const void*>(api.LtMatrixLayoutCreate),
                         reinterpret_cast<const void*>(api.LtMatrixLayoutDestroy),
                         reinterpret_cast<const void*>(api.LtMatmulPreferenceCreate),
                         reinterpret_cast<const void*>(api.LtMatmulPreferenceDestroy),
                         reinterpret_cast<const void*>(api.LtMatmulPreferenceSetAttribute),
                         reinterpret_cast<const void*>(api.LtMatmulAlgoGetHeuristic),
                         reinterpret_cast<const void*>(api.LtMatmul),
                         reinterpret_cast<const void*>(api.Create),
                         reinterpret_cast<const void*>(api.Destroy),
                         reinterpret_cast<const void*>(api.SetStream),
                         reinterpret_cast<const void*>(api.SetMathMode),
                         reinterpret_cast<const void*>(api.GemmEx)};
  for (size_t i = 0; i < std::size(calls); ++i) EXPECT_NE(calls[i], nullptr) << "call " << i;
  EXPECT_EQ(&cuda::cublas_api(), &api);  // loaded once per process
  // A descriptor call needs no GPU: the library really answers.
  cublasLtMatrixLayout_t layout = nullptr;
  ASSERT_EQ(api.LtMatrixLayoutCreate(&layout, CUDA_R_32F, 4, 3, 4), CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(api.LtMatrixLayoutDestroy(layout), CUBLAS_STATUS_SUCCESS);
#endif
}

}  // namespace
}  // namespace scalelab
