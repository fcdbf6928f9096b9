// defines: scalelab::cli::StopSignals
//
// The signals that ask a long command (train, sweep, worker) to stop cleanly: Ctrl-C
// (SIGINT), SIGTERM (what `scancel`, a batch system's time limit or `kill` send) and, for
// a Slurm worker, SIGUSR1 (the warning `sbatch --signal=B:USR1@SECONDS` sends before the
// time limit). The first one sets the flag the trainer and executor poll: runs checkpoint
// and the command exits 130; a second one of the same kind ends the process at once.
//
//   StopSignals stop({SIGINT, SIGTERM});
//   options.interrupt = &stop.flag();
//   ... run ...
//   if (stop.received() == SIGUSR1) requeue();
#pragma once

#include <atomic>
#include <csignal>
#include <initializer_list>
#include <vector>

namespace scalelab::cli {

class StopSignals {
 public:
  // Installs the handlers; the destructor puts the previous ones back.
  explicit StopSignals(std::initializer_list<int> signals);
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  const std::atomic<bool>& flag() const;
  int received() const;  // the first signal that arrived; 0 when none

 private:
  std::vector<std::pair<int, void (*)(int)>> previous_;
};

}  // namespace scalelab::cli
