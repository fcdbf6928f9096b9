// The embedded demo spec (demo_spec.h). Why these numbers:
// - Sizes: six shapes from 12.8k to 448k non-embedding parameters (1.55 decades), near
//   the aspect ratio d_model / n_layer = 32 with 16-wide heads, the smallest shapes that
//   a 2-core laptop trains in seconds.
// - Budgets: 0.5M, 1M and 2M tokens for every size, so the grid spans 1 to 160 tokens per
//   parameter and the fit sees both the N and the D terms of L(N, D). WSD reuse trains
//   each size once to 2M tokens and forks the shorter budgets' cooldowns from it.
// - Learning rate: muP (Yang et al. 2022) with the LR tuned at width 64 transfers across
//   the widths of the ladder, so no size is handicapped by a mistuned LR.
// - Held out: a 793k model on 4.8M tokens, 4.25x the 6ND compute of the largest ladder
//   run (and 1.8x its N): the forecast extrapolates in both N and C.
#include "sweep/demo_spec.h"

namespace scalelab::sweep {

const std::string& demo_spec_text() {
  static const std::string text = R"toml(# scalelab demo: the scaling hypothesis on the Brown corpus, in minutes on a laptop.
[experiment]
name = "demo"
description = "A ladder of six byte-level GPTs (12.8k to 448k non-embedding parameters) trained on the Brown corpus for 0.5M, 1M and 2M tokens each, with WSD cooldown branches; a Chinchilla law fitted to them forecasts a 1.8x larger model trained on 4.25x the compute before it is trained."
seeds = [1337]

[data]
path = ""                 # empty: the Brown corpus prepared by scripts/prepare_brown
val_max_tokens = 65536    # the same 64k validation tokens score every run

[model]
seq_len = 128

[train]
batch_size = 16
warmup_steps = 20
eval_every = 100
log_every = 10

[sizes]
shapes = [[1, 32, 2], [2, 32, 2], [2, 48, 3], [2, 64, 4], [3, 80, 5], [4, 96, 6]]

[budgets]
tokens = [5e5, 1e6, 2e6]

[lr]
rule = "mup"
lr = 4e-3
base_width = 64

[wsd]
reuse = true
cooldown_fraction = 0.2

[[heldout]]
shape = [4, 128, 8]
tokens = 4.8e6
)toml";
  return text;
}

ExperimentSpec demo_spec() { return parse_spec(demo_spec_text(), "<demo spec>"); }

}  // namespace scalelab::sweep
