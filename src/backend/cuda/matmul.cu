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

}  // namespace

LtMatmul::Plan::~Plan() {
  const CublasApi& api = cublas_api();
  if (d) api.LtMatrixLayoutDestroy(d);
  if (b) api.LtMatrixLayoutDestroy(b);
  if (a) api.LtMatrixLayoutDestroy(a);
  if (op) api.LtMatmulDescDestroy(op);
}

LtMatmul::LtMatmul(cudaStream_t stream, Precision precision)
    : api_(cublas_api()),
      stream_(stream),
      compute_(precision == Precision::tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F),
      workspace_bytes_(32u << 20) {  // 32 MiB: Hopper's advice
  LT_CHECK(api_.LtCreate(&handle_));
  LT_CHECK(api_.Create(&blas_));
  LT_CHECK(api_.SetStream(blas_, stream_));
  LT_CHECK(api_.SetMathMode(blas_, precision == Precision::tf32 ? CUBLAS_TF32_TENSOR_OP_MATH
                                                                  : CUBLAS_PEDANTIC_MATH));
  CUDA_CHECK(cudaMalloc(&workspace_, workspace_bytes_));
}

LtMatmul::~LtMatmul() {
  if (workspace_) cudaFree(workspace_);
  if (blas_) api_.Destroy(blas_);
  if (handle_) api_.LtDestroy(handle_);
}

void LtMatmul::run(const MatIn& a, const MatIn& b, const MatOut& d, int m, int n, int k, float beta) {
  if (!launch(a, b, d, m, n, k, beta, Epilogue::none, nullptr, nullptr, 0)) gemm_ex(a, b, d, m, n, k, beta);
}

bool LtMatmul::run_epilogue(const MatIn& a, const MatIn& b, const MatOut& d, int m, int n, int k, Epilogue epilogue,
                            const void* bias, void* aux, int aux_ld) {
  return launch(a, b, d, m, n, k, 0.0f, epilogue, bias, aux, aux_ld);
}

bool LtMatmul::launch(const MatIn& a, const MatIn& b, const MatOut& d, int m, int n, int k, float beta,
                      Epilogue epilogue, const void* bias, void* aux, int aux_ld) {
  const uint32_t al_a = alignment(a.ptr), al_b = alignment(b.ptr), al_d = alignment(d.ptr);
  const Key key{static_cast<int>(a.type), static_cast<int>(b.type), static_cast<int>(d.type), a.transposed,
                b.transposed, a.ld, b.ld, d.ld, m, n, k, static_cast<int>(epilogue),
                static_cast<int>(al_a), static_cast<int>(al_b), static_cast<int>(al_d), beta != 0.0f,
                // the epilogue's vectors, whose alignment the heuristic does not see
                static_cast<int>(bias ? alignment(bias) : 0), static_cast<int>(aux ? alignment(aux) : 0), aux_ld};
  auto it = plans_.find(key);
  if (it == plans_.end()) it = plans_.emplace(key, make_plan(a, b, d, m, n, k, epilogue, aux_ld, al_a, al_b, al_d)).first;
  Plan& plan = *it->second;
  if (!plan.ok) return false;
  // The descriptors are cached; only the epilogue's pointers change from call to call.
  if (epilogue != Epilogue::none)
    LT_CHECK(api_.LtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)));
  if (epilogue == Epilogue::gelu_aux_bias)
    LT_CHECK(api_.LtMatmulDescSetAttribute(plan.op, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER, &aux, sizeof(aux)));
  const float alpha = 1.0f;
  // C is D itself: beta = 1 accumulates into the output (the backward's += semantics).
  const cublasStatus_t st = api_.LtMatmul(handle_, plan.op, &alpha, a.ptr, plan.a, b.ptr, plan.b, &beta, d.ptr,
                                           plan.d, d.ptr, plan.d, &plan.algo, workspace_, workspace_bytes_, stream_);
  // An epilogue the heuristic offered but the call refuses (an aux pointer's alignment,
  // say) launched nothing: remember it and let the caller compose.
  if (epilogue != Epilogue::none && (st == CUBLAS_STATUS_NOT_SUPPORTED || st == CUBLAS_STATUS_INVALID_VALUE)) {
    plan.ok = false;
    return false;
  }
  LT_CHECK(st);
  return true;
}

