#include "model/param_layout.h"

namespace scalelab {

ParamLayout::ParamLayout(const ModelConfig& cfg) : cfg_(cfg) {
  const size_t L = static_cast<size_t>(cfg.n_layer), C = static_cast<size_t>(cfg.d_model);
  const size_t V = static_cast<size_t>(cfg.vocab), T = static_cast<size_t>(cfg.seq_len);
  using K = ParamKind;
  struct Row {
    size_t size;
    ParamInfo info;
  };
  const Row rows[kNumParamTensors] = {
      {V * C, {"wte", K::kEmbedding, 0, false}},
      {T * C, {"wpe", K::kEmbedding, 0, false}},
      {L * C, {"ln1w", K::kNormWeight, 0, false}},
      {L * C, {"ln1b", K::kNormBias, 0, false}},
      {L * 3 * C * C, {"qkvw", K::kHiddenMatrix, C, false}},
      {L * 3 * C, {"qkvb", K::kBias, 0, false}},
      {L * C * C, {"attprojw", K::kHiddenMatrix, C, true}},
      {L * C, {"attprojb", K::kBias, 0, false}},
      {L * C, {"ln2w", K::kNormWeight, 0, false}},
      {L * C, {"ln2b", K::kNormBias, 0, false}},
      {L * 4 * C * C, {"fcw", K::kHiddenMatrix, C, false}},
      {L * 4 * C, {"fcb", K::kBias, 0, false}},
      {L * C * 4 * C, {"fcprojw", K::kHiddenMatrix, 4 * C, true}},
      {L * C, {"fcprojb", K::kBias, 0, false}},
      {C, {"lnfw", K::kNormWeight, 0, false}},
      {C, {"lnfb", K::kNormBias, 0, false}},
  };
  size_t off = 0;
  for (int i = 0; i < kNumParamTensors; ++i) {
    sizes_[i] = rows[i].size;
    infos_[i] = rows[i].info;
    offsets_[i] = off;
    off += rows[i].size;
  }
  total_ = off;
}

}  // namespace scalelab
