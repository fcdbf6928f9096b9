// defines: scalelab::Checkpoint, write_checkpoint, read_checkpoint, check_checkpoint_config
//
// Everything a run needs to continue exactly where it stopped: the parameters, AdamW's
// moments, the step, the data position, the metrics written so far, and the resolved
// config it was trained with (so a checkpoint is never resumed under another config).
//
//   write_checkpoint(dir / "checkpoint.bin", ck);        // atomic: temp file + rename
//   Checkpoint ck = read_checkpoint(dir / "checkpoint.bin");
//   check_checkpoint_config(path, ck.config, rc.to_json(), kResumableKeys);
//
// Binary layout, little endian (x86-64 and aarch64 alike), version 1:
//   u32 magic 0x4B434C53 ("SLCK" in file order)  u32 version
//   u64 n, n bytes: the resolved config as JSON ({"model": ..., "data": ..., "train": ...})
//   u64 FNV-1a 64 hash of the config's "model" section, dumped compactly
//   i64 step (optimizer steps done)   u64 loader epoch   u64 loader index
//   i64 tokens_trained   f64 wall_seconds   f64 train_seconds (both summed over sessions)
//   u64 P, then P f32 params, P f32 AdamW m, P f32 AdamW v (model/param_layout.h order)
//   u64 n, n bytes: metrics.jsonl as of `step`
//   u64 FNV-1a 64 of every byte before it
// A file that ends early, carries trailing bytes or fails the checksum is refused.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/json.h"
#include "data/loader.h"

namespace scalelab {

inline constexpr uint32_t kCheckpointMagic = 0x4B434C53u;
inline constexpr uint32_t kCheckpointVersion = 1;

struct Checkpoint {
  Json config;                    // RunConfig::to_json() of the run that wrote it
  int64_t step = 0;               // optimizer steps completed
  data::LoaderState loader;       // training-batch position after `step` steps
  int64_t tokens_trained = 0;     // target tokens consumed by those steps
  double wall_seconds = 0.0;      // wall time of the run so far (evaluations included)
  double train_seconds = 0.0;     // time in training steps only (for tokens per second)
  std::vector<float> params, m, v;  // each ParamLayout::total() floats
  std::string metrics;            // metrics.jsonl content written up to `step`
};

void write_checkpoint(const std::filesystem::path& path, const Checkpoint& ck);
// InputError naming the file on: unreadable, wrong magic, other version, truncated or
// trailing bytes, bad checksum, unparsable config.
Checkpoint read_checkpoint(const std::filesystem::path& path);

// InputError naming `path` and the first differing key (with both values) unless the
// stored and current configs agree on every key outside `ignored` (dotted keys that do
// not change the trained numbers, e.g. "train.log_every").
void check_checkpoint_config(const std::filesystem::path& path, const Json& stored, const Json& current,
                             const std::vector<std::string>& ignored);

// FNV-1a 64 (Fowler, Noll, Vo); enough to catch corruption, not an adversary.
uint64_t fnv1a64(const void* data, size_t bytes, uint64_t h = 0xcbf29ce484222325ull);

}  // namespace scalelab