std::unique_ptr<LtMatmul::Plan> LtMatmul::make_plan(const MatIn& a, const MatIn& b, const MatOut& d, int m, int n,
                                                    int k, Epilogue epilogue, int aux_ld, uint32_t al_a,
                                                    uint32_t al_b, uint32_t al_d) {
  auto plan = std::make_unique<Plan>();
  LT_CHECK(api_.LtMatmulDescCreate(&plan->op, compute_, CUDA_R_32F));
  const cublasOperation_t ta = a.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t tb = b.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
  LT_CHECK(api_.LtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)));
  LT_CHECK(api_.LtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)));
  cublasLtEpilogue_t ep = CUBLASLT_EPILOGUE_DEFAULT;
  if (epilogue == Epilogue::bias) ep = CUBLASLT_EPILOGUE_BIAS;
  if (epilogue == Epilogue::gelu_aux_bias) ep = CUBLASLT_EPILOGUE_GELU_AUX_BIAS;
  LT_CHECK(api_.LtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_EPILOGUE, &ep, sizeof(ep)));
  if (epilogue != Epilogue::none)  // the bias has the output's type (bf16 copy in bf16 mode)
    LT_CHECK(api_.LtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &d.type, sizeof(d.type)));
  if (epilogue == Epilogue::gelu_aux_bias) {
    const int64_t ld = aux_ld;
    LT_CHECK(api_.LtMatmulDescSetAttribute(plan->op, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD, &ld, sizeof(ld)));
  }
  // Stored shapes, before op(): A is m x k (k x m when transposed), B is k x n (n x k).
  LT_CHECK(api_.LtMatrixLayoutCreate(&plan->a, a.type, a.transposed ? k : m, a.transposed ? m : k, a.ld));
  LT_CHECK(api_.LtMatrixLayoutCreate(&plan->b, b.type, b.transposed ? n : k, b.transposed ? k : n, b.ld));
  LT_CHECK(api_.LtMatrixLayoutCreate(&plan->d, d.type, m, n, d.ld));

  cublasLtMatmulPreference_t pref = nullptr;
  LT_CHECK(api_.LtMatmulPreferenceCreate(&pref));
  LT_CHECK(api_.LtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes_,
                                                sizeof(workspace_bytes_)));
  const std::pair<cublasLtMatmulPreferenceAttributes_t, uint32_t> alignments[] = {
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, al_a},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, al_b},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, al_d},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, al_d}};
  for (const auto& [attr, bytes] : alignments)
    LT_CHECK(api_.LtMatmulPreferenceSetAttribute(pref, attr, &bytes, sizeof(bytes)));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t st = api_.LtMatmulAlgoGetHeuristic(handle_, plan->op, plan->a, plan->b, plan->d, plan->d,
                                                           pref, 1, &result, &found);
  api_.LtMatmulPreferenceDestroy(pref);
  plan->ok = st == CUBLAS_STATUS_SUCCESS && found > 0;
  plan->algo = result.algo;
  return plan;
}

void LtMatmul::gemm_ex(const MatIn& a, const MatIn& b, const MatOut& d, int m, int n, int k, float beta) {
  const float alpha = 1.0f;
  LT_CHECK(api_.GemmEx(blas_, a.transposed ? CUBLAS_OP_T : CUBLAS_OP_N, b.transposed ? CUBLAS_OP_T : CUBLAS_OP_N, m,
                        n, k, &alpha, a.ptr, a.type, a.ld, b.ptr, b.type, b.ld, &beta, d.ptr, d.type, d.ld, compute_,
                        CUBLAS_GEMM_DEFAULT));
}

}  // namespace scalelab::cuda
