// defines: scalelab::core_testing::ScratchDir, scalelab::core_testing::input_error_message
//
// Test helpers every layer's tests need, kept with core because InputError lives there:
// a scratch directory removed at the end of the test, and the message of the InputError
// a call throws. Other layers' test helpers include this file by relative path:
//
//   #include "../core/core_testing.h"
//   core_testing::ScratchDir dir;                       // fresh, empty, removed at scope exit
//   std::string msg = core_testing::input_error_message([&] { read_file(dir / "absent"); });
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace scalelab::core_testing {

// A fresh directory under the system temp dir, unique per process and per instance.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("scalelab_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
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
  std::filesystem::path operator/(std::string_view rel) const { return path_ / rel; }

 private:
  std::filesystem::path path_;
};

// The InputError message f throws; fails the test (and returns "") when it throws none.
inline std::string input_error_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an InputError";
  return "";
}

}  // namespace scalelab::core_testing
