// defines: scalelab::sweep::ChildProcess, ChildExit, self_executable, find_on_path,
//          CommandOutput, run_command
//
// A training run as a child process (the executor's unit of isolation): a crash, an abort
// or an out-of-memory kill in one run is recorded as that run's failure and the sweep goes
// on. The child's stdout and stderr go to a log file. On Linux the child is killed when
// its parent dies (PR_SET_PDEATHSIG), so a SIGKILLed sweep leaves no orphan writing into
// the run directories; the rerun resumes from their checkpoints.
//
//   ChildProcess p = ChildProcess::spawn({self_executable(), "train", "--config", "c.toml"}, "train.log");
//   while (!p.poll()) sleep...;
//   ChildExit e = p.exit();        // e.code or e.signal
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace scalelab::sweep {

struct ChildExit {
  int code = -1;    // exit status when it exited, else -1
  int signal = 0;   // the signal that ended it, else 0
  std::string describe() const;  // "exit code 2", "killed by signal 11 (Segmentation fault)"
};

class ChildProcess {
 public:
  // InternalError when fork/exec fails (the exec failure is reported as exit code 127).
  static ChildProcess spawn(const std::vector<std::string>& argv, const std::filesystem::path& log);
  // True once the child has ended (reaped); non-blocking.
  bool poll();
  void wait();
  void signal(int sig) const;  // no-op once ended
  pid_t pid() const { return pid_; }
  const ChildExit& exit() const { return exit_; }
  bool running() const { return !ended_; }

 private:
  pid_t pid_ = -1;
  bool ended_ = false;
  ChildExit exit_;
};

// The path of the running scalelab binary (/proc/self/exe), for spawning its own `train`.
std::filesystem::path self_executable();

// `name` found in a directory of $PATH (an executable file), as the shell would; nullopt
// when none has it.
std::optional<std::filesystem::path> find_on_path(const std::string& name);

// A short command run to its end (a Slurm client command: sbatch, squeue, scontrol), its
// stdout and stderr together, e.g. {exit code 0, "4242\n"}.
struct CommandOutput {
  ChildExit exit;
  std::string output;
};
// argv[0] is looked up on $PATH; InputError "NAME: not found on PATH (...)" when absent.
CommandOutput run_command(const std::vector<std::string>& argv);

}  // namespace scalelab::sweep
