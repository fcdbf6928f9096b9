// Claim throughput of a run store: K worker processes race through N planned runs the way
// `scalelab worker`s do (try_claim each run in order, finish the ones won at once, with an
// empty curve), and the wall time gives claims per second. Run by bench/store_claims.sh
// for SQLite and PostgreSQL side by side.
//
//   bench_store_claims STORE [--workers 8] [--runs 2000]
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sweep/run_store.h"

using namespace scalelab;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_store_claims STORE [--workers K] [--runs N]\n");
    return 2;
  }
  const std::string location = argv[1];
  int workers = 8, runs = 2000;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--workers") workers = std::atoi(argv[i + 1]);
    if (flag == "--runs") runs = std::atoi(argv[i + 1]);
  }
  std::vector<int64_t> ids;
  {
    sweep::RunStore store(location);
    std::vector<sweep::RunRow> rows;
    for (int i = 0; i < runs; ++i)
      rows.push_back({fmt::format("r{}", i), Json{{"i", i}}, fmt::format("h{}", i), Json{{"params", 1000 + i}}});
    ids = store.add_runs(store.upsert_experiment(fmt::format("claims-{}", ::getpid()), "", ""), rows);
  }  // a connection must not cross fork()
  int go[2];
  if (::pipe(go) != 0) return 1;
  std::vector<pid_t> kids;
  for (int k = 0; k < workers; ++k) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(go[1]);
      sweep::RunStore store(location);
      char byte;
      if (::read(go[0], &byte, 1) != 1) ::_exit(3);
      const std::string me = sweep::RunStore::this_owner();
      int won = 0;
      for (int64_t id : ids)
        if (store.try_claim(id, me)) {
          if (!store.finish_run(id, me, Json{{"by", k}}, {})) ::_exit(4);
          ++won;
        }
      (void)won;
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  ::close(go[0]);
  const auto t0 = std::chrono::steady_clock::now();
  if (::write(go[1], std::string(workers, 'g').data(), workers) != workers) return 1;
  ::close(go[1]);
  int failed = 0;
  for (pid_t pid : kids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  sweep::RunStore store(location, sweep::StoreMode::read_only);
  int done = 0;
  for (const sweep::RunRecord& r : store.all_runs()) done += r.status == sweep::RunStatus::done && r.attempts == 1;
  std::printf("%d runs, %d workers: %.2f s, %.0f claims/s (claim + finish), %.0f claim attempts/s, %d done once%s\n",
              runs, workers, s, runs / s, static_cast<double>(runs) * workers / s, done,
              failed ? ", SOME WORKERS FAILED" : "");
  return failed ? 1 : 0;
}
