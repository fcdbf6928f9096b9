// defines: scalelab::ParamId, scalelab::ParamLayout, scalelab::ParamViews
//
// All parameters live in one contiguous buffer (so the optimizer, the gradient norm and
// checkpoints treat them as one array), exposed as named views with their shapes, as in
// llm.c's ParameterTensors. The same layout describes the gradient buffer and the AdamW
// moments; it is device-agnostic (offsets, not pointers), so the CUDA backend uses it too.
//
//   ParamLayout layout(cfg);
//   std::vector<float> params(layout.total());
//   ParamViews<float> p(layout, params.data());
//   p.qkvw + l * 3 * C * C;      // block l's fused QKV weight, (3C, C)
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "model/model_config.h"

namespace scalelab {

// Order is the buffer order. Shapes with L = n_layer, C = d_model, V = vocab, T = seq_len.
enum class ParamId : int {
  kWte = 0,   // (V, C)      token embedding, tied to the output projection
  kWpe,       // (T, C)      learned position embedding
  kLn1w,      // (L, C)
  kLn1b,      // (L, C)
  kQkvw,      // (L, 3C, C)  rows: [q; k; v], each (C, C), head h owns rows h*hs..(h+1)*hs
  kQkvb,      // (L, 3C)
  kAttprojw,  // (L, C, C)
  kAttprojb,  // (L, C)
  kLn2w,      // (L, C)
  kLn2b,      // (L, C)
  kFcw,       // (L, 4C, C)
  kFcb,       // (L, 4C)
  kFcprojw,   // (L, C, 4C)
  kFcprojb,   // (L, C)
  kLnfw,      // (C)
  kLnfb,      // (C)
};
inline constexpr int kNumParamTensors = 16;

// What a tensor is, for initialisation, weight decay and muP learning-rate multipliers.
enum class ParamKind { kEmbedding, kHiddenMatrix, kBias, kNormWeight, kNormBias };

struct ParamInfo {
  std::string_view name;  // "qkvw": the name used in checkpoints, parity dumps and logs
  ParamKind kind;
  size_t fan_in;          // input width of a matrix (for init and muP); 0 otherwise
  bool residual_out;      // writes into the residual stream (GPT-2 scales its init by 1/sqrt(2L))
};

class ParamLayout {
 public:
  explicit ParamLayout(const ModelConfig& cfg);
  size_t total() const { return total_; }
  size_t size(ParamId id) const { return sizes_[static_cast<int>(id)]; }
  size_t offset(ParamId id) const { return offsets_[static_cast<int>(id)]; }
  const ParamInfo& info(ParamId id) const { return infos_[static_cast<int>(id)]; }
  const ModelConfig& config() const { return cfg_; }

 private:
  ModelConfig cfg_;
  std::array<size_t, kNumParamTensors> sizes_{}, offsets_{};
  std::array<ParamInfo, kNumParamTensors> infos_{};
  size_t total_ = 0;
};

// Typed pointers into one buffer laid out by a ParamLayout (float for params, gradients
// and moments; double in the finite-difference checks).
template <class T>
struct ParamViews {
  T *wte, *wpe, *ln1w, *ln1b, *qkvw, *qkvb, *attprojw, *attprojb;
  T *ln2w, *ln2b, *fcw, *fcb, *fcprojw, *fcprojb, *lnfw, *lnfb;

  ParamViews(const ParamLayout& layout, T* base) {
    T** fields[] = {&wte, &wpe, &ln1w, &ln1b, &qkvw, &qkvb, &attprojw, &attprojb,
                    &ln2w, &ln2b, &fcw, &fcb, &fcprojw, &fcprojb, &lnfw, &lnfb};
    static_assert(sizeof(fields) / sizeof(fields[0]) == kNumParamTensors, "one view per ParamId");
    for (int i = 0; i < kNumParamTensors; ++i) *fields[i] = base + layout.offset(static_cast<ParamId>(i));
  }
};

}  // namespace scalelab
