// defines: scalelab::cuda::cublas_api (cublas_api.cuh)
#include "backend/cuda/cublas_api.cuh"

#include <dlfcn.h>

#include <string>

#include "core/error.h"

namespace scalelab::cuda {

namespace {

#define SCALELAB_STR2(x) #x
#define SCALELAB_STR(x) SCALELAB_STR2(x)

// dlopen by soname, then from the build's toolkit (SCALELAB_CUDA_LIB_DIR, set by CMake).
void* open_library(const std::string& name) {
  if (void* h = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL)) return h;
  const std::string first_error = dlerror();
#ifdef SCALELAB_CUDA_LIB_DIR
  if (void* h = dlopen((std::string(SCALELAB_CUDA_LIB_DIR) + "/" + name).c_str(), RTLD_NOW | RTLD_LOCAL)) return h;
#endif
  throw InputError(fmt::format("train.device: \"cuda\" needs {} (cuBLAS, CUDA toolkit {}): {}", name,
                               SCALELAB_STR(CUBLAS_VER_MAJOR), first_error));
}

template <class F>
void resolve(F& f, void* lib, const char* symbol, const std::string& name) {
  f = reinterpret_cast<F>(dlsym(lib, symbol));
  SL_REQUIRE(f != nullptr, "train.device: \"cuda\": {} has no {} (expected the CUDA toolkit's cuBLAS {})", name,
             symbol, SCALELAB_STR(CUBLAS_VER_MAJOR));
}

CublasApi load() {
  const std::string lt_name = "libcublasLt.so." SCALELAB_STR(CUBLAS_VER_MAJOR);
  const std::string blas_name = "libcublas.so." SCALELAB_STR(CUBLAS_VER_MAJOR);
  // Kept open for the life of the process: the backend may be made and dropped many times.
  void* lt = open_library(lt_name);
  void* blas = open_library(blas_name);
  CublasApi api{};
  resolve(api.LtCreate, lt, "cublasLtCreate", lt_name);
  resolve(api.LtDestroy, lt, "cublasLtDestroy", lt_name);
  resolve(api.LtMatmulDescCreate, lt, "cublasLtMatmulDescCreate", lt_name);
  resolve(api.LtMatmulDescDestroy, lt, "cublasLtMatmulDescDestroy", lt_name);
  resolve(api.LtMatmulDescSetAttribute, lt, "cublasLtMatmulDescSetAttribute", lt_name);
  resolve(api.LtMatrixLayoutCreate, lt, "cublasLtMatrixLayoutCreate", lt_name);
  resolve(api.LtMatrixLayoutDestroy, lt, "cublasLtMatrixLayoutDestroy", lt_name);
  resolve(api.LtMatmulPreferenceCreate, lt, "cublasLtMatmulPreferenceCreate", lt_name);
  resolve(api.LtMatmulPreferenceDestroy, lt, "cublasLtMatmulPreferenceDestroy", lt_name);
  resolve(api.LtMatmulPreferenceSetAttribute, lt, "cublasLtMatmulPreferenceSetAttribute", lt_name);
  resolve(api.LtMatmulAlgoGetHeuristic, lt, "cublasLtMatmulAlgoGetHeuristic", lt_name);
  resolve(api.LtMatmul, lt, "cublasLtMatmul", lt_name);
  resolve(api.Create, blas, "cublasCreate_v2", blas_name);
  resolve(api.Destroy, blas, "cublasDestroy_v2", blas_name);
  resolve(api.SetStream, blas, "cublasSetStream_v2", blas_name);
  resolve(api.SetMathMode, blas, "cublasSetMathMode", blas_name);
  resolve(api.GemmEx, blas, "cublasGemmEx", blas_name);
  return api;
}

}  // namespace

const CublasApi& cublas_api() {
  static const CublasApi api = load();  // thread-safe initialisation; a throw retries next time
  return api;
}

}  // namespace scalelab::cuda
