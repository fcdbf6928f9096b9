// defines: scalelab::Snapshot, snapshot_steps, snapshot_path, list_snapshots
//
// Snapshots: copies of a run's state at a few steps of its training, kept so that probes
// (src/probe/) can score the same model at several points of its training after it has
// finished: emergence along training compute, the in-context-learning score against
// tokens seen, and when a model tracks the unigram, then the bigram (lazy learning).
//
// With train.snapshots = K a run of S steps keeps its state at the K distinct steps
// round(S / 2^j), j = K .. 1, geometrically spaced so they sit evenly on the log-token
// axes the probes plot, plus its final state (checkpoint.bin). Each snapshot is a
// checkpoint file (train/checkpoint.h), written atomically after the evaluation at
// that step, in <run dir>/snapshots/step-<8-digit step>.bin.
//
//   std::vector<int64_t> steps = snapshot_steps(1000, 4);     // {63, 125, 250, 500}
//   for (const Snapshot& s : list_snapshots(run_dir))          // step order, final last
//     Checkpoint ck = read_checkpoint(s.path);
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace scalelab {

// The steps in (0, total_steps) at which snapshots are kept, ascending, without
// duplicates (short runs may give fewer than `count`).
std::vector<int64_t> snapshot_steps(int64_t total_steps, int64_t count);

std::filesystem::path snapshot_path(const std::filesystem::path& run_dir, int64_t step);

struct Snapshot {
  int64_t step = 0;
  std::filesystem::path path;
  bool final = false;  // the run's checkpoint.bin
};

// The run's snapshots in step order, then its checkpoint.bin (final = true; its step is
// read from the file) when it exists. Files whose name does not parse are ignored.
std::vector<Snapshot> list_snapshots(const std::filesystem::path& run_dir);

}  // namespace scalelab
