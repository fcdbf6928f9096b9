// defines: helpers shared by the Gpt tests (tests/backend/test_gpt*.cpp, test_mup_coord.cpp)
//
//   auto be = make_test_backend("reference");       // or "cpu"
//   ModelConfig cfg = tiny_config("mup");
//   std::vector<float> p = random_params(cfg, 7);   // init plus noise on norms and biases
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "core/simd_path.h"
#include "core/rng.h"
#include "model/init.h"
#include "model/model_config.h"
#include "model/param_layout.h"
#include "reference_backend.h"

namespace scalelab::testing {

// "reference": every op is the float reference op (tests/backend/reference_backend.h);
// "cpu": the CPU backend with 2 threads on the best SIMD path; "cpu_avx2" (any path of
// core/simd_path.h): the same with the kernels pinned to that path, process-wide.
inline std::unique_ptr<Backend> make_test_backend(const std::string& name) {
  if (name == "reference") return std::make_unique<ReferenceBackend>();
  simd::pin_path(name.rfind("cpu_", 0) == 0 ? name.substr(4) : "auto");
  return make_backend("cpu", 2);
}

// The backends every Gpt test runs on: the reference, and the CPU backend on each SIMD
// path this machine runs.
inline std::vector<std::string> test_backend_names() {
  std::vector<std::string> names = {"reference", "cpu"};
  const auto paths = simd::available_paths();
  for (size_t i = 1; i < paths.size(); ++i) names.push_back("cpu_" + paths[i]);
  return names;
}

// L=2, C=8, NH=2 (head size 4), seq_len=6, V=11. Under muP the base width is 4, so
// width_mult = 2, logit_scale = 1/2 and the attention scale 1/4 differs from SP's 1/2.
inline ModelConfig tiny_config(const std::string& parameterization) {
  ModelConfig cfg;
  cfg.n_layer = 2;
  cfg.d_model = 8;
  cfg.n_head = 2;
  cfg.seq_len = 6;
  cfg.vocab = 11;
  cfg.parameterization = parameterization;
  cfg.init_std = 0.3;  // large enough that every path carries an O(1) share of the gradient
  cfg.mup_base_width = 4;
  return cfg;
}

// init_params, then noise on LayerNorm weights and biases (which init sets to 1 and 0,
// where some gradient paths would vanish or cancel).
inline std::vector<float> random_params(const ModelConfig& cfg, uint64_t seed) {
  ParamLayout layout(cfg);
  std::vector<float> p(layout.total());
  init_params(layout, p.data(), seed);
  Rng rng(seed ^ 0xA5A5A5A5ull);
  for (int i = 0; i < kNumParamTensors; ++i) {
    auto id = static_cast<ParamId>(i);
    ParamKind k = layout.info(id).kind;
    if (k == ParamKind::kEmbedding || k == ParamKind::kHiddenMatrix) continue;
    float* t = p.data() + layout.offset(id);
    for (size_t j = 0; j < layout.size(id); ++j) t[j] += static_cast<float>(0.2 * rng.normal());
  }
  return p;
}

inline std::vector<int32_t> random_tokens(size_t n, int64_t vocab, uint64_t seed) {
  Rng rng(seed);
  std::vector<int32_t> t(n);
  for (auto& x : t) x = static_cast<int32_t>(rng.below(static_cast<uint64_t>(vocab)));
  return t;
}

}  // namespace scalelab::testing
