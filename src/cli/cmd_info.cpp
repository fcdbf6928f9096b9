// scalelab info: a config's shape, parameter and FLOP counts and memory, without training.
//
//   scalelab info --set model.n_layer=4 --set model.d_model=128 --set model.n_head=4
//   scalelab info --config run.toml --json
//
// Counts follow model/accounting.h: params_nonembedding excludes the embeddings (Kaplan
// et al. 2020); FLOPs per token as 6N (Kaplan eq. 2.1), 6N plus attention (Kaplan table
// 1) and the full count with attention and logits (Hoffmann et al. 2022, appendix F).
// The data path is not read, so `info` works before the corpus exists.
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backend/cpu/blas_runtime.h"
#include "core/simd_path.h"
#include "cli/command.h"
#include "core/json.h"
#include "model/accounting.h"
#include "train/run_config.h"

namespace scalelab::cli {

namespace {

struct InfoOptions {
  std::string config;
  std::vector<std::string> sets;
  bool json = false;
};

constexpr double kMiB = 1024.0 * 1024.0;

Json info_json(const RunConfig& rc) {
  const ModelConfig& m = rc.model;
  const ParamCounts n = count_params(m);
  const FlopCounts f = count_flops(m);
  const int64_t steps = rc.total_steps();
  const int64_t tokens = steps * rc.tokens_per_step();
  // fp32 params, gradients and AdamW m and v: 16 bytes per parameter.
  const int64_t state_bytes = 16 * n.total;
  const int64_t act_bytes = 4 * activation_floats(m, rc.train.batch_size);
  Json j;
  j["shape"] = {{"n_layer", m.n_layer}, {"d_model", m.d_model},   {"n_head", m.n_head},
                {"head_size", m.head_size()}, {"seq_len", m.seq_len}, {"vocab", m.vocab},
                {"parameterization", m.parameterization}};
  j["params_total"] = n.total;
  j["params_nonembedding"] = n.nonembedding;
  j["params_embedding"] = n.embedding;
  j["flops_per_token"] = f.per_token_6n;
  j["flops_per_token_6n"] = f.per_token_6n;
  j["flops_per_token_6n_attn"] = f.per_token_6n_attn;
  j["flops_per_token_full"] = f.per_token_full;
  j["batch_size"] = rc.train.batch_size;
  j["grad_accum"] = rc.train.grad_accum;
  j["tokens_per_step"] = rc.tokens_per_step();
  j["steps"] = steps;
  j["tokens"] = tokens;
  j["flops_6nd"] = f.per_token_6n * static_cast<double>(tokens);
  j["flops_full"] = f.per_token_full * static_cast<double>(tokens);
  j["memory_state_bytes"] = state_bytes;
  j["memory_activation_bytes"] = act_bytes;
  j["blas_core"] = blas_core_name();
  j["simd_path"] = simd::current_path();
  j["simd_paths_available"] = simd::available_paths();
  return j;
}

void print_text(const Json& j) {
  const Json& s = j["shape"];
  fmt::print("shape        n_layer {} d_model {} n_head {} head_size {} seq_len {} vocab {} ({})\n",
             s["n_layer"].get<int64_t>(), s["d_model"].get<int64_t>(), s["n_head"].get<int64_t>(),
             s["head_size"].get<int64_t>(), s["seq_len"].get<int64_t>(), s["vocab"].get<int64_t>(),
             s["parameterization"].get<std::string>());
  fmt::print("params       total {}  nonembedding {}  embedding {}\n", j["params_total"].get<int64_t>(),
             j["params_nonembedding"].get<int64_t>(), j["params_embedding"].get<int64_t>());
  fmt::print("flops/token  6N {:.4g}  6N+attn {:.4g}  full {:.4g}  (training: forward + backward)\n",
             j["flops_per_token_6n"].get<double>(), j["flops_per_token_6n_attn"].get<double>(),
             j["flops_per_token_full"].get<double>());
  fmt::print("run          {} steps x {} tokens/step (batch {} x accum {}) = {} tokens\n", j["steps"].get<int64_t>(),
             j["tokens_per_step"].get<int64_t>(), j["batch_size"].get<int64_t>(), j["grad_accum"].get<int64_t>(),
             j["tokens"].get<int64_t>());
  fmt::print("compute      6ND {:.4g}  full {:.4g} FLOPs\n", j["flops_6nd"].get<double>(),
             j["flops_full"].get<double>());
  fmt::print("memory       params+grads+AdamW {:.2f} MiB  activations (batch {}) {:.2f} MiB\n",
             static_cast<double>(j["memory_state_bytes"].get<int64_t>()) / kMiB, j["batch_size"].get<int64_t>(),
             static_cast<double>(j["memory_activation_bytes"].get<int64_t>()) / kMiB);
  fmt::print("blas         OpenBLAS kernels for {} (OPENBLAS_CORETYPE pins them)\n",
             j["blas_core"].get<std::string>());
  std::string avail;
  for (const auto& p : j["simd_paths_available"]) avail += (avail.empty() ? "" : ", ") + p.get<std::string>();
  fmt::print("simd         kernels on the {} path; this CPU runs {} (SCALELAB_SIMD pins one)\n",
             j["simd_path"].get<std::string>(), avail);
}

void run_info(const InfoOptions& o) {
  const RunConfig rc = load_run_config(o.config, o.sets);
  const Json j = info_json(rc);
  if (o.json) {
    fmt::print("{}\n", j.dump(2));
  } else {
    print_text(j);
  }
}

void setup_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Print a config's shape, parameter and FLOP counts and memory");
  auto o = std::make_shared<InfoOptions>();
  cmd->add_option("--config", o->config, "TOML file with [model], [data] and [train] sections");
  cmd->add_option("--set", o->sets, "section.key=value override (repeatable; after --config)");
  cmd->add_flag("--json", o->json, "print JSON instead of text");
  cmd->callback([o] { run_info(*o); });
}

}  // namespace

SCALELAB_COMMAND(info, setup_info);

}  // namespace scalelab::cli
