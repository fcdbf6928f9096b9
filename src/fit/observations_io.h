// defines: scalelab::fit::ColumnNames, ReadOptions, read_observations,
//          parse_csv_observations, parse_jsonl_observations, check_design
//
// Reads observations (N, D, C, loss, optionally run/step/U/name/error) from a CSV file with a header
// row (RFC 4180: quoted fields may hold commas, newlines and "" escapes) or from JSONL
// (one JSON object per line). Columns are found by name; published data map theirs:
//
//   ReadOptions opt;
//   opt.cols.N = "Model Size";
//   opt.cols.C = "Training FLOP";
//   opt.drop_top_loss = 5;                       // Besiroglu et al. (2024)'s exclusion
//   Observations obs = read_observations("chinchilla.csv", opt);
//   check_design(obs, /*n_params=*/5, "chinchilla");
//
// Units: N parameters, D tokens, C FLOPs, loss nats/token. When D is absent it is
// C / (6 N); when C is absent it is 6 N D (Kaplan et al. 2020's 6ND convention). Every
// bad value is an InputError naming the file, the line and the column.
#pragma once

#include <cstddef>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>

#include "fit/observations.h"
#include "fit/row_filter.h"

namespace scalelab::fit {

// Column names. For D, C, run, step and U an empty name means "use the column of the
// default name (D, C, run, step, U) if the file has one"; a name given explicitly must
// exist. N and loss are always required.
struct ColumnNames {
  std::string N = "N";
  std::string loss = "loss";
  std::string D;     // default "D", optional
  std::string C;     // default "C", optional (one of D, C must be present)
  std::string run;   // default "run", optional: points sharing a run form one curve
  std::string step;  // default "step", optional
  std::string U;     // default "U", optional: unique tokens (data-constrained law)
  std::string name;  // optional, no default: text naming each row (Observation::name)
  std::string error; // optional, no default: a downstream metric (Observation::error); empty cells are NaN
};

struct ReadOptions {
  ColumnNames cols;
  // Row filters on text cells (row_filter.h), AND-ed, applied before any cell is parsed, so
  // rows left out may hold anything. A filter's column must exist.
  RowFilters where;
  // An empty selection is returned as such instead of an InputError (the caller says
  // which option selected nothing).
  bool allow_empty = false;
  // Filters, applied in this order after parsing: N range, then dropping the K points
  // with the highest loss (Besiroglu et al. 2024 drop the 5 highest-loss Chinchilla points,
  // which sit far off the fitted surface).
  double min_N = 0;                                         // keep N >= min_N
  double max_N = std::numeric_limits<double>::infinity();  // keep N <= max_N
  int drop_top_loss = 0;                                    // >= 0
};

// Format from the extension: .jsonl / .ndjson / .json are JSONL, everything else CSV.
Observations read_observations(const std::filesystem::path& path, const ReadOptions& opt = {});

// `source` names the text in error messages (usually the file name).
Observations parse_csv_observations(std::string_view text, const std::string& source,
                                    const ReadOptions& opt = {});
Observations parse_jsonl_observations(std::string_view text, const std::string& source,
                                      const ReadOptions& opt = {});

// Throws InputError when a fit of `law` with `n_params` parameters cannot be determined
// by these points: fewer points than parameters, or every point at one N (or, for laws in
// D, one D). `needs_D` says whether the law varies with D.
void check_design(const Observations& obs, size_t n_params, const std::string& law, bool needs_N = true,
                  bool needs_D = true);

}  // namespace scalelab::fit
