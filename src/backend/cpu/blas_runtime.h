// defines: scalelab::blas_core_name
//
// Which kernels OpenBLAS chose when it loaded ("Cooperlake", "SkylakeX", "Haswell", ...).
// OpenBLAS picks them from the CPU unless OPENBLAS_CORETYPE says otherwise; on the
// AVX-512 machines we run on, the AVX2 "Haswell" kernels run sgemm at about half the
// speed of the AVX-512 ones (bench/ops_cpu.cpp), so `scalelab info` and the benchmarks
// print the choice.
#pragma once

namespace scalelab {

const char* blas_core_name();

}  // namespace scalelab
