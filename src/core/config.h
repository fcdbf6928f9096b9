// defines: scalelab::ConfigBinder
//
// Binds dotted keys ("train.lr") to fields of the value structs (ModelConfig,
// TrainConfig, ...) so that one table of keys serves TOML files, `--set key=value`
// overrides and the JSON echo of the resolved config. Unknown keys are rejected with the
// key named (as nanoGPT's configurator does), type mismatches name key and expected type.
//
//   ConfigBinder b;
//   model.bind(b);            // b.bind("model.n_layer", &n_layer, "transformer blocks")
//   train.bind(b);
//   b.apply_toml_file("run.toml");
//   b.apply_set("train.lr=3e-4");
//   model.validate();         // range checks live with the struct
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace scalelab {

class ConfigBinder {
 public:
  using Target = std::variant<int64_t*, double*, std::string*, bool*>;

  void bind(const std::string& key, int64_t* v, std::string help);
  void bind(const std::string& key, double* v, std::string help);
  void bind(const std::string& key, std::string* v, std::string help);
  void bind(const std::string& key, bool* v, std::string help);

  // A whole TOML document; every leaf must be a bound key. `source` names it in errors.
  void apply_toml_string(const std::string& text, const std::string& source);
  void apply_toml_file(const std::filesystem::path& path);
  // "section.key=value", value parsed to the field's type.
  void apply_set(const std::string& assignment);

  bool was_set(const std::string& key) const { return set_keys_.count(key) > 0; }
  bool has(const std::string& key) const { return fields_.count(key) > 0; }
  // Current values of every bound key, nested by section: {"model": {"n_layer": 2, ...}}.
  nlohmann::json to_json() const;
  // Keys, their help text and current values, for `--help-config`.
  std::string describe() const;

 private:
  struct Field {
    Target target;
    std::string help;
  };
  void add(const std::string& key, Target t, std::string help);
  std::map<std::string, Field> fields_;
  std::set<std::string> set_keys_;
};

}  // namespace scalelab
