// defines: scalelab::cuda::CublasApi, cublas_api
//
// cuBLAS and cuBLASLt, loaded when the CUDA backend first needs them (dlopen) rather than
// linked: the two libraries take about 0.4 s to load and initialise, which every process
// of a build with the CUDA backend (each `scalelab train` child of a sweep, each test
// program) would otherwise pay at start-up, GPU or not. Only the calls LtMatmul makes are
// resolved; each pointer has the type of the function it stands for.
//
//   const CublasApi& api = cublas_api();   // loads on first use; InputError if missing
//   api.LtCreate(&handle);
#pragma once

#include <cublasLt.h>
#include <cublas_v2.h>

namespace scalelab::cuda {

struct CublasApi {
  decltype(&cublasLtCreate) LtCreate;
  decltype(&cublasLtDestroy) LtDestroy;
  decltype(&cublasLtMatmulDescCreate) LtMatmulDescCreate;
  decltype(&cublasLtMatmulDescDestroy) LtMatmulDescDestroy;
  decltype(&cublasLtMatmulDescSetAttribute) LtMatmulDescSetAttribute;
  decltype(&cublasLtMatrixLayoutCreate) LtMatrixLayoutCreate;
  decltype(&cublasLtMatrixLayoutDestroy) LtMatrixLayoutDestroy;
  decltype(&cublasLtMatmulPreferenceCreate) LtMatmulPreferenceCreate;
  decltype(&cublasLtMatmulPreferenceDestroy) LtMatmulPreferenceDestroy;
  decltype(&cublasLtMatmulPreferenceSetAttribute) LtMatmulPreferenceSetAttribute;
  decltype(&cublasLtMatmulAlgoGetHeuristic) LtMatmulAlgoGetHeuristic;
  decltype(&cublasLtMatmul) LtMatmul;
  decltype(&cublasCreate_v2) Create;
  decltype(&cublasDestroy_v2) Destroy;
  decltype(&cublasSetStream_v2) SetStream;
  decltype(&cublasSetMathMode) SetMathMode;
  // cublasGemmEx is overloaded in C++ (an inline cudaDataType compute-type form): name the
  // exported one.
  cublasStatus_t (*GemmEx)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
                           const void*, cudaDataType, int, const void*, cudaDataType, int, const void*, void*,
                           cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);
};

// The libraries of the toolkit this build was compiled with (soname libcublasLt.so.<major>),
// found by the loader's search path or, failing that, in the toolkit's library directory
// at build time. Loaded once per process; throws InputError naming train.device when
// either library or one of the calls is missing.
const CublasApi& cublas_api();

}  // namespace scalelab::cuda
