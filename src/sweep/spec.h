// defines: scalelab::sweep::LrRule, HeldOut, ExperimentSpec, parse_spec, load_spec
//
// An experiment spec: one TOML file that describes a ladder of models and budgets.
//
//   [experiment]
//   name = "ladder"                    # the store's key for the experiment
//   description = "Chinchilla-style ladder on Brown"
//   seeds = [1337]                     # every run once per seed
//   [data]   ...                       # data.* keys of a run config (data/data_config.h)
//   [model]  seq_len = 128             # model.* keys except the shape (n_layer, d_model, n_head)
//   [train]  batch_size = 16           # train.* keys except the length (steps, tokens) and lr
//   [family] aspect_ratio = 32         # shape rule (model/shape_rule.h) for `sizes.params`
//            head_size = 16
//   [sizes]  params = [2e4, 5e4]       # non-embedding N targets, and/or
//            shapes = [[2, 64, 4]]     # explicit [n_layer, d_model, n_head]
//   [budgets] tokens_per_param = [5, 10]   # D = k N for every size, and/or
//             tokens = [1e6]               # absolute D for every size
//   [isoflop] flops = [1e12, 4e12]     # IsoFLOP budgets C (6ND): for each C every size in
//             params = [1e4, 3e4, 1e5] # isoflop.params (or sizes.*) trains D = C / (6N)
//   [lr]     rule = "mup"              # "fixed" | "kaplan" | "mup"
//            lr = 3e-3                 # fixed: the LR; mup: the LR tuned at base_width
//            base_width = 64           # mup only
//   [wsd]    reuse = true              # budgets of one size become cooldown branches of one
//            cooldown_fraction = 0.2   # constant-LR trunk (Hagele et al. 2024, sec. 4)
//   [[runs]]                           # one more ladder run of a given size and budget, e.g.
//   shape = [2, 16, 2]                 # long runs of small models that widen the fit's
//   tokens = 2e7                       # range of D for little compute
//   seeds = [1, 2]                     # (optional) only these of experiment.seeds
//   [[heldout]]                        # forecast from the other runs before it trains
//   params = 1e6                       # (or shape = [L, d, h])
//   tokens = 8e6                       # (or tokens_per_param = k)
//   [probe]  kind = "icl"              # a probe experiment: scalelab probe (probe/probe_spec.h)
//
// LR rules: "fixed" trains every size at `lr`; "kaplan" uses Kaplan et al. (2020), eq. D.1,
// LR(N) = 0.003239 - 0.0001395 ln N (N non-embedding), times `scale`; "mup" sets
// model.parameterization = "mup" with mup_base_width = base_width, so one LR tuned at the
// base width transfers across widths (Yang et al. 2022, muTransfer).
//
// Parsing is strict: an unknown table or key, a wrong type, or an out-of-range value is an
// InputError naming the file, the key and (where toml++ knows it) the line.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/shape_rule.h"

namespace scalelab::sweep {

struct LrRule {
  std::string rule = "fixed";  // "fixed" | "kaplan" | "mup"
  double lr = 1e-3;
  double scale = 1.0;          // kaplan: multiplier on eq. D.1
  int64_t base_width = 64;     // mup
};

using Shape = std::array<int64_t, 3>;  // n_layer, d_model, n_head

// One run given by size and budget: [[runs]] (part of the ladder) or [[heldout]].
struct HeldOut {
  double params = 0;                 // non-embedding N target (or shape)
  std::optional<Shape> shape;
  double tokens = 0;                 // absolute D (or tokens_per_param)
  double tokens_per_param = 0;
  std::vector<int64_t> seeds;        // a subset of experiment.seeds; empty = all of them
};

struct ExperimentSpec {
  std::string source;          // file name, or "<demo>" for the embedded spec
  std::string text;            // the TOML text as given
  std::string name;
  std::string description;
  std::vector<int64_t> seeds = {1337};
  // Run-config sections as TOML text ([data], [model], [train] of the spec), applied to
  // every run before the planner's own keys.
  std::string run_sections;
  ShapeRule family;
  std::vector<double> size_params;
  std::vector<Shape> size_shapes;
  std::vector<double> tokens_per_param;
  std::vector<double> tokens;
  std::vector<double> isoflop_flops;
  std::vector<double> isoflop_params;  // empty: the ladder's sizes
  LrRule lr;
  bool wsd_reuse = false;
  double wsd_cooldown_fraction = 0.2;
  double max_epochs = 4;       // the planner warns about runs that repeat data more often
  std::vector<HeldOut> extra_runs;  // [[runs]]
  std::vector<HeldOut> heldout;
  bool has_probe = false;      // a [probe] table (probe/probe_spec.h reads it from `text`)
};

// `source` names the text in errors (the file name).
ExperimentSpec parse_spec(const std::string& text, const std::string& source);
ExperimentSpec load_spec(const std::string& path);  // InputError naming the file when unreadable

}  // namespace scalelab::sweep
