// The embedded demo spec (demo_spec.h). Why these numbers (measured on 2 cores; see the
// notes of issue 4):
// - Sizes: six 2-layer shapes from 3.8k to 126k non-embedding parameters (1.52 decades).
//   Depth is fixed and only the width grows, so muP (Yang et al. 2022) transfers the LR
//   tuned at width 64 to every size; deeper shapes at these token counts learned slower
//   per token than shallower ones of the same N and broke the ladder's monotonicity.
// - Budgets: 2M, 4M and 6M tokens for every size (WSD branches of one 6M run per size),
//   plus three long runs of the smallest sizes ([[runs]], up to 24M tokens): they cost
//   little and give the fit the range of D it needs to separate E from B / D^beta. With
//   D spanning only 2-8M the fit was degenerate and its forecasts 4-8% too pessimistic.
// - Below about 1.5M tokens byte-level models sit on a plateau near the bigram loss, off
//   any power law, so no budget is smaller than 2M.
// - Context: 64 bytes, 32 sequences a step (2048 tokens, as before). With 128-byte
//   contexts every size sat on a plateau near 2.45 nats for 0.5-2M tokens and left it at a
//   seed-dependent step: two seeds of one size ended 0.5-4% apart, more than the law's
//   own scatter. With 64 the plateau is mostly gone before 1M tokens (seeds 0.3-2% apart)
//   and every size ends lower (issue 15's notes).
// - Held out: a 502k model (4x the largest ladder N) on 6.15M tokens, 4.06x the 6ND
//   compute of the largest ladder run (and over 4x in the full count).
#include "sweep/demo_spec.h"

namespace scalelab::sweep {

const std::string& demo_spec_text() {
  static const std::string text = R"toml(# scalelab demo: the scaling hypothesis on the Brown corpus, in minutes on a laptop.
[experiment]
name = "demo"
description = "Six 2-layer byte-level GPTs (3.8k to 126k non-embedding parameters) trained on the Brown corpus for 2M, 4M and 6M tokens each (WSD cooldown branches), plus long runs of the three smallest; a Chinchilla law fitted to them forecasts a 4x wider model on 4x the compute before it is trained."
seeds = [1337]
max_epochs = 5            # the smallest model's long run sees the corpus 4.5 times

[data]
path = ""                 # empty: the Brown corpus prepared by scripts/prepare_brown
val_max_tokens = 65536    # the same 64k validation tokens score every run

[model]
seq_len = 64

[train]
batch_size = 32
warmup_steps = 20
eval_every = 500
log_every = 10

[sizes]
shapes = [[2, 12, 3], [2, 16, 2], [2, 24, 3], [2, 40, 5], [2, 56, 7], [2, 72, 9]]

[budgets]
tokens = [2e6, 4e6, 6e6]

[lr]
rule = "mup"
lr = 4e-3
base_width = 64

[wsd]
reuse = true
cooldown_fraction = 0.2

[[runs]]
shape = [2, 12, 3]
tokens = 2.4e7

[[runs]]
shape = [2, 16, 2]
tokens = 1.8e7

[[runs]]
shape = [2, 24, 3]
tokens = 1.2e7

[[heldout]]
shape = [2, 144, 18]
tokens = 6.15e6
)toml";
  return text;
}

ExperimentSpec demo_spec() { return parse_spec(demo_spec_text(), "<demo spec>"); }

}  // namespace scalelab::sweep
