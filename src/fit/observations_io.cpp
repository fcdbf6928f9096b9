// CSV / JSONL readers for observations. Both formats are first turned into one Table of
// text cells (header + rows, each row remembering its line), so that column lookup,
// number parsing, derived D/C, filters and every error message are shared.
#include "fit/observations_io.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/json.h"
#include "core/training_compute.h"

namespace scalelab::fit {
namespace {

struct Row {
  size_t line = 0;  // 1-based line in the file where the row starts
  std::vector<std::string> cells;
};

struct Table {
  std::vector<std::string> header;
  std::vector<Row> rows;
};

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

// RFC 4180: fields separated by ',', records by CRLF or LF; a field in double quotes may
// hold ',', newlines and "" (one quote). Unquoted fields are trimmed of blanks.
Table parse_csv_table(std::string_view text, const std::string& source) {
  Table t;
  std::vector<std::string> record;
  std::string field;
  bool quoted_field = false;  // the current field was quoted (do not trim it)
  size_t line = 1, record_line = 1;
  size_t i = 0;
  bool record_has_content = false;
  auto end_field = [&] {
    record.push_back(quoted_field ? field : trim(field));
    field.clear();
    quoted_field = false;
  };
  auto end_record = [&] {
    end_field();
    bool blank = !record_has_content;
    if (!blank) {
      if (t.header.empty()) {
        t.header = record;
      } else {
        SL_REQUIRE(record.size() == t.header.size(), "{}: line {}: {} fields, header has {}", source, record_line,
                   record.size(), t.header.size());
        t.rows.push_back({record_line, record});
      }
    }
    record.clear();
    record_has_content = false;
  };
  while (i < text.size()) {
    char ch = text[i];
    if (ch == '"' && trim(field).empty() && !quoted_field) {
      // Quoted field: read to the closing quote.
      field.clear();
      quoted_field = true;
      record_has_content = true;
      size_t start_line = line;
      ++i;
      for (;;) {
        SL_REQUIRE(i < text.size(), "{}: line {}: unterminated quoted field", source, start_line);
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i++];
      }
      // Only blanks may follow the closing quote before the separator.
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r')) ++i;
      SL_REQUIRE(i >= text.size() || text[i] == ',' || text[i] == '\n',
                 "{}: line {}: unexpected text after a closing quote", source, line);
      continue;
    }
    if (ch == ',') {
      end_field();
      record_has_content = true;
      ++i;
    } else if (ch == '\n') {
      end_record();
      ++line;
      record_line = line;
      ++i;
    } else {
      SL_REQUIRE(!quoted_field, "{}: line {}: unexpected text after a closing quote", source, line);
      if (ch != '\r' && ch != ' ' && ch != '\t') record_has_content = true;
      field += ch;
      ++i;
    }
  }
  if (record_has_content || !field.empty()) end_record();
  SL_REQUIRE(!t.header.empty(), "{}: empty file, expected a header row", source);
  std::set<std::string> seen;
  for (const auto& h : t.header) SL_REQUIRE(seen.insert(h).second, "{}: duplicate column \"{}\" in the header", source, h);
  return t;
}

// One JSON object per line; the header is the union of keys in order of first sight.
Table parse_jsonl_table(std::string_view text, const std::string& source) {
  Table t;
  std::map<std::string, size_t> index;
  std::vector<std::pair<size_t, Json>> objects;
  size_t line = 0, pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    ++line;
    std::string s = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (s.empty()) continue;
    Json j = Json::parse(s, nullptr, /*allow_exceptions=*/false);
    SL_REQUIRE(!j.is_discarded(), "{}: line {}: not valid JSON", source, line);
    SL_REQUIRE(j.is_object(), "{}: line {}: expected a JSON object", source, line);
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (index.emplace(it.key(), t.header.size()).second) t.header.push_back(it.key());
    }
    objects.emplace_back(line, std::move(j));
  }
  SL_REQUIRE(!objects.empty(), "{}: no JSON objects found", source);
  for (auto& [ln, j] : objects) {
    Row r{ln, std::vector<std::string>(t.header.size())};
    for (auto it = j.begin(); it != j.end(); ++it) {
      const Json& v = it.value();
      std::string cell;
      if (v.is_string()) {
        cell = v.get<std::string>();
      } else if (v.is_number() || v.is_boolean()) {
        cell = v.dump();  // nlohmann prints doubles so that they read back exactly
      } else if (!v.is_null()) {
        cell = v.dump();  // arrays/objects: kept as text, rejected if a number is needed
      }
      r.cells[index.at(it.key())] = cell;
    }
    t.rows.push_back(std::move(r));
  }
  return t;
}

std::string list_columns(const Table& t) {
  std::string s;
  for (size_t i = 0; i < t.header.size(); ++i) s += (i ? ", " : "") + ("\"" + t.header[i] + "\"");
  return s;
}

// Index of the column named `name`; -1 when it is optional and absent.
long find_column(const Table& t, const std::string& given, const char* dflt, const char* role, const std::string& source,
                 bool required) {
  const std::string name = given.empty() ? dflt : given;
  auto it = std::find(t.header.begin(), t.header.end(), name);
  if (it != t.header.end()) return it - t.header.begin();
  SL_REQUIRE(!(required || !given.empty()), "{}: missing column \"{}\" ({}); available columns: {}", source, name, role,
             list_columns(t));
  return -1;
}

double parse_number(const std::string& cell, const std::string& source, const Row& row, const std::string& column) {
  SL_REQUIRE(!cell.empty(), "{}: line {}, column \"{}\": empty value, expected a number", source, row.line, column);
  double v = 0;
  const char* b = cell.data();
  const char* e = b + cell.size();
  if (*b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  SL_REQUIRE(ec == std::errc() && p == e, "{}: line {}, column \"{}\": \"{}\" is not a number", source, row.line, column,
             cell);
  SL_REQUIRE(std::isfinite(v), "{}: line {}, column \"{}\": {} is not a finite number", source, row.line, column, cell);
  return v;
}

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
  auto positive = [&](const Row& r, long i) {
    double v = parse_number(r.cells[static_cast<size_t>(i)], source, r, name(i));
    SL_REQUIRE(v > 0, "{}: line {}, column \"{}\": {} is not positive", source, r.line, name(i), v);
    return v;
  };
  auto empty = [&](const Row& r, long i) { return i < 0 || r.cells[static_cast<size_t>(i)].empty(); };

  Observations obs;
  obs.reserve(t.rows.size());
  for (size_t k = 0; k < t.rows.size(); ++k) {
    const Row& r = t.rows[k];
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
  SL_REQUIRE(std::filesystem::exists(path), "{}: no such file", path.string());
  std::string text = read_file(path);
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") return parse_jsonl_observations(text, path.string(), opt);
  return parse_csv_observations(text, path.string(), opt);
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
