// ModelConfig: validate() rejects each bad field with a message naming it, the derived
// muP factors follow Yang et al. 2022 (table 3, sec. 4), and the keys bind.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "core/config.h"
#include "core/error.h"
#include "model/model_config.h"

namespace scalelab {
namespace {

// Applies `edit` to a valid config and expects validate() to throw an InputError whose
// message contains `field`.
void expect_invalid(const std::function<void(ModelConfig&)>& edit, const std::string& field) {
  ModelConfig cfg;
  edit(cfg);
  try {
    cfg.validate();
    ADD_FAILURE() << "validate() accepted a config with a bad " << field;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
  }
}

TEST(ModelConfig, DefaultsAreValid) {
  ModelConfig cfg;
  EXPECT_NO_THROW(cfg.validate());
  EXPECT_EQ(cfg.head_size(), 32);
}

TEST(ModelConfig, HeadsMustDivideWidth) {
  expect_invalid([](ModelConfig& c) { c.n_head = 3; }, "model.n_head");
  expect_invalid([](ModelConfig& c) { c.d_model = 66; c.n_head = 4; }, "model.d_model");
}

TEST(ModelConfig, NonPositiveSizesNameTheField) {
  for (int64_t bad : {0, -1}) {
    expect_invalid([bad](ModelConfig& c) { c.n_layer = bad; }, "model.n_layer");
    expect_invalid([bad](ModelConfig& c) { c.d_model = bad; }, "model.d_model");
    expect_invalid([bad](ModelConfig& c) { c.n_head = bad; }, "model.n_head");
    expect_invalid([bad](ModelConfig& c) { c.seq_len = bad; }, "model.seq_len");
    expect_invalid([bad](ModelConfig& c) { c.vocab = bad; }, "model.vocab");
    expect_invalid([bad](ModelConfig& c) { c.mup_base_width = bad; }, "model.mup_base_width");
  }
  expect_invalid([](ModelConfig& c) { c.vocab = 1; }, "model.vocab");
  expect_invalid([](ModelConfig& c) { c.init_std = 0; }, "model.init_std");
  expect_invalid([](ModelConfig& c) { c.init_std = NAN; }, "model.init_std");
  expect_invalid([](ModelConfig& c) { c.mup_output_mult = -1; }, "model.mup_output_mult");
  expect_invalid([](ModelConfig& c) { c.mup_attn_mult = 0; }, "model.mup_attn_mult");
}

TEST(ModelConfig, BadParameterizationNamesTheField) {
  expect_invalid([](ModelConfig& c) { c.parameterization = "ntk"; }, "model.parameterization");
  expect_invalid([](ModelConfig& c) { c.parameterization = "MUP"; }, "model.parameterization");
  expect_invalid([](ModelConfig& c) { c.parameterization = ""; }, "model.parameterization");
}

TEST(ModelConfig, StandardParameterizationFactors) {
  ModelConfig cfg;
  cfg.d_model = 256;
  cfg.n_head = 4;  // head size 64
  EXPECT_EQ(cfg.param(), Parameterization::kStandard);
  EXPECT_DOUBLE_EQ(cfg.width_mult(), 1.0);
  EXPECT_DOUBLE_EQ(cfg.attn_scale(), 1.0 / 8.0);  // 1/sqrt(64)
  EXPECT_DOUBLE_EQ(cfg.logit_scale(), 1.0);
}

TEST(ModelConfig, MupFactorsScaleWithWidth) {
  ModelConfig cfg;
  cfg.parameterization = "mup";
  cfg.mup_base_width = 64;
  cfg.mup_output_mult = 2.0;
  cfg.mup_attn_mult = 8.0;
  cfg.d_model = 256;
  cfg.n_head = 4;  // head size 64
  EXPECT_EQ(cfg.param(), Parameterization::kMup);
  EXPECT_DOUBLE_EQ(cfg.width_mult(), 4.0);
  EXPECT_DOUBLE_EQ(cfg.attn_scale(), 8.0 / 64.0);  // mult / head size (1/d attention)
  EXPECT_DOUBLE_EQ(cfg.logit_scale(), 2.0 / 4.0);  // output mult / width mult
  // At the base width with mup_attn_mult = sqrt(head size), muP agrees with SP.
  cfg.d_model = 64;
  cfg.n_head = 1;
  cfg.mup_output_mult = 1.0;
  ModelConfig sp = cfg;
  sp.parameterization = "sp";
  EXPECT_DOUBLE_EQ(cfg.attn_scale(), sp.attn_scale());
  EXPECT_DOUBLE_EQ(cfg.logit_scale(), sp.logit_scale());
}

TEST(ModelConfig, KeysBindAndOverride) {
  ModelConfig cfg;
  ConfigBinder b;
  cfg.bind(b);
  b.apply_set("model.d_model=128");
  b.apply_set("model.n_head=4");
  b.apply_set("model.parameterization=mup");
  EXPECT_EQ(cfg.d_model, 128);
  EXPECT_EQ(cfg.n_head, 4);
  EXPECT_EQ(cfg.param(), Parameterization::kMup);
  EXPECT_NO_THROW(cfg.validate());
  EXPECT_THROW(b.apply_set("model.d_modle=128"), InputError);
}

}  // namespace
}  // namespace scalelab
