// The [probe] table, the default probe specs and the ensemble expansion (probe_spec.h).
#include "probe/probe_spec.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/config.h"
#include "core/error.h"
#include "model/accounting.h"
#include "model/shape_rule.h"
#include "train/run_config.h"

namespace scalelab::probe {

namespace {

// Each default ladder trains in a few minutes on 2 cores (see README, "Probes").
// Emergence: 2-digit addition with reversed answers (Lee et al. 2023) trained alone; a
// ladder of widths, snapshots along training, the same held-out problems scored at each.
// At 1e7 tokens the 2x48 and larger models learn it (exact match 100% on held-out
// problems; the validation loss falls to the floor of the random operand digits within a
// few hundred steps) while the 2x32 one stays near chance: the ladder straddles the jump.
const std::string kEmergenceSpec = R"(# scalelab probe emergence: does an ability appear suddenly with scale?
[experiment]
name = "probe-emergence"
description = "A ladder of small GPTs trained on 2-digit addition (answers reversed, lowest digit first; Lee et al. 2023). The same model outputs on held-out problems are scored four ways: exact match, per-token accuracy, edit distance and the log-likelihood of the correct answer (Schaeffer et al. 2023)."
seeds = [1337]

[data]
task = "addition"
task_fraction = 1.0
task_tokens = 4000000
task_digits = 2
val_max_tokens = 8192

[model]
seq_len = 64

[train]
batch_size = 32
warmup_steps = 50
eval_every = 250
log_every = 10

[lr]
rule = "mup"
lr = 4e-3
base_width = 64

[sizes]
shapes = [[1, 16, 2], [2, 32, 4], [2, 40, 5], [2, 48, 6], [2, 64, 8]]

[budgets]
tokens = [1e7]

[probe]
kind = "emergence"
snapshots = 6
examples = 400
)";

// In-context learning: Brown text at a 256-byte context, so that the early and late
// positions of the score (50 and 500 of 512 in Olsson et al. 2022) scale to 25 and 250.
const std::string kIclSpec = R"(# scalelab probe icl: do larger models learn more from their context?
[experiment]
name = "probe-icl"
description = "A ladder of byte-level GPTs on the Brown corpus at a 256-byte context. For every run and snapshot: validation loss per context position with a fitted L(t) = a + b t^-c, the in-context-learning score (Olsson et al. 2022), and an induction probe on random token sequences repeated once."
seeds = [1337]

[data]
val_max_tokens = 32768

[model]
seq_len = 256

[train]
batch_size = 8
warmup_steps = 20
eval_every = 250
log_every = 10

[lr]
rule = "mup"
lr = 4e-3
base_width = 64

[sizes]
shapes = [[2, 16, 2], [2, 32, 4], [2, 48, 6], [2, 72, 9]]

[budgets]
tokens = [8e6]

[probe]
kind = "icl"
snapshots = 6
eval_windows = 256
induction_sequences = 128
)";

// Lazy learning: n-gram baselines and the distance of each model to each of them along
// training.
const std::string kNgramSpec = R"(# scalelab probe ngram: do small models settle for simple statistics?
[experiment]
name = "probe-ngram"
description = "Interpolated Kneser-Ney n-gram models of orders 1 to 5 built from the Brown training split, and a ladder of byte-level GPTs whose predictions are compared with each n-gram's along training (the KL divergence from the n-gram's distribution to the model's)."
seeds = [1337]

[data]
val_max_tokens = 32768

[model]
seq_len = 128

[train]
batch_size = 16
warmup_steps = 20
eval_every = 250
log_every = 10

[lr]
rule = "mup"
lr = 4e-3
base_width = 64

[sizes]
shapes = [[2, 16, 2], [2, 32, 4], [2, 56, 7], [2, 96, 12]]

[budgets]
tokens = [1e7]

[probe]
kind = "ngram"
snapshots = 8
eval_windows = 64
max_order = 5
)";

