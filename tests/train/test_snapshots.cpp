// Training snapshots (train/snapshots.h): the geometric snapshot steps, and a real tiny
// run with train.snapshots = 3 that keeps them: list_snapshots in step order then the
// final checkpoint, each file holding the step its name says, the run's losses unchanged
// by keeping snapshots, and an interrupted-then-resumed run ending with the same files.
#include "train/snapshots.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "train/checkpoint.h"
#include "train/trainer.h"
#include "train_testing.h"

namespace scalelab {
namespace {

using train_testing::sample_corpus_path;
using train_testing::ScratchDir;

TEST(SnapshotSteps, GeometricStepsBeforeTheEnd) {
  // round(1000 / 2^j), j = 4 .. 1: 62.5 -> 63, 125, 250, 500.
  EXPECT_EQ(snapshot_steps(1000, 4), (std::vector<int64_t>{63, 125, 250, 500}));
  EXPECT_EQ(snapshot_steps(1000, 1), (std::vector<int64_t>{500}));
  EXPECT_EQ(snapshot_steps(20, 3), (std::vector<int64_t>{3, 5, 10}));  // 2.5 -> 3
  EXPECT_EQ(snapshot_steps(1 << 20, 3), (std::vector<int64_t>{1 << 17, 1 << 18, 1 << 19}));
}

TEST(SnapshotSteps, ShortRunsDropDuplicatesAndZero) {
  // 4 / 2^j for j = 5 .. 1: 0.125 -> 0, 0.25 -> 0, 0.5 -> 1, 1 (again), 2.
  EXPECT_EQ(snapshot_steps(4, 5), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(snapshot_steps(3, 4), (std::vector<int64_t>{1, 2}));  // 0.75 -> 1, 1.5 -> 2
  EXPECT_TRUE(snapshot_steps(1, 3).empty());  // 0.5 -> 1 is the end of the run, not before it
  EXPECT_TRUE(snapshot_steps(1000, 0).empty());
  EXPECT_TRUE(snapshot_steps(0, 3).empty());
  for (int64_t total : {2, 7, 33, 100, 999})
    for (int64_t count : {1, 3, 8, 20}) {
      const std::vector<int64_t> s = snapshot_steps(total, count);
      EXPECT_LE(static_cast<int64_t>(s.size()), count);
      for (size_t i = 0; i < s.size(); ++i) {
        EXPECT_GT(s[i], 0);
        EXPECT_LT(s[i], total);
        if (i > 0) {
          EXPECT_LT(s[i - 1], s[i]) << total << " " << count;
        }
      }
    }
}

TEST(SnapshotPath, EightDigitStepUnderSnapshots) {
  EXPECT_EQ(snapshot_path("runs/a", 125), std::filesystem::path("runs/a/snapshots/step-00000125.bin"));
}

std::vector<std::string> tiny_run(int snapshots) {
  return {"data.path=" + sample_corpus_path(),
          "model.n_layer=2",
          "model.d_model=32",
          "model.n_head=2",
          "model.seq_len=32",
          "train.batch_size=4",
          "train.steps=20",
          "train.lr=3e-3",
          "train.warmup_steps=3",
          "train.eval_every=5",
          "train.checkpoint_every=4",
          "train.threads=1",
          "train.snapshots=" + std::to_string(snapshots),
          "data.val_max_tokens=1024"};
}

TrainResult train(const std::vector<std::string>& sets, const std::filesystem::path& out, int64_t stop_after = 0) {
  TrainerOptions opt;
  opt.out_dir = out;
  opt.stop_after = stop_after;
  opt.log = false;
  Trainer t(load_run_config("", sets), opt);
  return t.run();
}

std::vector<int64_t> steps_of(const std::vector<Snapshot>& list) {
  std::vector<int64_t> out;
  for (const Snapshot& s : list) out.push_back(s.step);
  return out;
}

TEST(Snapshots, RunKeepsThemAndListsThemInStepOrder) {
  ScratchDir dir;
  const TrainResult r = train(tiny_run(3), dir / "run");
  ASSERT_TRUE(r.complete);
  const std::vector<Snapshot> list = list_snapshots(dir / "run");
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(steps_of(list), (std::vector<int64_t>{3, 5, 10, 20}));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_FALSE(list[i].final);
    EXPECT_EQ(list[i].path, snapshot_path(dir / "run", list[i].step));
    const Checkpoint ck = read_checkpoint(list[i].path);
    EXPECT_EQ(ck.step, list[i].step);  // the file holds the state its name says
    EXPECT_EQ(ck.tokens_trained, list[i].step * 4 * 32);
  }
  EXPECT_TRUE(list[3].final);
  EXPECT_EQ(list[3].path, dir / "run" / "checkpoint.bin");
  // Snapshots differ from each other and from the final state (training moved on).
  const Checkpoint a = read_checkpoint(list[0].path), b = read_checkpoint(list[2].path);
  const Checkpoint fin = read_checkpoint(list[3].path);
  ASSERT_EQ(a.params.size(), fin.params.size());
  EXPECT_NE(a.params, b.params);
  EXPECT_NE(b.params, fin.params);

  // Names that do not parse are ignored; the list is unchanged.
  write_file_atomic(dir / "run" / "snapshots" / "step-0000abcd.bin", "x");
  write_file_atomic(dir / "run" / "snapshots" / "notes.txt", "x");
  write_file_atomic(dir / "run" / "snapshots" / "step-00000007.tmp", "x");
  EXPECT_EQ(steps_of(list_snapshots(dir / "run")), (std::vector<int64_t>{3, 5, 10, 20}));
}

TEST(Snapshots, KeepingSnapshotsChangesNoLoss) {
  ScratchDir dir;
  const TrainResult with = train(tiny_run(3), dir / "with");
  const TrainResult without = train(tiny_run(0), dir / "without");
  ASSERT_TRUE(with.complete && without.complete);
  EXPECT_EQ(with.summary["final_val_loss"], without.summary["final_val_loss"]);  // doubles, exactly
  EXPECT_EQ(with.summary["final_train_loss"], without.summary["final_train_loss"]);
  EXPECT_TRUE(list_snapshots(dir / "without").size() == 1u && list_snapshots(dir / "without")[0].final);
  const Checkpoint a = read_checkpoint(dir / "with" / "checkpoint.bin");
  const Checkpoint b = read_checkpoint(dir / "without" / "checkpoint.bin");
  ASSERT_EQ(a.params.size(), b.params.size());
  EXPECT_EQ(std::memcmp(a.params.data(), b.params.data(), a.params.size() * sizeof(float)), 0);
}

TEST(Snapshots, InterruptedAndResumedRunEndsWithTheSameSet) {
  ScratchDir dir;
  const TrainResult full = train(tiny_run(3), dir / "full");
  ASSERT_TRUE(full.complete);
  // Stop exactly at a snapshot step (5), then resume to the end.
  const TrainResult first = train(tiny_run(3), dir / "resumed", /*stop_after=*/5);
  EXPECT_FALSE(first.complete);
  EXPECT_EQ(steps_of(list_snapshots(dir / "resumed")), (std::vector<int64_t>{3, 5, 5}));  // + checkpoint.bin at 5
  const TrainResult second = train(tiny_run(3), dir / "resumed");
  ASSERT_TRUE(second.complete);
  const std::vector<Snapshot> a = list_snapshots(dir / "full"), b = list_snapshots(dir / "resumed");
  ASSERT_EQ(steps_of(a), steps_of(b));
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].final, b[i].final);
    const Checkpoint ca = read_checkpoint(a[i].path), cb = read_checkpoint(b[i].path);
    ASSERT_EQ(ca.params.size(), cb.params.size());
    EXPECT_EQ(std::memcmp(ca.params.data(), cb.params.data(), ca.params.size() * sizeof(float)), 0)
        << "step " << a[i].step;
  }
  EXPECT_EQ(full.summary["final_val_loss"], second.summary["final_val_loss"]);
}

TEST(Snapshots, RunDirectoryWithoutFilesListsNothing) {
  ScratchDir dir;
  EXPECT_TRUE(list_snapshots(dir.path()).empty());
  EXPECT_TRUE(list_snapshots(dir / "absent").empty());
}

}  // namespace
}  // namespace scalelab
