// defines: scalelab::make_backend, scalelab::parse_precision, the fused ops' default
//          compositions, scalelab::cuda_built, scalelab::cuda_device_count
//
// The one place that knows which backends this build has: the CUDA backend registers
// here when the build has it (SCALELAB_HAS_CUDA, from CMake's SCALELAB_CUDA option).
#include "backend/backend.h"

#include "backend/cpu/cpu_backend.h"
#include "core/error.h"
#ifdef SCALELAB_HAS_CUDA
#include "backend/cuda/cuda_backend.h"
#endif

namespace scalelab {

void Backend::residual_layernorm_forward(float* residual, float* out, float* mean, float* rstd, const float* a,
                                         const float* b, const float* w, const float* bias, int N, int C) {
  residual_forward(residual, a, b, static_cast<size_t>(N) * static_cast<size_t>(C));
  layernorm_forward(out, mean, rstd, residual, w, bias, N, C);
}

void Backend::matmul_gelu_forward(float* out, float* pre, const float* inp, const float* w, const float* bias, int N,
                                  int C, int OC) {
  matmul_forward(pre, inp, w, bias, N, C, OC);
  gelu_forward(out, pre, static_cast<size_t>(N) * static_cast<size_t>(OC));
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::fp32: return "fp32";
    case Precision::tf32: return "tf32";
    case Precision::bf16: return "bf16";
  }
  return "?";
}

Precision parse_precision(const std::string& precision, const std::string& device) {
  Precision p;
  if (precision == "auto")
    p = device == "cuda" ? Precision::bf16 : Precision::fp32;
  else if (precision == "fp32")
    p = Precision::fp32;
  else if (precision == "tf32")
    p = Precision::tf32;
  else if (precision == "bf16")
    p = Precision::bf16;
  else
    throw InputError(fmt::format(
        "train.precision: expected \"auto\", \"fp32\", \"tf32\" or \"bf16\", got \"{}\"", precision));
  SL_REQUIRE(device != "cpu" || p == Precision::fp32,
             "train.precision: the cpu backend computes in fp32, got \"{}\" (tf32 and bf16 need train.device = "
             "\"cuda\")",
             precision);
  return p;
}

bool cuda_built() {
#ifdef SCALELAB_HAS_CUDA
  return true;
#else
  return false;
#endif
}

int cuda_device_count() {
#ifdef SCALELAB_HAS_CUDA
  return CudaBackend::device_count();
#else
  return 0;
#endif
}

std::unique_ptr<Backend> make_backend(const std::string& device, int threads, const std::string& precision) {
  if (device == "cpu") {
    parse_precision(precision, device);
    return std::make_unique<CpuBackend>(threads);
  }
  if (device == "cuda") {
    const Precision p = parse_precision(precision, device);
#ifdef SCALELAB_HAS_CUDA
    SL_REQUIRE(CudaBackend::device_count() > 0,
               "train.device: \"cuda\" found no CUDA device on this machine (expected a GPU and its driver)");
    return std::make_unique<CudaBackend>(p);
#else
    (void)p;
    throw InputError(
        "train.device: \"cuda\" is not available in this build (expected \"cpu\", or a build with "
        "-DSCALELAB_CUDA=ON)");
#endif
  }
  throw InputError(fmt::format("train.device: unknown device \"{}\" (expected \"cpu\" or \"cuda\")", device));
}

}  // namespace scalelab
