// CSV / JSONL readers for observations. Both formats are first turned into one Table of
// text cells (table_io.h), so that column lookup, number parsing, derived D/C, filters and
// every error message are shared.
#include "fit/observations_io.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/training_compute.h"
#include "fit/table_io.h"

namespace scalelab::fit {
namespace {

Observations table_to_observations(const Table& t, const std::string& source, const ReadOptions& opt) {
  SL_REQUIRE(opt.drop_top_loss >= 0, "--drop-top-loss: {} is negative, expected >= 0", opt.drop_top_loss);
  SL_REQUIRE(opt.min_N <= opt.max_N, "--min-N {} exceeds --max-N {}", opt.min_N, opt.max_N);
  const auto& c = opt.cols;
  long iN = find_column(t, c.N, "N", "parameters N", source, true);
  long iL = find_column(t, c.loss, "loss", "loss", source, true);
  long iD = find_column(t, c.D, "D", "tokens D", source, false);
  long iC = find_column(t, c.C, "C", "compute C", source, false);
  long iR = find_column(t, c.run, "run", "run id", source, false);
  long iS = find_column(t, c.step, "step", "step", source, false);
  long iU = find_column(t, c.U, "U", "unique tokens U", source, false);
  long iName = c.name.empty() ? -1 : find_column(t, c.name, "", "row names, --name-col", source, true);
  long iErr = c.error.empty() ? -1 : find_column(t, c.error, "", "downstream error, --error-col", source, true);
  std::vector<long> iWhere;
  for (const RowFilter& f : opt.where) {
    auto it = std::find(t.header.begin(), t.header.end(), f.column);
    SL_REQUIRE(it != t.header.end(), "{}: {}: no column \"{}\"; available columns: {}", f.option, source, f.column,
               list_columns(t));
    iWhere.push_back(it - t.header.begin());
  }
  SL_REQUIRE(iD >= 0 || iC >= 0, "{}: missing columns \"{}\" (tokens D) and \"{}\" (compute C): need at least one; "
             "available columns: {}", source, c.D.empty() ? "D" : c.D, c.C.empty() ? "C" : c.C, list_columns(t));
  auto name = [&](long i) { return t.header[static_cast<size_t>(i)]; };
  auto positive = [&](const TableRow& r, long i) {
    double v = parse_number(r.cells[static_cast<size_t>(i)], source, r, name(i));
    SL_REQUIRE(v > 0, "{}: line {}, column \"{}\": {} is not positive", source, r.line, name(i), v);
    return v;
  };
  auto empty = [&](const TableRow& r, long i) { return i < 0 || r.cells[static_cast<size_t>(i)].empty(); };

  Observations obs;
  obs.reserve(t.rows.size());
  for (size_t k = 0; k < t.rows.size(); ++k) {
    const TableRow& r = t.rows[k];
    bool keep = true;
    for (size_t f = 0; f < opt.where.size(); ++f)
      keep = keep && opt.where[f].matches(r.cells[static_cast<size_t>(iWhere[f])]);
    if (!keep) continue;
    Observation o;
    o.row = k + 1;
    if (iName >= 0) o.name = r.cells[static_cast<size_t>(iName)];
    if (!empty(r, iErr)) o.error = parse_number(r.cells[static_cast<size_t>(iErr)], source, r, name(iErr));
    o.N = positive(r, iN);
    o.loss = positive(r, iL);
    // An empty D (or C) cell is filled from the other one, as a missing column would be.
    if (!empty(r, iD)) o.D = positive(r, iD);
    if (!empty(r, iC)) o.C = positive(r, iC);
    SL_REQUIRE(o.D > 0 || o.C > 0, "{}: line {}: both tokens D and compute C are empty", source, r.line);
    if (o.D == 0) o.D = tokens_at_compute(o.C, o.N);
    if (o.C == 0) o.C = training_compute(o.N, o.D);
    SL_REQUIRE(std::isfinite(o.C) && std::isfinite(o.D) && o.D > 0,
               "{}: line {}: derived D or C overflows (N = {}, D = {}, C = {})", source, r.line, o.N, o.D, o.C);
    if (!empty(r, iU)) o.U = positive(r, iU);
    if (!empty(r, iS)) {
      o.step = parse_number(r.cells[static_cast<size_t>(iS)], source, r, name(iS));
      SL_REQUIRE(o.step >= 0, "{}: line {}, column \"{}\": {} is negative", source, r.line, name(iS), o.step);
    }
    if (iR >= 0) o.run = r.cells[static_cast<size_t>(iR)];
    if (o.N < opt.min_N || o.N > opt.max_N) continue;
    obs.push_back(std::move(o));
  }
  if (obs.empty() && opt.allow_empty) return obs;
  SL_REQUIRE(!obs.empty(), "{}: no data rows{}", source,
             t.rows.empty() ? "" : opt.where.empty() ? " left after the --min-N/--max-N filter"
                                                     : " left after the row filters and --min-N/--max-N");
  if (opt.drop_top_loss > 0) {
    SL_REQUIRE(static_cast<size_t>(opt.drop_top_loss) < obs.size(),
               "--drop-top-loss {}: only {} points in {}", opt.drop_top_loss, obs.size(), source);
    // Stable: ties keep file order, so the same rows are dropped on every run.
    std::vector<size_t> order(obs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return obs[a].loss > obs[b].loss; });
    std::vector<bool> drop(obs.size(), false);
    for (int k = 0; k < opt.drop_top_loss; ++k) drop[order[static_cast<size_t>(k)]] = true;
    Observations kept;
    kept.reserve(obs.size());
    for (size_t i = 0; i < obs.size(); ++i)
      if (!drop[i]) kept.push_back(std::move(obs[i]));
    obs = std::move(kept);
  }
  return obs;
}

}  // namespace

Observations parse_csv_observations(std::string_view text, const std::string& source, const ReadOptions& opt) {
  return table_to_observations(parse_csv_table(text, source), source, opt);
}

Observations parse_jsonl_observations(std::string_view text, const std::string& source, const ReadOptions& opt) {
  return table_to_observations(parse_jsonl_table(text, source), source, opt);
}

Observations read_observations(const std::filesystem::path& path, const ReadOptions& opt) {
  return table_to_observations(read_table(path), path.string(), opt);
}

void check_design(const Observations& obs, size_t n_params, const std::string& law, bool needs_N, bool needs_D) {
  SL_REQUIRE(obs.size() >= n_params, "law {}: {} parameters but only {} points", law, n_params, obs.size());
  auto spread = [&](auto get) {
    for (const auto& o : obs)
      if (std::abs(get(o) - get(obs.front())) > 1e-12 * std::abs(get(obs.front()))) return true;
    return false;
  };
  if (obs.empty()) return;
  SL_REQUIRE(!needs_N || spread([](const Observation& o) { return o.N; }),
             "law {}: degenerate design, every point has N = {:g}; need at least two model sizes", law, obs.front().N);
  SL_REQUIRE(!needs_D || spread([](const Observation& o) { return o.D; }),
             "law {}: degenerate design, every point has D = {:g}; need at least two token counts", law, obs.front().D);
}

}  // namespace scalelab::fit
