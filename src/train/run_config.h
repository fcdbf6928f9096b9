// defines: scalelab::RunConfig, scalelab::load_run_config
//
// One training run's whole configuration: the [model], [data] and [train] sections,
// assembled from an optional TOML file and `--set section.key=value` overrides (applied
// in order, after the file), then validated section by section and across sections.
//
//   RunConfig rc = load_run_config("run.toml", {"train.lr=3e-3", "model.d_model=128"});
//   int64_t steps = rc.total_steps();
//   Json echo = rc.to_json();      // {"model": {...}, "data": {...}, "train": {...}}
//
// Every key has a default, so load_run_config("", {"data.path=brown.txt"}) is a valid run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "data/data_config.h"
#include "model/model_config.h"
#include "train/train_config.h"

namespace scalelab {

class ConfigBinder;

struct RunConfig {
  ModelConfig model;
  data::DataConfig data;
  TrainConfig train;

  void bind(ConfigBinder& b);
  // Each section's validate(), then the cross-section rules (the tokenizer's vocabulary
  // fits model.vocab). Touches no file: data.path is checked when the corpus is loaded.
  void validate() const;

  int64_t total_steps() const { return train.total_steps(model.seq_len); }
  int64_t tokens_per_step() const { return train.tokens_per_step(model.seq_len); }
  // Every bound key with its current value, nested by section.
  Json to_json() const;
  // The same as a TOML file that load_run_config reads back to an equal config.
  std::string to_toml() const;
};

// The config a to_json() echo describes (a checkpoint's or the run store's copy); `source`
// names it in errors. InputError on unknown keys or invalid values.
RunConfig run_config_from_json(const Json& config, const std::string& source);

// Defaults, then the TOML file (if `toml_path` is not empty), then each assignment;
// then validate(). InputError naming the file, key or field on any problem.
RunConfig load_run_config(const std::string& toml_path, const std::vector<std::string>& sets);

// Dotted keys whose values differ between two to_json() echoes, in key order (keys
// present in only one side count as different).
std::vector<std::string> config_differences(const Json& a, const Json& b);

}  // namespace scalelab
