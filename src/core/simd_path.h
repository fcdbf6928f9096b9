// defines: scalelab::simd:: the SIMD code paths of the vectorised loops (which the binary
//          carries, which this CPU runs, which is in use) and the SCALELAB_SIMD switch
//
// The CPU kernels (backend/cpu/) and the fused fitting objectives (fit/objective_simd.cpp)
// are written once against Google Highway and compiled for several instruction sets; at
// run time the best one the CPU supports is used (Highway's dynamic dispatch, one choice
// for the whole process). A path is one of those compiled instruction sets, by name:
//   x86-64: "avx512" (AVX-512 F/BW/DQ/VL), "avx2" (AVX2 + FMA), "sse4", "scalar"
//   ARM64:  "neon", "scalar"
// `SCALELAB_SIMD=avx2` pins a path (tests and benchmarks measure each path on one
// machine); unset or "auto" keeps the best. OpenBLAS, which does the matrix products,
// picks its kernels itself: pin those with OPENBLAS_CORETYPE (e.g. Haswell for AVX2).
//
//   simd::apply_env();                          // at start-up: honour SCALELAB_SIMD
//   simd::pin_path("avx2");                     // or pin by hand (tests)
//   fmt::print("{}\n", simd::current_path());   // "avx2"
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace scalelab::simd {

// Paths compiled into this binary that this CPU can run, best first ("scalar" last).
std::vector<std::string> available_paths();

// The path the vectorised loops run now.
std::string current_path();

// Pins the loops to `name` ("auto": the best available). An unknown name, or a path this
// CPU lacks, is an InputError naming `source` (the variable or flag it came from) and the
// paths available.
void pin_path(std::string_view name, std::string_view source = "SCALELAB_SIMD");

// Reads SCALELAB_SIMD (if set) and pins the path it names; call once at start-up.
void apply_env();

}  // namespace scalelab::simd
