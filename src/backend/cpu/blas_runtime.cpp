#include "backend/cpu/blas_runtime.h"

#include <cblas.h>

namespace scalelab {

const char* blas_core_name() { return openblas_get_corename(); }

}  // namespace scalelab
