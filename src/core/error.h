// defines: scalelab::InputError, scalelab::InternalError, SL_REQUIRE, SL_ASSERT
//
// Two kinds of failure, told apart because users act on them differently:
//   InputError    - the user's input is wrong (a config field, a file, a column). The CLI
//                   prints its one-line message and exits with code 2. The message names
//                   the field or file and what was expected:
//                     throw InputError("model.n_head: 5 does not divide d_model = 64");
//   InternalError - an invariant of ours broke (a bug). Exit code 3, with file and line.
// Both checks stay on in release builds (unlike assert or benchmark's BM_CHECK).
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace scalelab {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(what) {}
};

class InternalError : public std::runtime_error {
 public:
  explicit InternalError(const std::string& what) : std::runtime_error(what) {}
};

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInputError = 2;
inline constexpr int kExitInternalError = 3;
inline constexpr int kExitInterrupted = 130;

}  // namespace scalelab

// SL_REQUIRE(cond, "fmt {}", args...): throws InputError with the formatted message.
#define SL_REQUIRE(cond, ...)                                          \
  do {                                                                 \
    if (!(cond)) throw ::scalelab::InputError(fmt::format(__VA_ARGS__)); \
  } while (0)

// SL_ASSERT(cond): throws InternalError naming the expression, file and line.
#define SL_ASSERT(cond)                                                              \
  do {                                                                               \
    if (!(cond))                                                                     \
      throw ::scalelab::InternalError(                                               \
          fmt::format("internal check failed: {} at {}:{}", #cond, __FILE__, __LINE__)); \
  } while (0)
