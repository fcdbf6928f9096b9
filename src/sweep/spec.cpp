// The experiment spec parser (spec.h): toml++ for the syntax, then a strict walk over
// the tables so that every unknown key, wrong type or impossible value is named.
#include "sweep/spec.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/atomic_file.h"
#include "core/config.h"
#include "core/error.h"
#include "train/run_config.h"

namespace scalelab::sweep {

namespace {

// Errors name the spec file, the dotted key and the line when toml++ knows it.
struct Ctx {
  const std::string& source;
  [[noreturn]] void fail(const std::string& key, const toml::node* node, const std::string& what) const {
    if (node && node->source().begin.line > 0)
      throw InputError(fmt::format("{}:{}: {}: {}", source, node->source().begin.line, key, what));
    throw InputError(fmt::format("{}: {}: {}", source, key, what));
  }
};

void check_keys(const Ctx& c, const toml::table& t, const std::string& prefix, const std::vector<std::string>& allowed) {
  std::string expected;  // joined by hand: fmt::join trips a GCC 12 false-positive warning
  for (const std::string& a : allowed) expected += (expected.empty() ? "" : ", ") + a;
  for (auto&& [k, v] : t) {
    const std::string key(k.str());
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      c.fail(prefix.empty() ? key : fmt::format("{}.{}", prefix, key), &v,
             fmt::format("unknown key (expected one of: {})", expected));
  }
}

const toml::table* table_at(const Ctx& c, const toml::table& root, const std::string& name) {
  const toml::node* n = root.get(name);
  if (!n) return nullptr;
  if (!n->is_table()) c.fail(name, n, fmt::format("expected a table [{}]", name));
  return n->as_table();
}

double number(const Ctx& c, const std::string& key, const toml::node& n) {
  if (auto i = n.value_exact<int64_t>()) return static_cast<double>(*i);
  if (auto d = n.value_exact<double>()) return *d;
  c.fail(key, &n, "expected a number");
}

double positive(const Ctx& c, const std::string& key, const toml::node& n) {
  const double v = number(c, key, n);
  if (!(v > 0) || !std::isfinite(v)) c.fail(key, &n, fmt::format("expected a number > 0, got {}", v));
  return v;
}

int64_t integer(const Ctx& c, const std::string& key, const toml::node& n) {
  if (auto i = n.value_exact<int64_t>()) return *i;
  c.fail(key, &n, "expected an integer");
}

std::string string(const Ctx& c, const std::string& key, const toml::node& n) {
  if (auto s = n.value_exact<std::string>()) return *s;
  c.fail(key, &n, "expected a string");
}

bool boolean(const Ctx& c, const std::string& key, const toml::node& n) {
  if (auto b = n.value_exact<bool>()) return *b;
  c.fail(key, &n, "expected true or false");
}

const toml::array& array(const Ctx& c, const std::string& key, const toml::node& n) {
  if (!n.is_array()) c.fail(key, &n, "expected an array");
  return *n.as_array();
}

std::vector<double> positive_list(const Ctx& c, const std::string& key, const toml::node& n) {
  std::vector<double> out;
  for (const toml::node& e : array(c, key, n)) out.push_back(positive(c, key, e));
  return out;
}

Shape shape(const Ctx& c, const std::string& key, const toml::node& n) {
  const toml::array& a = array(c, key, n);
  if (a.size() != 3) c.fail(key, &n, "expected [n_layer, d_model, n_head]");
  Shape s{};
  for (size_t i = 0; i < 3; ++i) {
    s[i] = integer(c, key, *a.get(i));
    if (s[i] <= 0) c.fail(key, &n, "expected positive [n_layer, d_model, n_head]");
  }
  if (s[1] % s[2] != 0) c.fail(key, &n, fmt::format("d_model {} is not a multiple of n_head {}", s[1], s[2]));
  return s;
}

// [data], [model], [train] go to the run config as TOML; the planner owns a few keys.
void copy_run_section(const Ctx& c, const toml::table& root, const std::string& name,
                      const std::vector<std::string>& planner_keys, toml::table& out) {
  const toml::table* t = table_at(c, root, name);
  if (!t) return;
  for (auto&& [k, v] : *t) {
    const std::string key(k.str());
    if (std::find(planner_keys.begin(), planner_keys.end(), key) != planner_keys.end())
      c.fail(fmt::format("{}.{}", name, key), &v, "is set by the planner for each run (sizes, budgets, [lr]); remove it here");
  }
  out.insert(name, *t);
}

// [[runs]] and [[heldout]]: a size (params or shape) and a budget (tokens or tokens_per_param).
std::vector<HeldOut> explicit_runs(const Ctx& c, const toml::table& root, const std::string& name) {
  std::vector<HeldOut> out;
  const toml::node* h = root.get(name);
  if (!h) return out;
  if (!h->is_array_of_tables()) c.fail(name, h, fmt::format("expected [[{}]] tables", name));
  for (const toml::node& e : *h->as_array()) {
    const toml::table& t = *e.as_table();
    check_keys(c, t, name, {"params", "shape", "tokens", "tokens_per_param", "seeds"});
    HeldOut ho;
    if (const toml::node* n = t.get("params")) ho.params = positive(c, name + ".params", *n);
    if (const toml::node* n = t.get("shape")) ho.shape = shape(c, name + ".shape", *n);
    if ((ho.params > 0) == ho.shape.has_value()) c.fail(name, &e, "give exactly one of params and shape");
    if (const toml::node* n = t.get("tokens")) ho.tokens = positive(c, name + ".tokens", *n);
    if (const toml::node* n = t.get("tokens_per_param"))
      ho.tokens_per_param = positive(c, name + ".tokens_per_param", *n);
    if ((ho.tokens > 0) == (ho.tokens_per_param > 0))
      c.fail(name, &e, "give exactly one of tokens and tokens_per_param");
    if (const toml::node* n = t.get("seeds")) {
      for (const toml::node& v : array(c, name + ".seeds", *n)) ho.seeds.push_back(integer(c, name + ".seeds", v));
      if (ho.seeds.empty()) c.fail(name + ".seeds", n, "expected at least one seed");
    }
    out.push_back(ho);
  }
  return out;
}

}  // namespace

ExperimentSpec parse_spec(const std::string& text, const std::string& source) {
  const Ctx c{source};
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}: {}", source, e.source().begin.line, e.description()));
  }
  ExperimentSpec s;
  s.source = source;
  s.text = text;
  check_keys(c, root, "",
             {"experiment", "data", "model", "train", "family", "sizes", "budgets", "isoflop", "lr", "wsd", "runs", "heldout",
              "probe"});
  // [probe] belongs to the probe layer (probe/probe_spec.h), which parses it from `text`.
  s.has_probe = table_at(c, root, "probe") != nullptr;

  const toml::table* exp = table_at(c, root, "experiment");
  if (!exp) c.fail("experiment", nullptr, "missing table [experiment] with a name");
  check_keys(c, *exp, "experiment", {"name", "description", "seeds", "max_epochs"});
  if (const toml::node* n = exp->get("name")) s.name = string(c, "experiment.name", *n);
  if (s.name.empty() || s.name.find_first_of("/\\ \t\n") != std::string::npos)
    c.fail("experiment.name", exp->get("name"), "expected a non-empty name without spaces or slashes");
  if (const toml::node* n = exp->get("description")) s.description = string(c, "experiment.description", *n);
  if (const toml::node* n = exp->get("seeds")) {
    s.seeds.clear();
    for (const toml::node& e : array(c, "experiment.seeds", *n)) s.seeds.push_back(integer(c, "experiment.seeds", e));
    if (s.seeds.empty()) c.fail("experiment.seeds", n, "expected at least one seed");
  }
  if (const toml::node* n = exp->get("max_epochs")) s.max_epochs = positive(c, "experiment.max_epochs", *n);

  toml::table run_sections;
  copy_run_section(c, root, "data", {}, run_sections);
  copy_run_section(c, root, "model", {"n_layer", "d_model", "n_head"}, run_sections);
  copy_run_section(c, root, "train", {"steps", "tokens", "lr", "seed"}, run_sections);
  std::ostringstream os;
  os << run_sections;
  s.run_sections = os.str();
  {  // Unknown or ill-typed run-config keys are named now, not when the planner meets them.
    RunConfig rc;
    ConfigBinder b;
    rc.bind(b);
    b.apply_toml_string(s.run_sections, source);
  }

  if (const toml::table* t = table_at(c, root, "family")) {
    check_keys(c, *t, "family", {"aspect_ratio", "head_size"});
    if (const toml::node* n = t->get("aspect_ratio")) s.family.aspect_ratio = positive(c, "family.aspect_ratio", *n);
    if (const toml::node* n = t->get("head_size")) {
      s.family.head_size = integer(c, "family.head_size", *n);
      if (s.family.head_size <= 0) c.fail("family.head_size", n, "expected an integer > 0");
    }
  }
  if (const toml::table* t = table_at(c, root, "sizes")) {
    check_keys(c, *t, "sizes", {"params", "shapes"});
    if (const toml::node* n = t->get("params")) s.size_params = positive_list(c, "sizes.params", *n);
    if (const toml::node* n = t->get("shapes"))
      for (const toml::node& e : array(c, "sizes.shapes", *n)) s.size_shapes.push_back(shape(c, "sizes.shapes", e));
  }
  if (const toml::table* t = table_at(c, root, "budgets")) {
    check_keys(c, *t, "budgets", {"tokens_per_param", "tokens"});
    if (const toml::node* n = t->get("tokens_per_param"))
      s.tokens_per_param = positive_list(c, "budgets.tokens_per_param", *n);
    if (const toml::node* n = t->get("tokens")) s.tokens = positive_list(c, "budgets.tokens", *n);
  }
  if (const toml::table* t = table_at(c, root, "isoflop")) {
    check_keys(c, *t, "isoflop", {"flops", "params"});
    if (const toml::node* n = t->get("flops")) s.isoflop_flops = positive_list(c, "isoflop.flops", *n);
    if (const toml::node* n = t->get("params")) s.isoflop_params = positive_list(c, "isoflop.params", *n);
    if (s.isoflop_flops.empty()) c.fail("isoflop.flops", t, "expected at least one budget");
  }
  const bool has_sizes = !s.size_params.empty() || !s.size_shapes.empty();
  const bool has_budgets = !s.tokens_per_param.empty() || !s.tokens.empty();
  if (has_sizes && !has_budgets)
    c.fail("budgets", nullptr, "the spec has [sizes] but no [budgets] tokens_per_param or tokens");
  if (has_budgets && !has_sizes) c.fail("sizes", nullptr, "the spec has [budgets] but no [sizes] params or shapes");
  if (!s.isoflop_flops.empty() && s.isoflop_params.empty() && !has_sizes)
    c.fail("isoflop.params", nullptr, "expected the sizes of each IsoFLOP budget (or a [sizes] table)");
  if (!has_sizes && s.isoflop_flops.empty() && !root.get("runs"))
    c.fail("sizes", nullptr, "the spec plans no run: give [sizes] with [budgets], or [isoflop]");

  if (const toml::table* t = table_at(c, root, "lr")) {
    check_keys(c, *t, "lr", {"rule", "lr", "scale", "base_width"});
    if (const toml::node* n = t->get("rule")) s.lr.rule = string(c, "lr.rule", *n);
    if (s.lr.rule != "fixed" && s.lr.rule != "kaplan" && s.lr.rule != "mup")
      c.fail("lr.rule", t->get("rule"), fmt::format("expected \"fixed\", \"kaplan\" or \"mup\", got \"{}\"", s.lr.rule));
    if (const toml::node* n = t->get("lr")) s.lr.lr = positive(c, "lr.lr", *n);
    if (const toml::node* n = t->get("scale")) s.lr.scale = positive(c, "lr.scale", *n);
    if (const toml::node* n = t->get("base_width")) {
      s.lr.base_width = integer(c, "lr.base_width", *n);
      if (s.lr.base_width <= 0) c.fail("lr.base_width", n, "expected an integer > 0");
    }
  }
  if (const toml::table* t = table_at(c, root, "wsd")) {
    check_keys(c, *t, "wsd", {"reuse", "cooldown_fraction"});
    if (const toml::node* n = t->get("reuse")) s.wsd_reuse = boolean(c, "wsd.reuse", *n);
    if (const toml::node* n = t->get("cooldown_fraction")) {
      s.wsd_cooldown_fraction = number(c, "wsd.cooldown_fraction", *n);
      if (!(s.wsd_cooldown_fraction > 0 && s.wsd_cooldown_fraction < 1))
        c.fail("wsd.cooldown_fraction", n, fmt::format("expected a fraction in (0, 1), got {}", s.wsd_cooldown_fraction));
    }
  }
  s.extra_runs = explicit_runs(c, root, "runs");
  s.heldout = explicit_runs(c, root, "heldout");
  for (const std::vector<HeldOut>* list : {&s.extra_runs, &s.heldout})
    for (const HeldOut& h : *list)
      for (int64_t seed : h.seeds)
        if (std::find(s.seeds.begin(), s.seeds.end(), seed) == s.seeds.end())
          c.fail(list == &s.heldout ? "heldout.seeds" : "runs.seeds", nullptr,
                 fmt::format("seed {} is not one of experiment.seeds", seed));
  return s;
}

ExperimentSpec load_spec(const std::string& path) { return parse_spec(read_file(path), path); }

}  // namespace scalelab::sweep
