// defines: scalelab::sweep::read_run_curve, scalelab::sweep::read_run_result
//
// What a finished training run left in its directory (train/trainer.h), read back for
// the run store: summary.json as the result, and metrics.jsonl merged by step into curve
// points (a step record gives loss, lr and tokens; a validation record at the same step
// adds val_loss).
//
//   Json result = read_run_result(dir);                  // InputError if absent or bad
//   std::vector<CurvePoint> curve = read_run_curve(dir);
#pragma once

#include <filesystem>
#include <vector>

#include "core/json.h"
#include "sweep/run_store.h"

namespace scalelab::sweep {

Json read_run_result(const std::filesystem::path& run_dir);
std::vector<CurvePoint> read_run_curve(const std::filesystem::path& run_dir);

}  // namespace scalelab::sweep
