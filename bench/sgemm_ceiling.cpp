// bench_sgemm_ceiling: the machine's practical fp32 matrix-product ceiling, the yardstick
// for the training benchmark's achieved GFLOP/s (bench/train_vs_pytorch.sh).
//
// Times cblas_sgemm (OpenBLAS, the BLAS that scalelab and Debian's PyTorch both use) on
// square n x n x n products, C = A B (2 n^3 FLOPs), with the given thread count, two ways:
//   blas: one call threaded by OpenBLAS;
//   omp:  OpenMP threads each calling single-threaded sgemm on their rows of C (the
//         way scalelab's CPU matmul uses BLAS, backend/cpu/matmul.cpp).
// Square 1024..2048 products are large enough that packing and threading overheads
// vanish, so this is the highest rate BLAS reaches here; a training step, with its
// thinner products and non-matmul ops, can only approach it. The ceiling is the best
// single product over sizes and modes: on a shared machine the mean over a second is
// dragged down by other processes, the best product is not (and so the fraction of it
// that a training run reports errs on the low side).
//
//   build/bench/bench_sgemm_ceiling --threads 2 --sizes 1024,1536,2048 --seconds 1
// prints one line per size and mode and a final line `sgemm_ceiling_gflops <best>`.
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/timer.h"

namespace {

struct Options {
  int threads = 2;
  std::vector<int> sizes = {1024, 1536, 2048};
  double seconds = 1.0;  // timed duration per size, after one untimed warm-up product
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "bench_sgemm_ceiling: %s\nusage: bench_sgemm_ceiling [--threads N] "
               "[--sizes n1,n2,...] [--seconds S]\n", msg);
  std::exit(2);
}

int parse_int(const std::string& s, const char* flag) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (end == s.c_str() || *end != '\0' || v <= 0 || v > 1 << 16) usage((std::string(flag) + ": expected a positive integer").c_str());
  return static_cast<int>(v);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(("missing value after " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--threads") {
      o.threads = parse_int(v, "--threads");
    } else if (a == "--seconds") {
      o.seconds = std::atof(v.c_str());
      if (!(o.seconds > 0)) usage("--seconds: expected a positive number");
    } else if (a == "--sizes") {
      o.sizes.clear();
      size_t start = 0;
      while (start <= v.size()) {
        const size_t comma = std::min(v.find(',', start), v.size());
        o.sizes.push_back(parse_int(v.substr(start, comma - start), "--sizes"));
        start = comma + 1;
      }
    } else {
      usage(("unknown flag " + a).c_str());
    }
  }
  return o;
}

struct Rate {
  double mean = 0, best = 0;  // GFLOP/s: over the whole timed span, and of the fastest product
};

// n x n x n sgemm repeated for at least `seconds`, after one untimed warm-up product
// (thread pool start, page faults, caches).
Rate measure(int n, double seconds, int threads, bool omp_split) {
  const size_t nn = static_cast<size_t>(n) * static_cast<size_t>(n);
  std::vector<float> a(nn), b(nn), c(nn);
  scalelab::Rng rng(static_cast<uint64_t>(n));
  for (size_t i = 0; i < nn; ++i) {
    a[i] = static_cast<float>(rng.uniform() - 0.5);
    b[i] = static_cast<float>(rng.uniform() - 0.5);
  }
  auto product = [&] {
    if (!omp_split) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f,
                  c.data(), n);
      return;
    }
#pragma omp parallel num_threads(threads)
    {
      const int nt = omp_get_num_threads(), t = omp_get_thread_num();
      const int r0 = n * t / nt, r1 = n * (t + 1) / nt;
      if (r1 > r0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0, n, n, 1.0f, a.data() + size_t(r0) * n, n,
                    b.data(), n, 0.0f, c.data() + size_t(r0) * n, n);
    }
  };
  openblas_set_num_threads(omp_split ? 1 : threads);
  product();
  const double flops = 2.0 * n * static_cast<double>(n) * n;
  int reps = 0;
  double fastest = 1e300;
  scalelab::Timer total;
  do {
    scalelab::Timer one;
    product();
    fastest = std::min(fastest, one.seconds());
    ++reps;
  } while (total.seconds() < seconds);
  return {flops * reps / total.seconds() / 1e9, flops / fastest / 1e9};
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::printf("cblas_sgemm (%s), %d threads, C = A B square n x n x n, 2 n^3 FLOPs\n", openblas_get_config(),
              o.threads);
  double best = 0;
  for (int n : o.sizes) {
    for (bool omp_split : {false, true}) {
      const Rate r = measure(n, o.seconds, o.threads, omp_split);
      std::printf("n=%-5d %-4s mean %7.1f GFLOP/s, best product %7.1f GFLOP/s\n", n, omp_split ? "omp" : "blas",
                  r.mean, r.best);
      best = std::max(best, r.best);
    }
  }
  std::printf("sgemm_ceiling_gflops %.1f\n", best);
  return 0;
}
