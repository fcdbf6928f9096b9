// defines: scalelab::sweep::ExportWhat, ExportFormat, export_runs, export_format_for
//
// Observations out of the run store, in the column names `scalelab fit` reads
// (fit/observations_io.h), so that
//   scalelab export demo -o runs.csv && scalelab fit runs.csv
// fits the experiment's finished runs with no column mapping.
//
// Final points (one row per done run): run, N, N_total, D, C, C_full, loss, val_bpb,
//   heldout, status. N = params_nonembedding (Kaplan et al. 2020's convention), D = tokens
//   trained, C = 6 N D, C_full = the full FLOP count (Hoffmann et al. 2022, appendix F),
//   loss = final validation loss in nats/token.
// Curves (one row per curve point with a validation loss): run, step, N, N_total, D, C,
//   loss (validation), train_loss, heldout.
// Failed and unfinished runs are left out. Held-out runs are included with heldout = 1
// unless include_heldout is false (`scalelab export --no-heldout`: exactly the points the
// sweep's own fit saw).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace scalelab::sweep {

class RunStore;

enum class ExportWhat { final_points, curves };
enum class ExportFormat { csv, jsonl };

// From the extension: .jsonl / .ndjson / .json -> jsonl, anything else csv.
ExportFormat export_format_for(const std::filesystem::path& path);

// The text of the export; InputError when the experiment has no finished run.
std::string export_runs(const RunStore& store, int64_t experiment_id, ExportWhat what, ExportFormat format,
                        bool include_heldout = true);

}  // namespace scalelab::sweep