// Ensembles: k models of N/k parameters on the same tokens cost the compute of one model
// of N (6 N D in all); 4-layer shapes so that deleting one block leaves three.
const std::string kEnsembleSpec = R"(# scalelab probe ensemble: is a big network like an ensemble of small ones?
[experiment]
name = "probe-ensemble"
description = "For each size N, one model of N parameters against the averaged predictive distribution of k models of N/k parameters (different seeds, the same tokens, so the same training compute), and the loss when each block of a model is deleted at evaluation."
seeds = [1, 2, 3, 4]

[data]
val_max_tokens = 32768

[model]
seq_len = 128

[train]
batch_size = 16
warmup_steps = 20
eval_every = 250
log_every = 10

[lr]
rule = "mup"
lr = 4e-3
base_width = 64

[family]
aspect_ratio = 8
head_size = 8

[sizes]
params = [4e4, 1.6e5]

[budgets]
tokens = [2e6]

[probe]
kind = "ensemble"
k = [1, 2, 4]
eval_windows = 64
)";

struct Ctx {
  const std::string& source;
  [[noreturn]] void fail(const std::string& key, const toml::node* node, const std::string& what) const {
    if (node && node->source().begin.line > 0)
      throw InputError(fmt::format("{}:{}: probe.{}: {}", source, node->source().begin.line, key, what));
    throw InputError(fmt::format("{}: probe.{}: {}", source, key, what));
  }
  int64_t integer(const toml::table& t, const std::string& key, int64_t lo, int64_t hi, int64_t fallback) const {
    const toml::node* n = t.get(key);
    if (!n) return fallback;
    const auto v = n->value_exact<int64_t>();
    if (!v || *v < lo || *v > hi) fail(key, n, fmt::format("expected an integer in [{}, {}]", lo, hi));
    return *v;
  }
};

}  // namespace

const std::vector<std::string>& probe_kinds() {
  static const std::vector<std::string> kinds = {"emergence", "icl", "ngram", "ensemble"};
  return kinds;
}

const std::string& default_probe_spec_text(std::string_view kind) {
  if (kind == "emergence") return kEmergenceSpec;
  if (kind == "icl") return kIclSpec;
  if (kind == "ngram") return kNgramSpec;
  if (kind == "ensemble") return kEnsembleSpec;
  throw InputError(fmt::format("probe: unknown kind '{}' (expected emergence, icl, ngram or ensemble)", kind));
}

ProbeOptions parse_probe_options(const sweep::ExperimentSpec& spec, std::string_view kind) {
  default_probe_spec_text(kind);  // names an unknown kind
  ProbeOptions o;
  o.kind = std::string(kind);
  if (o.kind == "ensemble") o.snapshots = 0;
  if (!spec.has_probe) return o;
  const Ctx c{spec.source};
  const toml::table root = toml::parse(spec.text, spec.source);  // parse_spec already accepted it
  const toml::table& t = *root.get("probe")->as_table();
  const std::vector<std::string> allowed = {"kind", "snapshots", "examples", "eval_windows", "induction_sequences",
                                            "max_order", "k", "seed"};
  for (auto&& [k, v] : t)
    if (std::find(allowed.begin(), allowed.end(), std::string(k.str())) == allowed.end())
      c.fail(std::string(k.str()), &v,
             "unknown key (expected one of: kind, snapshots, examples, eval_windows, induction_sequences, "
             "max_order, k, seed)");
  if (const toml::node* n = t.get("kind")) {
    const auto v = n->value_exact<std::string>();
    if (!v || *v != kind) c.fail("kind", n, fmt::format("this spec is for probe '{}', not '{}'", v.value_or("?"), kind));
  }
  o.snapshots = c.integer(t, "snapshots", 0, 20, o.snapshots);
  o.examples = c.integer(t, "examples", 1, 100000, o.examples);
  o.eval_windows = c.integer(t, "eval_windows", 1, 1 << 20, o.eval_windows);
  o.induction_sequences = c.integer(t, "induction_sequences", 1, 1 << 16, o.induction_sequences);
  o.max_order = static_cast<int>(c.integer(t, "max_order", 1, 6, o.max_order));
  o.seed = c.integer(t, "seed", 0, INT64_MAX, o.seed);
  if (const toml::node* n = t.get("k")) {
    o.k.clear();
    if (const toml::array* a = n->as_array())
      for (const toml::node& e : *a) {
        const auto v = e.value_exact<int64_t>();
        if (!v || *v < 1 || *v > 16) c.fail("k", n, "expected integers in [1, 16]");
        o.k.push_back(*v);
      }
    if (o.k.empty()) c.fail("k", n, "expected a non-empty array of member counts, e.g. [1, 2, 4]");
    std::sort(o.k.begin(), o.k.end());
    o.k.erase(std::unique(o.k.begin(), o.k.end()), o.k.end());
  }
  if (o.kind == "ensemble" && std::find(o.k.begin(), o.k.end(), 1) == o.k.end())
    c.fail("k", t.get("k"), "must include 1: the single model each ensemble is compared with");
  return o;
}

