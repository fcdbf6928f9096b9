// TrainConfig and RunConfig: defaults, TOML + --set, tokens -> steps, and every range
// check naming its field (train/train_config.h, train/run_config.h).
#include <gtest/gtest.h>

#include <fstream>

#include "core/config.h"
#include "train/run_config.h"
#include "train_testing.h"

namespace scalelab {
namespace {

using train_testing::input_error_message;
using train_testing::ScratchDir;

TEST(TrainConfig, DefaultsAreValid) {
  RunConfig rc = load_run_config("", {});
  EXPECT_EQ(rc.total_steps(), TrainConfig::kDefaultSteps);
  EXPECT_EQ(rc.tokens_per_step(), 16 * 128);
  const Json j = rc.to_json();
  EXPECT_EQ(j["train"]["schedule"], "cosine");
  EXPECT_EQ(j["model"]["n_layer"], 2);
  EXPECT_EQ(j["data"]["val_fraction"], 0.1);
}

TEST(TrainConfig, TokensBecomeStepsRoundedUp) {
  RunConfig rc = load_run_config("", {"train.tokens=1000", "train.batch_size=4", "train.grad_accum=2",
                                      "model.seq_len=16"});
  EXPECT_EQ(rc.tokens_per_step(), 128);
  EXPECT_EQ(rc.total_steps(), 8);  // ceil(1000 / 128)
  rc = load_run_config("", {"train.tokens=1024", "train.batch_size=4", "train.grad_accum=2", "model.seq_len=16"});
  EXPECT_EQ(rc.total_steps(), 8);
  rc = load_run_config("", {"train.steps=7"});
  EXPECT_EQ(rc.total_steps(), 7);
}

TEST(TrainConfig, TomlThenSetOverrides) {
  ScratchDir dir;
  const auto path = dir / "run.toml";
  std::ofstream(path) << "[model]\nn_layer = 3\nd_model = 96\nn_head = 3\n[train]\nlr = 0.002\nschedule = \"wsd\"\n"
                         "[data]\nval_fraction = 0.2\n";
  RunConfig rc = load_run_config(path.string(), {"train.lr=0.004"});
  EXPECT_EQ(rc.model.n_layer, 3);
  EXPECT_EQ(rc.model.d_model, 96);
  EXPECT_EQ(rc.train.schedule, "wsd");
  EXPECT_DOUBLE_EQ(rc.train.lr, 0.004);
  EXPECT_DOUBLE_EQ(rc.data.val_fraction, 0.2);
}

TEST(TrainConfig, BadValuesNameTheirField) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"train.lr=0"}, "train.lr"},
      {{"train.lr=-1e-3"}, "train.lr"},
      {{"train.batch_size=0"}, "train.batch_size"},
      {{"train.grad_accum=-1"}, "train.grad_accum"},
      {{"train.steps=-5"}, "train.steps"},
      {{"train.tokens=-5"}, "train.tokens"},
      {{"train.steps=10", "train.tokens=1000"}, "train.tokens"},
      {{"train.schedule=linear"}, "train.schedule"},
      {{"train.wsd_cooldown_shape=cubic"}, "train.wsd_cooldown_shape"},
      {{"train.wsd_cooldown_fraction=1.5"}, "train.wsd_cooldown_fraction"},
      {{"train.min_lr_ratio=-0.1"}, "train.min_lr_ratio"},
      {{"train.beta1=1"}, "train.beta1"},
      {{"train.beta2=-0.5"}, "train.beta2"},
      {{"train.eps=0"}, "train.eps"},
      {{"train.weight_decay=-1"}, "train.weight_decay"},
      {{"train.grad_clip=-1"}, "train.grad_clip"},
      {{"train.warmup_steps=-1"}, "train.warmup_steps"},
      {{"train.eval_every=-1"}, "train.eval_every"},
      {{"train.log_every=0"}, "train.log_every"},
      {{"train.checkpoint_every=-2"}, "train.checkpoint_every"},
      {{"train.threads=-3"}, "train.threads"},
      {{"train.seed=-1"}, "train.seed"},
      {{"model.n_head=3"}, "model.n_head"},
      {{"model.n_layer=0"}, "model.n_layer"},
      {{"model.seq_len=-1"}, "model.seq_len"},
      {{"model.vocab=100"}, "model.vocab"},  // below the byte tokenizer's 256
      {{"data.val_fraction=0"}, "data.val_fraction"},
      {{"data.val_fraction=1"}, "data.val_fraction"},
      {{"data.val_fraction=1.5"}, "data.val_fraction"},
      {{"data.tokenizer=bpe9"}, "data.tokenizer"},
      {{"train.bogus=1"}, "train.bogus"},
      {{"train.lr=fast"}, "train.lr"},
      {{"train.precision=fp16"}, "train.precision"},
      {{"train.precision=bf16"}, "train.precision"},  // the cpu backend is fp32 only
      {{"train.device=cuda", "model.d_model=272", "model.n_head=2"}, "model.n_head"},  // head 136 > 128
  };
  for (const auto& [sets, field] : cases) {
    const std::string msg = input_error_message([&] { load_run_config("", sets); });
    EXPECT_NE(msg.find(field), std::string::npos) << sets[0] << " -> " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(TrainConfig, MalformedTomlAndUnknownTomlKeyNameTheFile) {
  ScratchDir dir;
  const auto bad = dir / "bad.toml";
  std::ofstream(bad) << "[model\nn_layer = 2\n";
  EXPECT_NE(input_error_message([&] { load_run_config(bad.string(), {}); }).find("bad.toml"), std::string::npos);
  const auto unknown = dir / "unknown.toml";
  std::ofstream(unknown) << "[train]\nlearning_rate = 0.1\n";
  const std::string msg = input_error_message([&] { load_run_config(unknown.string(), {}); });
  EXPECT_NE(msg.find("unknown.toml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("train.learning_rate"), std::string::npos) << msg;
  EXPECT_NE(input_error_message([&] { load_run_config((dir / "missing.toml").string(), {}); }).find("missing.toml"),
            std::string::npos);
}

TEST(TrainConfig, ConfigDifferencesListChangedKeys) {
  RunConfig a = load_run_config("", {});
  RunConfig b = load_run_config("", {"model.d_model=128", "train.lr=0.01"});
  const auto d = config_differences(a.to_json(), b.to_json());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], "model.d_model");
  EXPECT_EQ(d[1], "train.lr");
  EXPECT_TRUE(config_differences(a.to_json(), a.to_json()).empty());
}

}  // namespace
}  // namespace scalelab
