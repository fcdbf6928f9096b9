// Checkpoint format: exact round trip, and every damaged or foreign file refused with a
// message naming the file (train/checkpoint.h).
#include "train/checkpoint.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "core/atomic_file.h"
#include "train/run_config.h"
#include "train_testing.h"

namespace scalelab {
namespace {

using train_testing::input_error_message;
using train_testing::ScratchDir;

Checkpoint sample_checkpoint() {
  Checkpoint ck;
  ck.config = load_run_config("", {"train.steps=20"}).to_json();
  ck.step = 10;
  ck.loader = {3, 17};
  ck.tokens_trained = 12345;
  ck.wall_seconds = 1.5;
  ck.train_seconds = 1.25;
  for (int i = 0; i < 1000; ++i) {
    ck.params.push_back(0.001f * static_cast<float>(i) - 0.3f);
    ck.m.push_back(1e-6f * static_cast<float>(i));
    ck.v.push_back(1e-9f * static_cast<float>(i * i));
  }
  ck.params[7] = -0.0f;  // bit patterns, not just values, must survive
  ck.metrics = "{\"step\":1,\"loss\":5.5}\n{\"step\":2,\"loss\":5.25}\n";
  return ck;
}

TEST(Checkpoint, RoundTripIsExact) {
  ScratchDir dir;
  const auto path = dir / "checkpoint.bin";
  const Checkpoint ck = sample_checkpoint();
  write_checkpoint(path, ck);
  const Checkpoint back = read_checkpoint(path);
  EXPECT_EQ(back.config, ck.config);
  EXPECT_EQ(back.step, 10);
  EXPECT_EQ(back.loader, ck.loader);
  EXPECT_EQ(back.tokens_trained, 12345);
  EXPECT_EQ(back.wall_seconds, 1.5);
  EXPECT_EQ(back.train_seconds, 1.25);
  ASSERT_EQ(back.params.size(), ck.params.size());
  EXPECT_EQ(std::memcmp(back.params.data(), ck.params.data(), ck.params.size() * 4), 0);
  EXPECT_EQ(std::memcmp(back.m.data(), ck.m.data(), ck.m.size() * 4), 0);
  EXPECT_EQ(std::memcmp(back.v.data(), ck.v.data(), ck.v.size() * 4), 0);
  EXPECT_EQ(back.metrics, ck.metrics);
  // Atomic write: no temp file left beside it.
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1);
}

TEST(Checkpoint, DamagedFilesAreRefusedNamingTheFile) {
  ScratchDir dir;
  const auto good = dir / "good.bin";
  write_checkpoint(good, sample_checkpoint());
  const std::string bytes = read_file(good);

  struct Case {
    const char* name;
    std::string content;
    const char* expect;
  };
  std::string wrong_magic = bytes;
  wrong_magic[0] = 'X';
  std::string wrong_version = bytes;
  wrong_version[4] = 9;
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x10;  // inside the parameters
  const Case cases[] = {
      {"magic.bin", wrong_magic, "not a scalelab checkpoint"},
      {"version.bin", wrong_version, "version 9"},
      {"truncated.bin", bytes.substr(0, bytes.size() / 2), "truncated"},
      {"short.bin", bytes.substr(0, 6), "truncated"},
      {"empty.bin", "", "truncated"},
      {"trailing.bin", bytes + "xx", "after the end"},
      {"flipped.bin", flipped, "checksum"},
  };
  for (const auto& c : cases) {
    const auto path = dir / c.name;
    write_file_atomic(path, c.content);
    const std::string msg = input_error_message([&] { read_checkpoint(path); });
    EXPECT_NE(msg.find(path.string()), std::string::npos) << c.name << ": " << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.name << ": " << msg;
  }
  EXPECT_NE(input_error_message([&] { read_checkpoint(dir / "absent.bin"); }).find("absent.bin"), std::string::npos);
}

TEST(Checkpoint, ConfigMismatchNamesTheField) {
  const Json stored = load_run_config("", {}).to_json();
  const Json other = load_run_config("", {"model.d_model=128", "model.n_head=4"}).to_json();
  const std::string msg =
      input_error_message([&] { check_checkpoint_config("runs/a/checkpoint.bin", stored, other, {}); });
  EXPECT_NE(msg.find("runs/a/checkpoint.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.d_model = 64 there, 128 now"), std::string::npos) << msg;
  // Keys that do not change the trained numbers may differ.
  const Json relogged = load_run_config("", {"train.log_every=5"}).to_json();
  EXPECT_NO_THROW(check_checkpoint_config("c.bin", stored, relogged, {"train.log_every"}));
  EXPECT_THROW(check_checkpoint_config("c.bin", stored, relogged, {}), InputError);
}

TEST(Checkpoint, Fnv1aKnownAnswers) {
  // Reference values of FNV-1a 64 (Fowler, Noll, Vo test vectors).
  EXPECT_EQ(fnv1a64("", 0), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a", 1), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar", 6), 0x85944171f73967e8ull);
}

}  // namespace
}  // namespace scalelab
