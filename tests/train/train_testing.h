// defines: scalelab::train_testing::sample_corpus_path (and brings in ScratchDir and
//          input_error_message from tests/core/core_testing.h)
//
// Helpers shared by the train layer's tests: the committed text fixture, plus the
// scratch directory and InputError-message helpers every layer's tests share.
#pragma once

#include <string>

#include "../core/core_testing.h"

namespace scalelab::train_testing {

using core_testing::input_error_message;
using core_testing::ScratchDir;

// ~150 KB of generated English-like prose (tests/data/corpus/make_train_sample.py).
inline std::string sample_corpus_path() {
  return std::string(SCALELAB_SOURCE_DIR) + "/tests/data/corpus/train_sample.txt";
}

}  // namespace scalelab::train_testing
