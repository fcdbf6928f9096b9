// Child processes for the executor (child_process.h).
#include "sweep/child_process.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"

namespace scalelab::sweep {

std::string ChildExit::describe() const {
  if (signal != 0) return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
  return fmt::format("exit code {}", code);
}

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  SL_ASSERT(!argv.empty());
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string log_path = log.string();
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw InternalError(fmt::format("fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);  // the parent died before prctl took effect
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  ChildProcess p;
  p.pid_ = pid;
  return p;
}

bool ChildProcess::poll() {
  if (ended_) return true;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return false;
  if (r < 0) {
    if (errno == EINTR) return false;
    throw InternalError(fmt::format("waitpid({}) failed: {}", pid_, std::strerror(errno)));
  }
  ended_ = true;
  if (WIFEXITED(status)) exit_.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) exit_.signal = WTERMSIG(status);
  return true;
}

void ChildProcess::wait() {
  while (!poll()) usleep(20000);
}

void ChildProcess::signal(int sig) const {
  if (!ended_) kill(pid_, sig);
}

std::optional<std::filesystem::path> find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t begin = 0;
  while (begin <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', begin), dirs.size());
    const std::filesystem::path candidate =
        std::filesystem::path(end == begin ? "." : dirs.substr(begin, end - begin)) / name;
    if (::access(candidate.c_str(), X_OK) == 0 && std::filesystem::is_regular_file(candidate)) return candidate;
    begin = end + 1;
  }
  return std::nullopt;
}

CommandOutput run_command(const std::vector<std::string>& argv) {
  SL_ASSERT(!argv.empty());
  const std::optional<std::filesystem::path> exe = find_on_path(argv[0]);
  SL_REQUIRE(exe, "{}: not found on PATH (is this a host with the Slurm client commands?)", argv[0]);
  char name[] = "/tmp/scalelab-command-XXXXXX";
  const int fd = ::mkstemp(name);
  if (fd < 0) throw InternalError(fmt::format("mkstemp failed: {}", std::strerror(errno)));
  ::close(fd);
  std::vector<std::string> args = argv;
  args[0] = exe->string();
  ChildProcess p = ChildProcess::spawn(args, name);
  p.wait();
  CommandOutput out{p.exit(), read_file(name)};
  std::error_code ec;
  std::filesystem::remove(name, ec);
  return out;
}

std::filesystem::path self_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw InternalError(fmt::format("cannot find the scalelab executable: {}", ec.message()));
  return p;
}

}  // namespace scalelab::sweep
