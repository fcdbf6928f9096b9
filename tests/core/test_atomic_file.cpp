#include "core/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "core/json.h"

namespace fs = std::filesystem;

namespace scalelab {
namespace {

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("scalelab_core_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(AtomicFile, CommitReplacesContent) {
  auto d = temp_dir("commit");
  write_file_atomic(d / "a.txt", "old");
  write_file_atomic(d / "a.txt", "new content");
  EXPECT_EQ(read_file(d / "a.txt"), "new content");
  // No temp files left behind.
  int files = 0;
  for (auto& e : fs::directory_iterator(d)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  fs::remove_all(d);
}

TEST(AtomicFile, AbandonedWriteLeavesOldContentAndNoTemp) {
  auto d = temp_dir("abandon");
  write_file_atomic(d / "a.txt", "keep me");
  {
    AtomicFile f(d / "a.txt");
    f.stream() << "half-writ";
    // destroyed without commit(): as if an exception interrupted the writer
  }
  EXPECT_EQ(read_file(d / "a.txt"), "keep me");
  int files = 0;
  for (auto& e : fs::directory_iterator(d)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  fs::remove_all(d);
}

TEST(AtomicFile, UnwritableDirectoryIsAnInputErrorNamingThePath) {
  try {
    write_file_atomic("/nonexistent_dir_xyz/out.json", "x");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent_dir_xyz/out.json"), std::string::npos);
  }
}

TEST(Json, RoundTripAndMalformedNamed) {
  auto d = temp_dir("json");
  Json j = {{"a", 1}, {"b", {1.5, 2.5}}};
  write_json_atomic(d / "x.json", j);
  EXPECT_EQ(read_json_file(d / "x.json"), j);
  write_file_atomic(d / "bad.json", "{\"a\": ");
  try {
    read_json_file(d / "bad.json");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json: malformed JSON"), std::string::npos);
  }
  fs::remove_all(d);
}

}  // namespace
}  // namespace scalelab
