// The [data] config section: keys, validation, the demo corpus path and load().
#include "data/data_config.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "core/config.h"
#include "data_testing.h"

namespace scalelab::data {
namespace {

using testing::expect_input_error;

TEST(DataConfig, BindsKeysAndValidatesFields) {
  DataConfig d;
  ConfigBinder b;
  d.bind(b);
  b.apply_set("data.val_fraction=0.25");
  b.apply_set("data.path=/tmp/x.txt");
  b.apply_set("data.split_seed=3");
  EXPECT_DOUBLE_EQ(d.val_fraction, 0.25);
  EXPECT_EQ(d.path, "/tmp/x.txt");
  EXPECT_EQ(d.corpus_options().split_seed, 3u);
  EXPECT_TRUE(std::isnan(d.corpus_options().shard_bytes_per_token));
  d.validate();
  b.apply_set("data.val_fraction=1");
  expect_input_error([&] { d.validate(); }, {"data.val_fraction"});
  d.val_fraction = 0.1;
  b.apply_set("data.tokenizer=gpt9");
  expect_input_error([&] { d.validate(); }, {"data.tokenizer", "gpt9"});
}

TEST(DataConfig, EmptyPathMeansTheDemoCorpusUnderScalelabDataDir) {
  testing::TempDir dir;
  ::setenv("SCALELAB_DATA_DIR", dir.path().c_str(), 1);
  DataConfig d;
  EXPECT_EQ(d.resolved_path(), (dir.path() / "brown.txt").string());
  expect_input_error([&] { d.load(64); }, {"scripts/prepare_brown", "--set data.path="});
  std::string text;
  for (int i = 0; i < 400; ++i) text += "The jury said it did find that many laws are outmoded.\n";
  testing::write_text(dir / "brown.txt", text);
  const Corpus c = d.load(64);
  EXPECT_EQ(c.total_tokens(), static_cast<int64_t>(text.size()));
  expect_input_error([&] { d.load(100'000); }, {"data.path", "100001"});
  ::unsetenv("SCALELAB_DATA_DIR");
}

}  // namespace
}  // namespace scalelab::data
