// WSD branches (Hagele et al. 2024): a run started from a longer run's fork at its own
// cooldown start reproduces, bit for bit, the same run trained from scratch; forks past
// the cooldown start and forks of another config are refused.
#include <gtest/gtest.h>

#include <sstream>

#include "core/atomic_file.h"
#include "train/trainer.h"
#include "train_testing.h"

namespace scalelab {
namespace {

using train_testing::input_error_message;
using train_testing::sample_corpus_path;
using train_testing::ScratchDir;

std::vector<std::string> wsd_run(int steps) {
  return {"data.path=" + sample_corpus_path(),
          "model.n_layer=1",
          "model.d_model=32",
          "model.n_head=2",
          "model.seq_len=32",
          "train.batch_size=4",
          "train.steps=" + std::to_string(steps),
          "train.schedule=wsd",
          "train.wsd_cooldown_fraction=0.25",
          "train.lr=3e-3",
          "train.warmup_steps=3",
          "train.eval_every=4",
          "train.threads=1",
          "data.val_max_tokens=1024"};
}

Json final_record(const std::filesystem::path& dir) {
  std::istringstream in(read_file(dir / "metrics.jsonl"));
  std::string line, last;
  while (std::getline(in, line)) last = line;
  return Json::parse(last);
}

TrainResult train(const std::vector<std::string>& sets, TrainerOptions opt) {
  opt.log = false;
  Trainer t(load_run_config("", sets), opt);
  return t.run();
}

TEST(WsdBranch, BranchFromForkEqualsRunFromScratch) {
  ScratchDir dir;
  // The short run has 16 steps: its cooldown (25%) starts at step 12.
  TrainerOptions trunk{.out_dir = dir / "trunk"};
  trunk.forks.push_back({12, dir / "fork12.bin"});
  ASSERT_TRUE(train(wsd_run(32), trunk).complete);
  ASSERT_TRUE(std::filesystem::exists(dir / "fork12.bin"));

  ASSERT_TRUE(train(wsd_run(16), {.out_dir = dir / "scratch"}).complete);
  TrainerOptions branch{.out_dir = dir / "branch"};
  branch.branch_from = dir / "fork12.bin";
  Trainer probe(load_run_config("", wsd_run(16)), branch);
  EXPECT_EQ(probe.start_step(), 12);
  const TrainResult b = probe.run();
  ASSERT_TRUE(b.complete);
  EXPECT_EQ(b.summary["final_val_loss"], read_json_file(dir / "scratch" / "summary.json")["final_val_loss"]);
  EXPECT_EQ(read_file(dir / "branch" / "metrics.jsonl").size() > 0, true);
  // The whole metrics file matches too, apart from timings.
  std::istringstream a(read_file(dir / "branch" / "metrics.jsonl")), s(read_file(dir / "scratch" / "metrics.jsonl"));
  std::string la, ls;
  int lines = 0;
  while (std::getline(a, la) && std::getline(s, ls)) {
    Json ja = Json::parse(la), js = Json::parse(ls);
    ja.erase("tokens_per_second");
    js.erase("tokens_per_second");
    EXPECT_EQ(ja, js) << "line " << lines;
    ++lines;
  }
  EXPECT_GT(lines, 16);
  // The trunk is still a plain 32-step run: its result equals a run without forks.
  ASSERT_TRUE(train(wsd_run(32), {.out_dir = dir / "plain32"}).complete);
  EXPECT_EQ(final_record(dir / "trunk"), final_record(dir / "plain32"));
}

TEST(WsdBranch, ForkPastCooldownStartIsRefused) {
  ScratchDir dir;
  TrainerOptions trunk{.out_dir = dir / "trunk"};
  trunk.forks.push_back({14, dir / "fork14.bin"});
  ASSERT_TRUE(train(wsd_run(32), trunk).complete);
  TrainerOptions branch{.out_dir = dir / "branch"};
  branch.branch_from = dir / "fork14.bin";
  const std::string msg =
      input_error_message([&] { Trainer t(load_run_config("", wsd_run(16)), branch); });
  EXPECT_NE(msg.find("past this run's cooldown start (12)"), std::string::npos) << msg;
  EXPECT_FALSE(std::filesystem::exists(dir / "branch"));
}

TEST(WsdBranch, ForkOfAnotherConfigIsRefused) {
  ScratchDir dir;
  TrainerOptions trunk{.out_dir = dir / "trunk"};
  trunk.forks.push_back({12, dir / "fork12.bin"});
  ASSERT_TRUE(train(wsd_run(32), trunk).complete);
  auto other = wsd_run(16);
  other.push_back("train.lr=1e-3");
  TrainerOptions branch{.out_dir = dir / "branch"};
  branch.branch_from = dir / "fork12.bin";
  const std::string msg = input_error_message([&] { Trainer t(load_run_config("", other), branch); });
  EXPECT_NE(msg.find("train.lr"), std::string::npos) << msg;
  branch.branch_from = dir / "missing.bin";
  EXPECT_NE(input_error_message([&] { Trainer t(load_run_config("", wsd_run(16)), branch); }).find("does not exist"),
            std::string::npos);
}

}  // namespace
}  // namespace scalelab
