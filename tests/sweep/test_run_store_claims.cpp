// The run store's claims (sweep/run_store.h): owner liveness (dead pids, reused pids,
// other hosts' heartbeats), only the owner ending a claim, and processes racing on one
// store (opening it fresh, claiming its runs).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "sweep/run_store.h"
#include "sweep_testing.h"

namespace scalelab::sweep {
namespace {

using sweep_testing::file_bytes;
using sweep_testing::make_result;
using sweep_testing::make_row;
using sweep_testing::raw_exec;
using sweep_testing::ScratchDir;
using Fixture = sweep_testing::StoreFixture;
using sweep_testing::StoreKind;

class ClaimTest : public ::testing::TestWithParam<StoreKind> {};
INSTANTIATE_TEST_SUITE_P(Stores, ClaimTest, sweep_testing::StoreKinds, sweep_testing::store_kind_name);

TEST_P(ClaimTest, ClaimsOfDeadOwnersAreTakenOverAndLiveOnesAreNot) {
  Fixture f(GetParam());
  const std::string me = RunStore::this_owner();
  const std::string host = me.substr(0, me.find(':'));

  // Same host, a pid that has exited and been reaped: dead.
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);
  const std::string dead = host + ":" + std::to_string(child);
  ASSERT_TRUE(f.store.try_claim(f.ids[0], dead));
  ASSERT_TRUE(f.store.try_claim(f.ids[0], me));
  RunRecord r = f.store.run(f.ids[0]);
  EXPECT_EQ(r.owner, me);
  EXPECT_EQ(r.attempts, 2);
  // Same host, this live pid: kept, whatever the heartbeat says.
  f.where.exec("UPDATE runs SET heartbeat = heartbeat - 100000 WHERE id = " + std::to_string(f.ids[0]));
  EXPECT_FALSE(f.store.try_claim(f.ids[0], dead));

  // Another host: alive while its heartbeat is fresh, dead after kStaleSeconds of silence.
  const std::string remote = "elsewhere.invalid:1";
  ASSERT_TRUE(f.store.try_claim(f.ids[1], remote));
  EXPECT_FALSE(f.store.try_claim(f.ids[1], me));
  f.where.exec(fmt::format("UPDATE runs SET heartbeat = heartbeat - {} WHERE id = {}",
                               RunStore::kStaleSeconds - 30, f.ids[1]));
  f.store.heartbeat(f.ids[1], remote);  // a sign of life resets the clock
  f.where.exec(fmt::format("UPDATE runs SET heartbeat = heartbeat - {} WHERE id = {}",
                               RunStore::kStaleSeconds - 30, f.ids[1]));
  EXPECT_FALSE(f.store.try_claim(f.ids[1], me));
  f.where.exec(fmt::format("UPDATE runs SET heartbeat = heartbeat - 60 WHERE id = {}", f.ids[1]));
  EXPECT_TRUE(f.store.try_claim(f.ids[1], me));
  EXPECT_EQ(f.store.run(f.ids[1]).owner, me);
  f.store.heartbeat(f.ids[1], remote);  // the old owner's heartbeat no longer counts
  EXPECT_EQ(f.store.run(f.ids[1]).owner, me);
}

// A pid on this host that is alive but now belongs to another process (the recorded start
// token differs) is a dead owner; an owner written without a token (older stores) is
// judged by its pid alone.
TEST_P(ClaimTest, ReusedPidsAreDeadOwners) {
  Fixture f(GetParam());
  const std::string me = RunStore::this_owner();
  const std::string host = me.substr(0, me.find(':'));
  const std::string pid = std::to_string(::getpid());
  ASSERT_EQ(std::count(me.begin(), me.end(), ':'), 2) << me;  // host:pid:token on Linux
  EXPECT_EQ(me.rfind(host + ":" + pid + ":", 0), 0u) << me;

  // This live pid, but a token from another process's start: dead, taken over.
  const std::string reused = host + ":" + pid + ":00000000-1";
  ASSERT_TRUE(f.store.try_claim(f.ids[0], reused));
  EXPECT_TRUE(f.store.try_claim(f.ids[0], me));
  EXPECT_EQ(f.store.run(f.ids[0]).owner, me);
  // The true token: alive.
  EXPECT_FALSE(f.store.try_claim(f.ids[0], reused));
  // An older store's "host:pid" of this live process: alive.
  ASSERT_TRUE(f.store.try_claim(f.ids[1], host + ":" + pid));
  EXPECT_FALSE(f.store.try_claim(f.ids[1], me));
}

// Only the owner ends its claim: a worker that was taken over (it looked dead, e.g. cut
// off from the store) cannot finish, fail or release the run its successor now trains.
TEST_P(ClaimTest, OnlyTheOwnerEndsAClaim) {
  Fixture f(GetParam());
  const std::string me = RunStore::this_owner();
  const std::string remote = "elsewhere.invalid:7";
  ASSERT_TRUE(f.store.try_claim(f.ids[0], remote));
  EXPECT_FALSE(f.store.finish_run(f.ids[0], me, make_result(1000, 1500, 100000, 3.5), {}));
  EXPECT_FALSE(f.store.fail_run(f.ids[0], me, "not mine"));
  EXPECT_FALSE(f.store.release(f.ids[0], me));
  EXPECT_EQ(f.store.run(f.ids[0]).status, RunStatus::running);
  EXPECT_EQ(f.store.run(f.ids[0]).owner, remote);

  // The remote owner falls silent; this process takes the run over.
  f.where.exec(fmt::format("UPDATE runs SET heartbeat = heartbeat - {} WHERE id = {}",
                               RunStore::kStaleSeconds + 60, f.ids[0]));
  ASSERT_TRUE(f.store.try_claim(f.ids[0], me));
  EXPECT_FALSE(f.store.finish_run(f.ids[0], remote, make_result(1000, 1500, 100000, 9.9), {{1, 2, 3, 4, 5}}));
  EXPECT_FALSE(f.store.fail_run(f.ids[0], remote, "late failure"));
  EXPECT_FALSE(f.store.release(f.ids[0], remote));
  RunRecord r = f.store.run(f.ids[0]);
  EXPECT_EQ(r.status, RunStatus::running);
  EXPECT_EQ(r.owner, me);
  EXPECT_TRUE(r.result.is_null());
  EXPECT_TRUE(f.store.curve(f.ids[0]).empty());

  const Json result = make_result(1000, 1500, 100000, 3.5);
  EXPECT_TRUE(f.store.finish_run(f.ids[0], me, result, {}));
  EXPECT_EQ(f.store.run(f.ids[0]).result, result);
  EXPECT_FALSE(f.store.finish_run(f.ids[0], me, result, {}));  // done: nothing left to end
  EXPECT_FALSE(f.store.fail_run(f.ids[1], me, "never claimed"));
  EXPECT_EQ(f.store.run(f.ids[1]).status, RunStatus::planned);
  EXPECT_THROW((void)f.store.fail_run(999, me, "x"), InternalError);
}

// Processes that open one fresh store at the same moment (two sweeps started together):
// every one of them gets a sound store. One of them creates the schema while the others
// look; none may see the tables without the schema version (a "foreign database").
TEST_P(ClaimTest, ProcessesOpeningAFreshStoreTogetherAllSucceed) {
  ScratchDir dir;
  const int kRounds = GetParam() == StoreKind::sqlite ? 30 : 10, kChildren = 4;
  for (int round = 0; round < kRounds; ++round) {
    const sweep_testing::ScratchStore where(GetParam());
    const std::string path = where.location();
    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    std::vector<pid_t> kids;
    for (int k = 0; k < kChildren; ++k) {
      const pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        ::close(go[1]);
        char byte;
        if (::read(go[0], &byte, 1) != 1) ::_exit(3);  // start together
        try {
          RunStore store(path);
          ::_exit(store.schema_version() == RunStore::kSchemaVersion ? 0 : 4);
        } catch (const std::exception& e) {
          std::ofstream(dir / fmt::format("error_{}_{}", round, k)) << e.what();
          ::_exit(2);
        }
      }
      kids.push_back(pid);
    }
    ::close(go[0]);
    ASSERT_EQ(::write(go[1], std::string(kChildren, 'g').data(), kChildren), kChildren);
    ::close(go[1]);
    for (int k = 0; k < kChildren; ++k) {
      int status = 0;
      ASSERT_EQ(::waitpid(kids[k], &status, 0), kids[k]);
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "round " << round << ": " << file_bytes(dir / fmt::format("error_{}_{}", round, k));
    }
  }
}

