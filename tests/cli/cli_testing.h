// defines: scalelab::cli_testing::CliResult, run_scalelab, quote, slurp, line_count,
//          expect_input_error
//
// Running the built binary (build/scalelab) from a test: arguments go through /bin/sh,
// stdout and stderr are captured separately (in files of a directory the caller gives,
// so a test can run the binary as another user, see tests/sweep/sweep_testing.h), stdin
// is /dev/null. The contract for bad input is issue 2's: exit code 2, exactly one line
// on stderr, "error: ..." naming the file or field.
//
//   core_testing::ScratchDir dir;
//   CliResult r = cli_testing::run_scalelab(dir.path(), "plan " + cli_testing::quote(spec));
//   cli_testing::expect_input_error(r, {"spec.toml", "budgets.tokens"});
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>

namespace scalelab::cli_testing {

struct CliResult {
  int code = -1;  // exit status; -1 when killed by a signal
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Single-quoted for /bin/sh.
inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `scalelab ARGS` (ARGS already quoted where needed); the captured output goes
// through io_dir/stdout.txt and io_dir/stderr.txt.
inline CliResult run_scalelab(const std::filesystem::path& io_dir, const std::string& args) {
  const auto out = io_dir / "stdout.txt", err = io_dir / "stderr.txt";
  const std::string cmd = quote(std::string(SCALELAB_BINARY_DIR) + "/scalelab") + " " + args + " >" +
                          quote(out.string()) + " 2>" + quote(err.string()) + " </dev/null";
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

inline long line_count(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

// Exit 2 and one line on stderr, "error: " and every fragment in it.
inline void expect_input_error(const CliResult& r, std::initializer_list<std::string> fragments,
                               const std::string& what = "") {
  EXPECT_EQ(r.code, 2) << what << "\nstderr: " << r.err;
  EXPECT_EQ(line_count(r.err), 1) << what << "\nstderr: " << r.err;
  EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << what << "\nstderr: " << r.err;
  for (const std::string& f : fragments)
    EXPECT_NE(r.err.find(f), std::string::npos) << what << "\nstderr lacks '" << f << "': " << r.err;
}

}  // namespace scalelab::cli_testing
