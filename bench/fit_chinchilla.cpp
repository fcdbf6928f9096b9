// bench_fit_chinchilla: times scalelab's approach-3 fit of the Chinchilla law on the 240
// points of Besiroglu et al. 2024 (the 245 points read off Hoffmann et al. 2022, Figure 4,
// minus the 5 highest losses): Hoffmann's 4,500-start grid, summed Huber (delta = 1e-3)
// on log-loss residuals, then a 1,000-resample bootstrap. Prints greppable lines:
//   fit: time_s=.. cpu_s=.. repeats=.. threads=.. starts=.. reached_best=.. E=.. A=.. B=.. alpha=.. beta=.. objective=..
//   bootstrap: time_s=.. cpu_s=.. draws=.. se_E=.. se_alpha=.. se_beta=..
// Usage: bench_fit_chinchilla [POINTS_CSV] [BOOTSTRAP_DRAWS] [THREADS] [REPEATS]
// (bench/fit_vs_scipy.sh runs it beside bench/fit_chinchilla_scipy.py).
#include "core/timer.h"
#include "fit/approach3.h"
#include "fit/bootstrap.h"
#include "fit/law.h"
#include "fit/observations_io.h"

#include <fmt/format.h>

#include "core/simd_path.h"

#include <ctime>
#include <string>

using namespace scalelab;
using namespace scalelab::fit;

int main(int argc, char** argv) {
  simd::apply_env();  // SCALELAB_SIMD pins the fused objective's SIMD path
  std::string path = argc > 1 ? argv[1] : "tests/data/chinchilla_points.csv";
  int draws = argc > 2 ? std::stoi(argv[2]) : 1000;
  int threads = argc > 3 ? std::stoi(argv[3]) : 0;
  int repeats = argc > 4 ? std::stoi(argv[4]) : 3;
  // The file's own column names; D = C / (6 N); Besiroglu et al.'s exclusion of the 5
  // highest losses.
  ReadOptions read;
  read.cols.N = "Model Size";
  read.cols.C = "Training FLOP";
  read.drop_top_loss = 5;
  Observations obs = read_observations(path, read);
  auto law = make_law("chinchilla");
  FitOptions opt;
  opt.threads = threads;

  // Best of `repeats` runs (the machine may be shared); CPU time summed over threads.
  FitResult r;
  double fit_s = 1e300, fit_cpu = 0;
  for (int k = 0; k < repeats; ++k) {
    Timer t;
    std::clock_t c0 = std::clock();
    r = fit_parametric(*law, obs, opt);
    double s = t.seconds();
    if (s < fit_s) fit_s = s, fit_cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  }
  fmt::print("fit: simd={} time_s={:.4f} cpu_s={:.4f} repeats={} threads={} points={} starts={} reached_best={} E={:.6g} A={:.6g} B={:.6g} "
             "alpha={:.6g} beta={:.6g} objective={:.10g}\n",
             simd::current_path(), fit_s, fit_cpu, repeats, threads, r.points, r.starts, r.starts_converged, r.params[0], r.params[1], r.params[2],
             r.params[3], r.params[4], r.objective);
  fmt::print("fit: message=\"{}\"\n", r.message);

  opt.bootstrap = draws;
  opt.seed = 1;
  Points pts = Points::from(obs);
  Timer t;
  std::clock_t c0 = std::clock();
  bootstrap_refit(*law, pts, opt, r);
  double boot_s = t.seconds();
  double boot_cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  fmt::print("bootstrap: time_s={:.4f} cpu_s={:.4f} draws={} se_E={:.4g} se_A={:.4g} se_B={:.4g} se_alpha={:.4g} "
             "se_beta={:.4g} se_a={:.4g} ci90_a=[{:.4f},{:.4f}]\n",
             boot_s, boot_cpu, draws, r.se["E"], r.se["A"], r.se["B"], r.se["alpha"], r.se["beta"], r.se["a"],
             r.ci["a"][0], r.ci["a"][1]);
  return 0;
}