std::string snapshot_set(const ProbeOptions& options) { return fmt::format("train.snapshots={}", options.snapshots); }

std::vector<EnsembleDesign> ensemble_design(const sweep::ExperimentSpec& spec, const ProbeOptions& options) {
  SL_REQUIRE(!spec.size_params.empty() && spec.size_shapes.empty(),
             "{}: sizes.params: the ensemble probe needs the full model sizes N as [sizes] params (its members have "
             "N/k parameters)", spec.source);
  SL_REQUIRE(spec.tokens.size() == 1 && spec.tokens_per_param.empty() && spec.isoflop_flops.empty(),
             "{}: budgets.tokens: the ensemble probe needs one [budgets] tokens value (one D for every member, so k members of "
             "N/k cost 6ND), and no tokens_per_param or IsoFLOP budgets", spec.source);
  RunConfig base;
  {
    ConfigBinder b;
    base.bind(b);
    b.apply_toml_string(spec.run_sections, spec.source);
  }
  std::vector<int64_t> seeds = spec.seeds;
  const int64_t kmax = options.k.back();
  if (static_cast<int64_t>(seeds.size()) < kmax) {
    seeds.clear();
    for (int64_t i = 0; i < kmax; ++i) seeds.push_back(spec.seeds.front() + i);
  }
  std::vector<double> sizes = spec.size_params;
  std::sort(sizes.begin(), sizes.end());
  std::vector<EnsembleDesign> out;
  // Members keep the full model's depth and shrink its width by sqrt(k) (N ~ 12 L d^2),
  // rounded to whole heads: the shape rule alone moves in coarse depth steps at small N.
  const int64_t hs = spec.family.head_size;
  for (double n : sizes) {
    const ModelConfig full = shape_for_params(n, spec.family, base.model);
    for (int64_t k : options.k) {
      const double width = static_cast<double>(full.d_model) / std::sqrt(static_cast<double>(k));
      const int64_t d = std::max<int64_t>(hs, std::llround(width / static_cast<double>(hs)) * hs);
      out.push_back({n, k, sweep::Shape{full.n_layer, d, d / hs},
                     std::vector<int64_t>(seeds.begin(), seeds.begin() + k)});
    }
  }
  return out;
}

sweep::ExperimentSpec probe_sweep_spec(const sweep::ExperimentSpec& spec, const ProbeOptions& options) {
  if (options.kind != "ensemble") return spec;
  const std::vector<EnsembleDesign> design = ensemble_design(spec, options);
  sweep::ExperimentSpec out = spec;
  out.seeds.clear();
  for (const EnsembleDesign& e : design)
    for (int64_t s : e.seeds)
      if (std::find(out.seeds.begin(), out.seeds.end(), s) == out.seeds.end()) out.seeds.push_back(s);
  out.size_params.clear();
  out.extra_runs.clear();
  for (const EnsembleDesign& e : design)
    for (double d : spec.tokens) {
      sweep::HeldOut r;
      r.shape = e.shape;
      r.tokens = d;
      r.seeds = e.seeds;
      out.extra_runs.push_back(r);
    }
  out.tokens.clear();
  return out;
}

}  // namespace scalelab::probe
