#include "train/run_config.h"

#include "backend/backend.h"
#include "core/config.h"
#include "core/error.h"
#include "data/tokenizer.h"

namespace scalelab {

void RunConfig::bind(ConfigBinder& b) {
  model.bind(b);
  data.bind(b);
  train.bind(b);
}

void RunConfig::validate() const {
  model.validate();
  data.validate();
  train.validate();
  const auto tok = data::make_tokenizer(data.tokenizer, "data.tokenizer");
  SL_REQUIRE(model.vocab >= tok->vocab_size(),
             "model.vocab: {} is smaller than the {} tokenizer's vocabulary ({})", model.vocab, tok->name(),
             tok->vocab_size());
  SL_REQUIRE(train.device != "cuda" || model.d_model / model.n_head <= kCudaMaxHeadSize,
             "model.n_head: train.device = \"cuda\" needs d_model / n_head <= {}, got {} / {}", kCudaMaxHeadSize,
             model.d_model, model.n_head);
  // Steps must fit the int loops and the checkpoint; tokens per step must not overflow.
  SL_REQUIRE(static_cast<double>(train.batch_size) * static_cast<double>(train.grad_accum) *
                     static_cast<double>(model.seq_len) <
                 1e15,
             "train.batch_size: batch_size * grad_accum * seq_len is too large");
}

Json RunConfig::to_json() const {
  RunConfig copy = *this;  // the binder takes mutable pointers; read them off a copy
  ConfigBinder b;
  copy.bind(b);
  return b.to_json();
}

namespace {

// {"section": {"key": value}} as TOML: JSON's scalars are valid TOML values.
std::string toml_from_echo(const Json& config, const std::string& source) {
  SL_REQUIRE(config.is_object(), "{}: expected a run config object with model, data and train sections", source);
  std::string out;
  for (const auto& [section, table] : config.items()) {
    SL_REQUIRE(table.is_object(), "{}: config section '{}' is not a table", source, section);
    out += "[" + section + "]\n";
    for (const auto& [key, value] : table.items()) out += key + " = " + value.dump() + "\n";
  }
  return out;
}

}  // namespace

std::string RunConfig::to_toml() const { return toml_from_echo(to_json(), "run config"); }

RunConfig run_config_from_json(const Json& config, const std::string& source) {
  const std::string text = toml_from_echo(config, source);
  RunConfig rc;
  ConfigBinder b;
  rc.bind(b);
  b.apply_toml_string(text, source);
  rc.validate();
  return rc;
}

RunConfig load_run_config(const std::string& toml_path, const std::vector<std::string>& sets) {
  RunConfig rc;
  ConfigBinder b;
  rc.bind(b);
  if (!toml_path.empty()) b.apply_toml_file(toml_path);
  for (const auto& s : sets) b.apply_set(s);
  rc.validate();
  return rc;
}

namespace {

void diff(const Json& a, const Json& b, const std::string& prefix, std::vector<std::string>& out) {
  if (a.is_object() && b.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
      if (b.contains(it.key())) {
        diff(it.value(), b.at(it.key()), key, out);
      } else {
        out.push_back(key);
      }
    }
    for (auto it = b.begin(); it != b.end(); ++it)
      if (!a.contains(it.key())) out.push_back(prefix.empty() ? it.key() : prefix + "." + it.key());
    return;
  }
  if (a != b) out.push_back(prefix);
}

}  // namespace

std::vector<std::string> config_differences(const Json& a, const Json& b) {
  std::vector<std::string> out;
  diff(a, b, "", out);
  return out;
}

}  // namespace scalelab
