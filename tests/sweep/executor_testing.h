// defines: scalelab::executor_testing::binary, spec_text, long_runs_spec, start_scalelab, start_sweep,
//          wait_exit, by_name, expect_same_results, train_sessions
//
// Helpers for the tests that run sweeps through the scalelab binary (test_executor.cpp,
// test_slurm_sweep.cpp): a small ladder spec, starting scalelab in the background, and
// comparing two stores' results run by run.
//
//   pid_t p = start_sweep(dir / "spec.toml", dir / "store.sqlite");
//   ASSERT_EQ(wait_exit(p), 0);
//   expect_same_results(store_a, store_b);
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "sweep/run_store.h"

namespace scalelab::executor_testing {

namespace fs = std::filesystem;
using sweep::RunRecord;
using sweep::RunStatus;
using sweep::RunStore;

inline std::string binary() { return std::string(SCALELAB_BINARY_DIR) + "/scalelab"; }

// Three sizes x two budgets with WSD reuse (so branches, forks and resumes all happen),
// checkpoints every 8 steps, and a held-out run: a few seconds on two threads.
inline std::string spec_text(const std::string& lr_section = "rule = \"mup\"\nlr = 4e-3\nbase_width = 32\n") {
  return "[experiment]\nname = \"t\"\n"
         "[data]\npath = \"" + std::string(SCALELAB_SOURCE_DIR) + "/tests/data/corpus/train_sample.txt\"\n"
         "val_max_tokens = 2048\n"
         "[model]\nseq_len = 32\n"
         "[train]\nbatch_size = 8\nwarmup_steps = 4\neval_every = 16\nlog_every = 4\ncheckpoint_every = 8\n"
         "[sizes]\nshapes = [[1, 16, 1], [1, 32, 2], [2, 32, 2]]\n"
         "[budgets]\ntokens = [16384, 65536]\n"
         "[lr]\n" + lr_section +
         "[wsd]\nreuse = true\n"
         "[[heldout]]\nshape = [2, 48, 3]\ntokens = 32768\n";
}

// Two runs of 1M tokens (a few seconds each on one thread), the long one first in the launch
// order, checkpoints every 64 steps.
inline std::string long_runs_spec() {
  return "[experiment]\nname = \"t\"\n"
         "[data]\npath = \"" + std::string(SCALELAB_SOURCE_DIR) + "/tests/data/corpus/train_sample.txt\"\n"
         "val_max_tokens = 2048\n"
         "[model]\nseq_len = 32\n"
         "[train]\nbatch_size = 8\nwarmup_steps = 4\neval_every = 512\nlog_every = 64\ncheckpoint_every = 64\n"
         "[sizes]\nshapes = [[1, 16, 1], [2, 32, 2]]\n"
         "[budgets]\ntokens = [1048576]\n"
         "[lr]\nrule = \"fixed\"\nlr = 3e-3\n";
}

// Starts `scalelab ARGS...`, output appended to LOG.
inline pid_t start_scalelab(std::vector<std::string> args, const fs::path& log) {
  args.insert(args.begin(), binary());
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// Starts `scalelab sweep SPEC --store STORE ...` (2 workers on 2 threads: 1 thread per
// ladder run, unless `extra` sets --workers), run directories in WORKDIR/runs, output to WORKDIR/sweep.log.
inline pid_t start_sweep(const fs::path& spec, const std::string& store, const fs::path& workdir,
                  const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"sweep", spec.string(), "--store", store, "--runs-dir", (workdir / "runs").string(),
                                   "--no-probe", "--bootstrap", "20"};
  if (std::find(extra.begin(), extra.end(), "--workers") == extra.end())  // else extra says
    args.insert(args.end(), {"--workers", "2", "--threads", "2"});
  args.insert(args.end(), extra.begin(), extra.end());
  return start_scalelab(args, workdir / "sweep.log");
}
inline pid_t start_sweep(const fs::path& spec, const fs::path& store, const std::vector<std::string>& extra = {}) {
  return start_sweep(spec, store.string(), store.parent_path(), extra);
}

inline int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline std::map<std::string, RunRecord> by_name(const std::string& store) {
  RunStore s(store, sweep::StoreMode::read_only);
  std::map<std::string, RunRecord> out;
  for (RunRecord& r : s.all_runs()) out[r.name] = r;
  return out;
}

// Both stores hold the spec's 7 runs, all done, with the same losses, tokens, held-out
// forecasts and fitted parameters (same thread count per run: bit for bit), and b is sound.
inline void expect_same_results(const std::string& store_a, const std::string& store_b) {
  const auto a = by_name(store_a), b = by_name(store_b);
  ASSERT_EQ(a.size(), 7u);  // 3 sizes x 2 budgets, and the held-out run
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, ra] : a) {
    const RunRecord& rb = b.at(name);
    ASSERT_EQ(ra.status, RunStatus::done) << name;
    ASSERT_EQ(rb.status, RunStatus::done) << name << ": " << rb.error;
    EXPECT_EQ(ra.result["final_val_loss"], rb.result["final_val_loss"]) << name;
    EXPECT_EQ(ra.result["final_train_loss"], rb.result["final_train_loss"]) << name;
    EXPECT_EQ(ra.result["tokens_trained"], rb.result["tokens_trained"]) << name;
    if (ra.plan.value("heldout", false)) {
      EXPECT_EQ(ra.forecast["predicted"], rb.forecast["predicted"]) << name;
    }
  }
  RunStore sb(store_b, sweep::StoreMode::read_only);
  EXPECT_EQ(sb.integrity_check(), "ok");
  RunStore sa(store_a, sweep::StoreMode::read_only);
  const int64_t ea = sa.experiment("t").id, eb = sb.experiment("t").id;
  EXPECT_EQ(sa.fit(ea, "approach3")->at("params"), sb.fit(eb, "approach3")->at("params"));
}

// The trainer logs one "train: model" line per session: how many sessions a run's log holds.
inline size_t train_sessions(const std::string& log) {
  size_t sessions = 0;
  for (size_t at = log.find("train: model"); at != std::string::npos; at = log.find("train: model", at + 1)) ++sessions;
  return sessions;
}

}  // namespace scalelab::executor_testing
