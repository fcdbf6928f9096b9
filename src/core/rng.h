// defines: scalelab::Rng
//
// A small deterministic generator whose whole state is one 64-bit word, so checkpoints
// store it exactly and a resumed run draws the same numbers. SplitMix64 (Steele, Lea and
// Flood 2014, "Fast splittable pseudorandom number generators") passes BigCrush and is
// the seeding generator recommended for xoshiro; its quality is ample for data sampling
// and initialisation. `split(k)` derives independent streams (per worker, per tensor)
// without advancing this one.
#pragma once

#include <cmath>
#include <cstdint>

namespace scalelab {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : state_(seed) {}

  uint64_t next_u64() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    return mix(z);
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n) (Lemire's multiply-shift; bias below 2^-64 * n).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<__uint128_t>(next_u64()) * n) >> 64); }
  // Standard normal by Box-Muller, with no cached second value so the state stays one word.
  double normal() {
    double u1 = uniform();
    double u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  Rng split(uint64_t stream) const { return Rng(mix(state_ ^ mix(stream + 0x632BE59BD9B4E019ull))); }

  uint64_t state() const { return state_; }
  void set_state(uint64_t s) { state_ = s; }

 private:
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

}  // namespace scalelab
