// defines: scalelab::train_testing::ScratchDir, message_of, sample_corpus_path
//
// Helpers shared by the train layer's tests: a scratch directory removed at the end of
// the test, the message of an InputError a call throws, and the committed text fixture.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>

#include "core/error.h"

namespace scalelab::train_testing {

class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("scalelab_train_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  std::filesystem::path path_;
};

// The InputError message f throws; fails the test (and returns "") when it throws none.
inline std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an InputError";
  return "";
}

// ~150 KB of generated English-like prose (tests/data/corpus/make_train_sample.py).
inline std::string sample_corpus_path() {
  return std::string(SCALELAB_SOURCE_DIR) + "/tests/data/corpus/train_sample.txt";
}

}  // namespace scalelab::train_testing
