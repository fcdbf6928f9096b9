// defines: scalelab::cuda::LtMatmul (matmul.cuh)
#include "backend/cuda/matmul.cuh"

namespace scalelab::cuda {

namespace {

#define LT_CHECK(call)                                                                                \
  do {                                                                                                \
    cublasStatus_t st_ = (call);                                                                      \
    if (st_ != CUBLAS_STATUS_SUCCESS)                                                                 \
      throw ::scalelab::InternalError(fmt::format("{}:{}: {} failed: cuBLAS status {}", __FILE__,      \
                                                  __LINE__, #call, static_cast<int>(st_)));           \
  } while (0)

// The largest power of two (at most 256) that divides the address: cuBLASLt may only pick
// kernels whose vector loads this alignment allows.
uint32_t alignment(const void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  uint32_t al = 256;
  while (al > 1 && a % al != 0) al /= 2;
  return al;
}

// RAII for the descriptors of one call.
struct Descriptors {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  ~Descriptors() {
    if (pref) cublasLtMatmulPreferenceDestroy(pref);
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

}  // namespace

LtMatmul::LtMatmul(cudaStream_t stream, Precision precision)
    : stream_(stream), precision_(precision), workspace_bytes_(32u << 20) {  // 32 MiB: Hopper's advice
  LT_CHECK(cublasLtCreate(&handle_));
  LT_CHECK(cublasCreate(&blas_));
  LT_CHECK(cublasSetStream(blas_, stream_));
  LT_CHECK(cublasSetMathMode(blas_, precision == Precision::tf32 ? CUBLAS_TF32_TENSOR_OP_MATH
                                                                  : CUBLAS_PEDANTIC_MATH));
  CUDA_CHECK(cudaMalloc(&workspace_, workspace_bytes_));
}

LtMatmul::~LtMatmul() {
  if (workspace_) cudaFree(workspace_);
  if (blas_) cublasDestroy(blas_);
  if (handle_) cublasLtDestroy(handle_);
}

bool LtMatmul::run(const MatIn& a, const MatIn& b, const MatOut& d, int m, int n, int k, float beta,
                   Epilogue epilogue, const void* bias, void* aux, int aux_ld) {
  const cublasComputeType_t compute =
      precision_ == Precision::tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  Descriptors desc;
  LT_CHECK(cublasLtMatmulDescCreate(&desc.op, compute, CUDA_R_32F));
  const cublasOperation_t ta = a.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t tb = b.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
  LT_CHECK(cublasLtMatmulDescSetAttribute(desc.op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
  LT_CHECK(cublasLtMatmulDescSetAttribute(desc.op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
  cublasLtEpilogue_t ep = CUBLASLT_EPILOGUE_DEFAULT;
  if (epilogue == Epilogue::bias) ep = CUBLASLT_EPILOGUE_BIAS;
  if (epilogue == Epilogue::gelu_aux_bias) ep = CUBLASLT_EPILOGUE_GELU_AUX_BIAS;
  LT_CHECK(cublasLtMatmulDescSetAttribute(desc.op, CUBLASLT_MATMUL_DESC_EPILOGUE, &ep, sizeof(ep)));
  if (epilogue != Epilogue::none) {
    LT_CHECK(cublasLtMatmulDescSetAttribute(desc.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)));
    // The bias has the output's type (the caller passes the bf16 copy in bf16 mode).
    LT_CHECK(cublasLtMatmulDescSetAttribute(desc.op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &d.type, sizeof(d.type)));
  }
  if (epilogue == Epilogue::gelu_aux_bias) {
    const int64_t ld = aux_ld;
    LT_CHECK(cublasLtMatmulDescSetAttribute(desc.op, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER, &aux, sizeof(aux)));
    LT_CHECK(cublasLtMatmulDescSetAttribute(desc.op, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD, &ld, sizeof(ld)));
  }
  // Stored shapes, before op(): A is m x k (k x m when transposed), B is k x n (n x k).
  LT_CHECK(cublasLtMatrixLayoutCreate(&desc.a, a.type, a.transposed ? k : m, a.transposed ? m : k, a.ld));
  LT_CHECK(cublasLtMatrixLayoutCreate(&desc.b, b.type, b.transposed ? n : k, b.transposed ? k : n, b.ld));
  LT_CHECK(cublasLtMatrixLayoutCreate(&desc.d, d.type, m, n, d.ld));

  const uint32_t al_a = alignment(a.ptr), al_b = alignment(b.ptr), al_d = alignment(d.ptr);
  const Key key{static_cast<int>(a.type), static_cast<int>(b.type), static_cast<int>(d.type), a.transposed,
                b.transposed, a.ld, b.ld, d.ld, m, n, k, static_cast<int>(epilogue),
                static_cast<int>(al_a), static_cast<int>(al_b), static_cast<int>(al_d), beta != 0.0f,
                // the epilogue's vectors, whose alignment the heuristic does not see
                static_cast<int>(bias ? alignment(bias) : 0), static_cast<int>(aux ? alignment(aux) : 0)};
  auto it = algos_.find(key);
  if (it == algos_.end()) {
    LT_CHECK(cublasLtMatmulPreferenceCreate(&desc.pref));
    LT_CHECK(cublasLtMatmulPreferenceSetAttribute(desc.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                  &workspace_bytes_, sizeof(workspace_bytes_)));
    LT_CHECK(cublasLtMatmulPreferenceSetAttribute(desc.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &al_a,
                                                  sizeof(al_a)));
    LT_CHECK(cublasLtMatmulPreferenceSetAttribute(desc.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &al_b,
                                                  sizeof(al_b)));
    LT_CHECK(cublasLtMatmulPreferenceSetAttribute(desc.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &al_d,
                                                  sizeof(al_d)));
    LT_CHECK(cublasLtMatmulPreferenceSetAttribute(desc.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &al_d,
                                                  sizeof(al_d)));
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    const cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(handle_, desc.op, desc.a, desc.b, desc.d, desc.d,
                                                             desc.pref, 1, &result, &found);
    const bool ok = st == CUBLAS_STATUS_SUCCESS && found > 0;
    it = algos_.emplace(key, std::make_pair(ok, result.algo)).first;
  }
  if (!it->second.first) return epilogue == Epilogue::none && gemm_ex(a, b, d, m, n, k, beta);
  const float alpha = 1.0f;
  // C is D itself: beta = 1 accumulates into the output (the backward's += semantics).
  const cublasStatus_t st = cublasLtMatmul(handle_, desc.op, &alpha, a.ptr, desc.a, b.ptr, desc.b, &beta, d.ptr,
                                           desc.d, d.ptr, desc.d, &it->second.second, workspace_, workspace_bytes_,
                                           stream_);
  // An epilogue the heuristic offered but the call refuses (an aux pointer's alignment,
  // say) launched nothing: remember it and let the caller compose.
  if (epilogue != Epilogue::none && (st == CUBLAS_STATUS_NOT_SUPPORTED || st == CUBLAS_STATUS_INVALID_VALUE)) {
    it->second.first = false;
    return false;
  }
  LT_CHECK(st);
  return true;
}

bool LtMatmul::gemm_ex(const MatIn& a, const MatIn& b, const MatOut& d, int m, int n, int k, float beta) {
  const float alpha = 1.0f;
  const cublasComputeType_t compute =
      precision_ == Precision::tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  LT_CHECK(cublasGemmEx(blas_, a.transposed ? CUBLAS_OP_T : CUBLAS_OP_N, b.transposed ? CUBLAS_OP_T : CUBLAS_OP_N, m,
                        n, k, &alpha, a.ptr, a.type, a.ld, b.ptr, b.type, b.ld, &beta, d.ptr, d.type, d.ld, compute,
                        CUBLAS_GEMM_DEFAULT));
  return true;
}

}  // namespace scalelab::cuda
