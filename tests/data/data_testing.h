// defines: scalelab::data::testing::TempDir, write_text, expect_input_error
//
// Small helpers shared by the data layer's tests: a scratch directory removed at the end
// of the test (tests/core/core_testing.h's ScratchDir), and a check that a call throws
// InputError whose message holds given text.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "../core/core_testing.h"
#include "core/error.h"

namespace scalelab::data::testing {

using TempDir = core_testing::ScratchDir;

inline void write_text(const std::filesystem::path& p, std::string_view text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  ASSERT_TRUE(out.good()) << p;
}

// Runs f, which must throw InputError whose message contains every string in `parts`
// and is one line.
template <class F>
void expect_input_error(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "message: " << msg << "\nlacks: " << p;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
    return;
  }
  ADD_FAILURE() << "expected InputError";
}

}  // namespace scalelab::data::testing
