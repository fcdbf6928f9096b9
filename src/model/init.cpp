#include "model/init.h"

#include <cmath>

#include "core/rng.h"

namespace scalelab {

namespace {

double init_std_for(const ParamLayout& layout, ParamId id) {
  const ModelConfig& cfg = layout.config();
  const ParamInfo& info = layout.info(id);
  double std = cfg.init_std;
  if (info.kind == ParamKind::kHiddenMatrix && cfg.param() == Parameterization::kMup) {
    // Variance 1/fan_in relative to the same matrix at the base width.
    double base_fan_in = static_cast<double>(info.fan_in) / cfg.width_mult();
    std *= std::sqrt(base_fan_in / static_cast<double>(info.fan_in));
  }
  if (info.residual_out) std /= std::sqrt(2.0 * static_cast<double>(cfg.n_layer));
  return std;
}

}  // namespace

void init_params(const ParamLayout& layout, float* params, uint64_t seed) {
  Rng root(seed);
  for (int i = 0; i < kNumParamTensors; ++i) {
    auto id = static_cast<ParamId>(i);
    float* p = params + layout.offset(id);
    const size_t n = layout.size(id);
    switch (layout.info(id).kind) {
      case ParamKind::kNormWeight:
        for (size_t j = 0; j < n; ++j) p[j] = 1.0f;
        break;
      case ParamKind::kNormBias:
      case ParamKind::kBias:
        for (size_t j = 0; j < n; ++j) p[j] = 0.0f;
        break;
      case ParamKind::kEmbedding:
      case ParamKind::kHiddenMatrix: {
        Rng rng = root.split(static_cast<uint64_t>(i));
        const double std = init_std_for(layout, id);
        for (size_t j = 0; j < n; ++j) p[j] = static_cast<float>(std * rng.normal());
        break;
      }
    }
  }
}

double lr_multiplier(const ParamLayout& layout, ParamId id) {
  const ModelConfig& cfg = layout.config();
  if (cfg.param() != Parameterization::kMup) return 1.0;
  return layout.info(id).kind == ParamKind::kHiddenMatrix ? 1.0 / cfg.width_mult() : 1.0;
}

bool decays(const ParamLayout& layout, ParamId id, bool decay_embeddings) {
  switch (layout.info(id).kind) {
    case ParamKind::kHiddenMatrix:
      return true;
    case ParamKind::kEmbedding:
      return decay_embeddings;
    default:
      return false;
  }
}

}  // namespace scalelab
