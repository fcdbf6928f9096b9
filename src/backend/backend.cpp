// defines: scalelab::make_backend
//
// The one place that knows which backends this build has. CUDA will register here
// behind its build option; until then every device but "cpu" is an input error.
#include "backend/backend.h"

#include "backend/cpu/cpu_backend.h"
#include "core/error.h"

namespace scalelab {

std::unique_ptr<Backend> make_backend(const std::string& device, int threads) {
  if (device == "cpu") return std::make_unique<CpuBackend>(threads);
  if (device == "cuda")
    throw InputError("train.device: \"cuda\" is not available in this build (expected \"cpu\")");
  throw InputError(fmt::format("train.device: unknown device \"{}\" (expected \"cpu\")", device));
}

}  // namespace scalelab
