#include "core/config.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core_testing.h"

namespace scalelab {
namespace {

struct Fields {
  int64_t n = 2;
  double lr = 1e-3;
  std::string name = "sp";
  bool flag = false;
  void bind(ConfigBinder& b) {
    b.bind("model.n", &n, "count");
    b.bind("train.lr", &lr, "learning rate");
    b.bind("model.name", &name, "name");
    b.bind("train.flag", &flag, "flag");
  }
};

using core_testing::input_error_message;

TEST(ConfigBinder, TomlAndSetOverridesApplyInOrder) {
  Fields f;
  ConfigBinder b;
  f.bind(b);
  b.apply_toml_string("[model]\nn = 4\nname = \"mup\"\n[train]\nlr = 3e-4\nflag = true\n", "run.toml");
  EXPECT_EQ(f.n, 4);
  EXPECT_EQ(f.name, "mup");
  EXPECT_DOUBLE_EQ(f.lr, 3e-4);
  EXPECT_TRUE(f.flag);
  b.apply_set("model.n=1e3");
  b.apply_set("train.lr=0.5");
  b.apply_set("model.name='sp'");
  EXPECT_EQ(f.n, 1000);
  EXPECT_DOUBLE_EQ(f.lr, 0.5);
  EXPECT_EQ(f.name, "sp");
  EXPECT_TRUE(b.was_set("model.n"));
  auto j = b.to_json();
  EXPECT_EQ(j["model"]["n"], 1000);
  EXPECT_EQ(j["train"]["flag"], true);
}

TEST(ConfigBinder, TomlIntegerAcceptedForFloatField) {
  Fields f;
  ConfigBinder b;
  f.bind(b);
  b.apply_toml_string("train.lr = 1\n", "x.toml");
  EXPECT_DOUBLE_EQ(f.lr, 1.0);
}

TEST(ConfigBinder, ErrorsNameKeyAndSource) {
  Fields f;
  ConfigBinder b;
  f.bind(b);
  EXPECT_NE(input_error_message([&] { b.apply_toml_string("[model]\nbogus = 1\n", "run.toml"); })
                .find("run.toml: unknown config key 'model.bogus'"),
            std::string::npos);
  EXPECT_NE(input_error_message([&] { b.apply_set("train.nope=1"); }).find("unknown config key 'train.nope'"),
            std::string::npos);
  EXPECT_NE(input_error_message([&] { b.apply_set("model.n=2.5"); }).find("model.n: expected an integer"),
            std::string::npos);
  EXPECT_NE(input_error_message([&] { b.apply_set("train.lr=fast"); }).find("train.lr: expected a number"),
            std::string::npos);
  EXPECT_NE(input_error_message([&] { b.apply_set("train.flag=yes"); }).find("train.flag: expected true or false"),
            std::string::npos);
  EXPECT_NE(input_error_message([&] { b.apply_set("novalue"); }).find("expected section.key=value"), std::string::npos);
  EXPECT_NE(input_error_message([&] { b.apply_toml_string("model.n = \"two\"\n", "a.toml"); })
                .find("a.toml: model.n: expected an integer"),
            std::string::npos);
  std::string malformed = input_error_message([&] { b.apply_toml_string("[model\nn = 1\n", "bad.toml"); });
  EXPECT_NE(malformed.find("bad.toml:1:"), std::string::npos) << malformed;
  EXPECT_NE(malformed.find("malformed TOML"), std::string::npos) << malformed;
  // Nothing applied by a failing document... the earlier values stay.
  EXPECT_EQ(f.n, 2);
}

TEST(ConfigBinder, MissingFileNamed) {
  ConfigBinder b;
  EXPECT_NE(input_error_message([&] { b.apply_toml_file("/nonexistent/run.toml"); }).find("/nonexistent/run.toml"),
            std::string::npos);
}

}  // namespace
}  // namespace scalelab
