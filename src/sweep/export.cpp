// Export of finished runs as observations (export.h). Rows are built once as ordered
// (column, value) cells and then written as CSV or JSONL, so both formats carry the same
// columns in the same order. Numbers keep every bit: fmt's "{}" and nlohmann's dump()
// both print the shortest text that reads back to the same double.
#include "sweep/export.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/json.h"
#include "core/training_compute.h"
#include "sweep/run_store.h"

namespace scalelab::sweep {
namespace {

using Row = std::vector<std::pair<const char*, Json>>;

// A number from the trainer's summary.json; InputError naming the run when it is missing.
const Json& result_number(const RunRecord& r, const char* key, const std::string& store) {
  auto it = r.result.find(key);
  SL_REQUIRE(it != r.result.end() && it->is_number(), "{}: run '{}/{}': result has no number \"{}\"", store,
             r.experiment, r.name, key);
  return *it;
}

// A number or null (e.g. final_val_bpb, which the trainer leaves null without a byte count).
Json optional_number(const RunRecord& r, const char* key) {
  auto it = r.result.find(key);
  return it != r.result.end() && it->is_number() ? *it : Json();
}

bool heldout(const RunRecord& r) {
  auto it = r.plan.find("heldout");
  return it != r.plan.end() && it->is_boolean() && it->get<bool>();
}

double finite_or_nan(double v) { return std::isfinite(v) ? v : std::nan(""); }

// One row per done run with a final validation loss.
std::vector<Row> final_rows(const std::vector<RunRecord>& runs, const std::string& store) {
  std::vector<Row> rows;
  for (const RunRecord& r : runs) {
    const Json& loss = result_number(r, "final_val_loss", store);
    rows.push_back({{"run", r.name},
                    {"N", result_number(r, "params_nonembedding", store)},
                    {"N_total", result_number(r, "params_total", store)},
                    {"D", result_number(r, "tokens_trained", store)},
                    {"C", result_number(r, "flops_6nd", store)},
                    {"C_full", optional_number(r, "flops_full")},
                    {"loss", loss},
                    {"val_bpb", optional_number(r, "final_val_bpb")},
                    {"heldout", heldout(r) ? 1 : 0},
                    {"status", to_string(r.status)}});
  }
  return rows;
}

// One row per curve point that has a validation loss and has seen tokens (D > 0: the
// fit reader needs positive D). C = 6 N D at that point (Kaplan et al. 2020, eq. 2.1).
std::vector<Row> curve_rows(const RunStore& store, const std::vector<RunRecord>& runs) {
  std::vector<Row> rows;
  for (const RunRecord& r : runs) {
    const Json& N = result_number(r, "params_nonembedding", store.location());
    const Json& N_total = result_number(r, "params_total", store.location());
    const double n = N.get<double>();
    for (const CurvePoint& c : store.curve(r.id)) {
      if (!std::isfinite(c.val_loss) || c.tokens <= 0) continue;
      const double d = static_cast<double>(c.tokens);
      rows.push_back({{"run", r.name},
                      {"step", c.step},
                      {"N", N},
                      {"N_total", N_total},
                      {"D", c.tokens},
                      {"C", training_compute(n, d)},
                      {"loss", c.val_loss},
                      {"train_loss", finite_or_nan(c.loss)},
                      {"heldout", heldout(r) ? 1 : 0}});
    }
  }
  return rows;
}

// RFC 4180: a field holding a separator, quote or line break is quoted, quotes doubled.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos && (s.empty() || (s.front() != ' ' && s.back() != ' ')))
    return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Numbers in their shortest exact form; null and non-finite values as an empty cell.
std::string csv_cell(const Json& v) {
  if (v.is_string()) return csv_field(v.get<std::string>());
  if (v.is_number_integer()) return fmt::format("{}", v.get<int64_t>());
  if (v.is_number()) {
    const double d = v.get<double>();
    return std::isfinite(d) ? fmt::format("{}", d) : std::string();
  }
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  return "";
}

std::string write_csv(const std::vector<Row>& rows) {
  std::string out;
  for (size_t i = 0; i < rows.front().size(); ++i) {
    if (i) out += ',';
    out += rows.front()[i].first;
  }
  out += '\n';
  for (const Row& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) out += ',';
      out += csv_cell(row[i].second);
    }
    out += '\n';
  }
  return out;
}

// One object per line, keys in column order (Json sorts keys, so the line is built here).
std::string write_jsonl(const std::vector<Row>& rows) {
  std::string out;
  for (const Row& row : rows) {
    out += '{';
    for (size_t i = 0; i < row.size(); ++i) {
      const Json& v = row[i].second;
      const bool bad = v.is_number_float() && !std::isfinite(v.get<double>());
      if (i) out += ',';
      out += Json(row[i].first).dump();
      out += ':';
      out += bad ? std::string("null") : v.dump();
    }
    out += "}\n";
  }
  return out;
}

}  // namespace

ExportFormat export_format_for(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jsonl" || ext == ".ndjson" || ext == ".json" ? ExportFormat::jsonl : ExportFormat::csv;
}

std::string export_runs(const RunStore& store, int64_t experiment_id, ExportWhat what, ExportFormat format,
                        bool include_heldout) {
  std::vector<RunRecord> done;
  for (RunRecord& r : store.runs(experiment_id))
    if (r.status == RunStatus::done && (include_heldout || !heldout(r))) done.push_back(std::move(r));
  std::string name = fmt::format("with id {}", experiment_id);
  for (const ExperimentRecord& e : store.experiments())
    if (e.id == experiment_id) name = "'" + e.name + "'";
  SL_REQUIRE(!done.empty(), "{}: experiment {} has no finished run to export", store.location(), name);
  std::vector<Row> rows =
      what == ExportWhat::final_points ? final_rows(done, store.location()) : curve_rows(store, done);
  SL_REQUIRE(!rows.empty(), "{}: experiment {} has no curve point with a validation loss to export",
             store.location(), name);
  return format == ExportFormat::csv ? write_csv(rows) : write_jsonl(rows);
}

}  // namespace scalelab::sweep