// K processes race for every run of one store; each run must be won exactly once.
TEST_P(ClaimTest, TwoProcessesNeverClaimTheSameRun) {
  ScratchDir dir;
  const sweep_testing::ScratchStore where(GetParam());
  const std::string path = where.location();
  constexpr int kRuns = 40, kChildren = 4;
  std::vector<int64_t> ids;
  {
    RunStore store(path);
    std::vector<RunRow> rows;
    for (int i = 0; i < kRuns; ++i) rows.push_back(make_row(fmt::format("r{}", i), 1e3 * (i + 1), 1e5));
    ids = store.add_runs(store.upsert_experiment("race", "", ""), rows);
  }  // closed: a connection must not cross fork()
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> kids;
  for (int k = 0; k < kChildren; ++k) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(go[1]);
      int code = 0;
      try {
        RunStore store(path);
        char byte;
        if (::read(go[0], &byte, 1) != 1) ::_exit(3);  // start together
        std::ofstream won(dir / ("won_" + std::to_string(k)));
        for (int64_t id : ids) {
          if (!store.try_claim(id, RunStore::this_owner())) continue;
          won << id << '\n';
          // The claim holder finishes before exiting, so no claim outlives its process.
          if (!store.finish_run(id, RunStore::this_owner(), {{"by", k}}, {})) code = 4;
        }
      } catch (const std::exception& e) {
        std::ofstream(dir / ("error_" + std::to_string(k))) << e.what();
        code = 2;
      }
      ::_exit(code);
    }
    kids.push_back(pid);
  }
  ::close(go[0]);
  ASSERT_EQ(::write(go[1], std::string(kChildren, 'g').data(), kChildren), kChildren);
  ::close(go[1]);
  for (pid_t pid : kids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << file_bytes(dir / "error_0");
  }
  std::map<int64_t, int> winner;
  for (int k = 0; k < kChildren; ++k) {
    std::ifstream in(dir / ("won_" + std::to_string(k)));
    for (int64_t id; in >> id;) {
      EXPECT_EQ(winner.count(id), 0u) << "run " << id << " claimed twice";
      winner[id] = k;
    }
  }
  EXPECT_EQ(winner.size(), static_cast<size_t>(kRuns));
  RunStore store(path);
  for (int64_t id : ids) {
    RunRecord r = store.run(id);
    EXPECT_EQ(r.status, RunStatus::done);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(r.result["by"], winner[id]);
  }
  EXPECT_EQ(store.integrity_check(), "ok");
}

}  // namespace
}  // namespace scalelab::sweep
