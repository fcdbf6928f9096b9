#include "core/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <cmath>
#include <toml++/toml.h>

#include "core/error.h"

namespace scalelab {

void ConfigBinder::add(const std::string& key, Target t, std::string help) {
  SL_ASSERT(fields_.count(key) == 0);
  fields_.emplace(key, Field{t, std::move(help)});
}
void ConfigBinder::bind(const std::string& key, int64_t* v, std::string help) { add(key, v, std::move(help)); }
void ConfigBinder::bind(const std::string& key, double* v, std::string help) { add(key, v, std::move(help)); }
void ConfigBinder::bind(const std::string& key, std::string* v, std::string help) { add(key, v, std::move(help)); }
void ConfigBinder::bind(const std::string& key, bool* v, std::string help) { add(key, v, std::move(help)); }

namespace {

void walk(const toml::table& table, const std::string& prefix, const std::string& source,
          const std::function<void(const std::string&, const toml::node&)>& leaf) {
  for (const auto& [k, node] : table) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* sub = node.as_table()) {
      walk(*sub, key, source, leaf);
    } else {
      leaf(key, node);
    }
  }
}

}  // namespace

void ConfigBinder::apply_toml_string(const std::string& text, const std::string& source) {
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw InputError(fmt::format("{}:{}:{}: malformed TOML: {}", source, b.line, b.column, e.description()));
  }
  walk(doc, "", source, [&](const std::string& key, const toml::node& node) {
    auto it = fields_.find(key);
    SL_REQUIRE(it != fields_.end(), "{}: unknown config key '{}'", source, key);
    std::visit(
        [&](auto* p) {
          using T = std::remove_pointer_t<decltype(p)>;
          if constexpr (std::is_same_v<T, int64_t>) {
            auto v = node.value<int64_t>();
            SL_REQUIRE(v && node.is_integer(), "{}: {}: expected an integer", source, key);
            *p = *v;
          } else if constexpr (std::is_same_v<T, double>) {
            auto v = node.value<double>();
            SL_REQUIRE(v.has_value(), "{}: {}: expected a number", source, key);
            *p = *v;
          } else if constexpr (std::is_same_v<T, bool>) {
            SL_REQUIRE(node.is_boolean(), "{}: {}: expected true or false", source, key);
            *p = *node.value<bool>();
          } else {
            SL_REQUIRE(node.is_string(), "{}: {}: expected a string", source, key);
            *p = *node.value<std::string>();
          }
        },
        it->second.target);
    set_keys_.insert(key);
  });
}

void ConfigBinder::apply_toml_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  SL_REQUIRE(in.good(), "{}: cannot read config file", path.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  apply_toml_string(text, path.string());
}

void ConfigBinder::apply_set(const std::string& assignment) {
  auto eq = assignment.find('=');
  SL_REQUIRE(eq != std::string::npos && eq > 0, "--set '{}': expected section.key=value", assignment);
  std::string key = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  auto it = fields_.find(key);
  SL_REQUIRE(it != fields_.end(), "--set: unknown config key '{}'", key);
  std::visit(
      [&](auto* p) {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          // Accept 1e6-style integers too, as long as the value is integral.
          int64_t v = 0;
          auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
          if (ec != std::errc() || ptr != value.data() + value.size()) {
            char* end = nullptr;
            double d = std::strtod(value.c_str(), &end);
            SL_REQUIRE(!value.empty() && end == value.c_str() + value.size() && std::isfinite(d) &&
                           d == std::floor(d) && std::fabs(d) < 9e18,
                       "--set {}: expected an integer, got '{}'", key, value);
            v = static_cast<int64_t>(d);
          }
          *p = v;
        } else if constexpr (std::is_same_v<T, double>) {
          char* end = nullptr;
          double d = std::strtod(value.c_str(), &end);
          SL_REQUIRE(!value.empty() && end == value.c_str() + value.size(),
                     "--set {}: expected a number, got '{}'", key, value);
          *p = d;
        } else if constexpr (std::is_same_v<T, bool>) {
          SL_REQUIRE(value == "true" || value == "false", "--set {}: expected true or false, got '{}'", key,
                     value);
          *p = value == "true";
        } else {
          if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
            value = value.substr(1, value.size() - 2);
          *p = value;
        }
      },
      it->second.target);
  set_keys_.insert(key);
}

nlohmann::json ConfigBinder::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, field] : fields_) {
    std::string path = "/";
    path += key;
    std::replace(path.begin(), path.end(), '.', '/');
    nlohmann::json::json_pointer ptr(path);
    std::visit([&](auto* p) { out[ptr] = *p; }, field.target);
  }
  return out;
}

std::string ConfigBinder::describe() const {
  std::string s;
  for (const auto& [key, field] : fields_) {
    std::string value;
    std::visit([&](auto* p) { value = nlohmann::json(*p).dump(); }, field.target);
    s += fmt::format("  {:<28} {:<14} {}\n", key, value, field.help);
  }
  return s;
}

}  // namespace scalelab
