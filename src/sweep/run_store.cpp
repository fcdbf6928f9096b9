// The run store (run_store.h): runs, curves, fits and probe results, and the rules for
// claims and owners, written once over either database (store_database.h: SQLite or
// PostgreSQL). One connection per RunStore. Every write is one transaction; a claim reads
// the run under the database's row lock, so two processes never both see it free.
#include "sweep/run_store.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>

#include "core/error.h"
#include "sweep/store_database.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
namespace {

std::string iso_now() {
  std::time_t t = std::time(nullptr);
  std::tm g{};
  gmtime_r(&t, &g);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &g);
  return buf;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string this_host() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

// Identifies one process across pid reuse: the boot (first 8 hex digits of the kernel's
// boot id) and the process's start time in clock ticks after boot (field 22 of
// /proc/<pid>/stat, proc(5)), e.g. "3f2a9c1e-4815162". Empty where /proc cannot say.
std::string process_start_token(long pid) {
  std::ifstream boot("/proc/sys/kernel/random/boot_id");
  std::string boot_id;
  if (!(boot >> boot_id) || boot_id.size() < 8) return "";
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t comm_end = text.rfind(')');  // the command name may hold spaces and ')'
  if (comm_end == std::string::npos) return "";
  std::istringstream fields(text.substr(comm_end + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i)  // fields 3.. follow the name
    if (i == 22) return boot_id.substr(0, 8) + "-" + field;
  return "";
}

// An owner "host:pid:token" (token: process_start_token) or, as older stores wrote it,
// "host:pid"; pid -1 when the text is not of that form.
struct OwnerId {
  std::string host;
  long pid = -1;
  std::string token;
};
OwnerId parse_owner(const std::string& owner) {
  OwnerId o;
  const size_t c1 = owner.find(':');
  if (c1 == std::string::npos) {
    o.host = owner;
    return o;
  }
  o.host = owner.substr(0, c1);
  const size_t c2 = owner.find(':', c1 + 1);
  const std::string pid_text = owner.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
  if (c2 != std::string::npos) o.token = owner.substr(c2 + 1);
  char* end = nullptr;
  o.pid = std::strtol(pid_text.c_str(), &end, 10);
  if (pid_text.empty() || *end != '\0' || o.pid <= 0) o.pid = -1;
  return o;
}

// Whether the process holding a claim may still be working on it. On this host the pid
// answers (kill(pid, 0): ESRCH means gone; EPERM means it exists under another user), and
// a live pid whose start token differs from the recorded one is another process that
// reused the number: the owner is gone. Elsewhere only the heartbeat can answer, and a
// claim silent for kStaleSeconds is abandoned.
bool owner_alive(const std::string& owner, double heartbeat, double now) {
  if (owner.empty()) return false;
  const OwnerId o = parse_owner(owner);
  if (o.host == this_host() && o.pid > 0) {
    if (::kill(static_cast<pid_t>(o.pid), 0) != 0 && errno == ESRCH) return false;
    if (o.token.empty()) return true;  // an older store's owner: the pid is all we know
    const std::string now_token = process_start_token(o.pid);
    return now_token.empty() || now_token == o.token;
  }
  return !std::isnan(heartbeat) && now - heartbeat <= RunStore::kStaleSeconds;
}

constexpr const char* kRunColumns =
    "SELECT r.id, r.experiment_id, e.name, r.name, r.status, r.config, r.config_hash, r.plan, r.result, "
    "r.forecast, r.error, r.owner, r.attempts, r.git_commit, r.host, r.started_at, r.ended_at, r.heartbeat "
    "FROM runs r JOIN experiments e ON e.id = r.experiment_id ";

RunRecord read_run(const Stmt& s) {
  RunRecord r;
  r.id = s.i64(0);
  r.experiment_id = s.i64(1);
  r.experiment = s.text(2);
  r.name = s.text(3);
  const std::string where = fmt::format("run {} ({})", r.id, r.name);
  r.status = run_status_from_string(s.text(4));
  r.config = s.json(5, where + " config");
  r.config_hash = s.text(6);
  r.plan = s.json(7, where + " plan");
  r.result = s.json(8, where + " result");
  r.forecast = s.json(9, where + " forecast");
  r.error = s.text(10);
  r.owner = s.text(11);
  r.attempts = static_cast<int>(s.i64(12));
  r.git_commit = s.text(13);
  r.host = s.text(14);
  r.started_at = s.text(15);
  r.ended_at = s.text(16);
  r.heartbeat = s.is_null(17) ? 0.0 : s.f64(17);
  return r;
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

const char* to_string(RunStatus s) {
  switch (s) {
    case RunStatus::planned: return "planned";
    case RunStatus::running: return "running";
    case RunStatus::done: return "done";
    case RunStatus::failed: return "failed";
  }
  return "?";
}

RunStatus run_status_from_string(const std::string& s) {
  for (RunStatus st : {RunStatus::planned, RunStatus::running, RunStatus::done, RunStatus::failed})
    if (s == to_string(st)) return st;
  throw InputError(fmt::format("run status \"{}\": expected planned, running, done or failed", s));
}

// ---- opening (store_database.cpp chooses the database, which creates or migrates it) ----

RunStore::RunStore(const std::string& location, StoreMode mode)
    : db_(open_store_database(location, mode == StoreMode::read_write)) {}

RunStore::~RunStore() = default;

const std::string& RunStore::location() const { return db_->location(); }

int RunStore::schema_version() const {
  std::lock_guard lock(mu_);
  return db_->schema_version();
}

std::string RunStore::integrity_check() const {
  std::lock_guard lock(mu_);
  return db_->integrity_check();
}

// ---- experiments -----------------------------------------------------------------------

int64_t RunStore::upsert_experiment(const std::string& name, const std::string& spec, const std::string& spec_hash) {
  SL_REQUIRE(!name.empty(), "{}: an experiment needs a name", location());
  std::lock_guard lock(mu_);
  WriteTxn t(*db_);
  Stmt up(*db_,
          "INSERT INTO experiments (name, spec, spec_hash, created_at) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, spec_hash = excluded.spec_hash");
  up.bind_text(1, name).bind_text(2, spec).bind_text(3, spec_hash).bind_text(4, iso_now()).run();
  Stmt id(*db_, "SELECT id FROM experiments WHERE name = ?1");
  id.bind_text(1, name);
  SL_ASSERT(id.step());
  const int64_t out = id.i64(0);
  t.commit();
  return out;
}

std::vector<ExperimentRecord> RunStore::experiments() const {
  std::lock_guard lock(mu_);
  Stmt s(*db_,
         "SELECT e.id, e.name, e.spec, e.spec_hash, e.created_at, count(r.id), "
         "coalesce(sum(CASE WHEN r.status = 'done' THEN 1 ELSE 0 END), 0), "
         "coalesce(sum(CASE WHEN r.status = 'failed' THEN 1 ELSE 0 END), 0) "
         "FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.id GROUP BY e.id ORDER BY e.id");
  std::vector<ExperimentRecord> out;
  while (s.step()) {
    ExperimentRecord e;
    e.id = s.i64(0);
    e.name = s.text(1);
    e.spec = s.text(2);
    e.spec_hash = s.text(3);
    e.created_at = s.text(4);
    e.runs = static_cast<int>(s.i64(5));
    e.done = static_cast<int>(s.i64(6));
    e.failed = static_cast<int>(s.i64(7));
    out.push_back(std::move(e));
  }
  return out;
}

ExperimentRecord RunStore::experiment(const std::string& name) const {
  std::vector<ExperimentRecord> all = experiments();
  std::string names;
  for (ExperimentRecord& e : all) {
    if (e.name == name) return std::move(e);
    if (!names.empty()) names += ", ";
    names += e.name;
  }
  throw InputError(fmt::format("experiment '{}' is not in {} (it has: {})", name, location(),
                               names.empty() ? "none" : names));
}

// ---- runs ------------------------------------------------------------------------------

std::vector<int64_t> RunStore::add_runs(int64_t experiment_id, const std::vector<RunRow>& rows) {
  std::set<std::string> names;
  for (const RunRow& r : rows) {
    SL_REQUIRE(!r.name.empty(), "{}: a run needs a name", location());
    SL_REQUIRE(names.insert(r.name).second, "run name '{}' appears twice in one experiment", r.name);
  }
  std::lock_guard lock(mu_);
  WriteTxn t(*db_);
  db_->lock_store();  // read-then-insert: two sweeps adding one plan take turns
  {
    Stmt e(*db_, "SELECT 1 FROM experiments WHERE id = ?1");
    e.bind_int(1, experiment_id);
    SL_ASSERT(e.step());
  }
  std::vector<int64_t> ids;
  ids.reserve(rows.size());
  for (const RunRow& r : rows) {
    Stmt find(*db_, "SELECT id, config_hash FROM runs WHERE experiment_id = ?1 AND name = ?2");
    find.bind_int(1, experiment_id).bind_text(2, r.name);
    if (!find.step()) {
      Stmt ins(*db_,
               "INSERT INTO runs (experiment_id, name, status, config, config_hash, plan) "
               "VALUES (?1, ?2, 'planned', ?3, ?4, ?5) RETURNING id");
      ins.bind_int(1, experiment_id).bind_text(2, r.name).bind_text(3, r.config.dump());
      ins.bind_text(4, r.config_hash).bind_text(5, r.plan.dump());
      SL_ASSERT(ins.step());
      ids.push_back(ins.i64(0));
      continue;
    }
    const int64_t id = find.i64(0);
    ids.push_back(id);
    if (find.text(1) == r.config_hash) {
      // Same run: status and results kept; the planner's facts (estimates, held-out
      // flag) are refreshed.
      Stmt up(*db_, "UPDATE runs SET plan = ?2 WHERE id = ?1");
      up.bind_int(1, id).bind_text(2, r.plan.dump()).run();
      continue;
    }
    Stmt reset(*db_,
               "UPDATE runs SET status = 'planned', config = ?2, config_hash = ?3, plan = ?4, result = NULL, "
               "forecast = NULL, error = NULL, owner = NULL, attempts = 0, git_commit = NULL, host = NULL, "
               "started_at = NULL, ended_at = NULL, heartbeat = NULL WHERE id = ?1");
    reset.bind_int(1, id).bind_text(2, r.config.dump()).bind_text(3, r.config_hash).bind_text(4, r.plan.dump()).run();
    Stmt del(*db_, "DELETE FROM curves WHERE run_id = ?1");
    del.bind_int(1, id).run();
  }
  t.commit();
  return ids;
}

std::vector<RunRecord> RunStore::runs(int64_t experiment_id) const {
  std::lock_guard lock(mu_);
  Stmt s(*db_, std::string(kRunColumns) + "WHERE r.experiment_id = ?1 ORDER BY r.id");
  s.bind_int(1, experiment_id);
  std::vector<RunRecord> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

std::vector<RunRecord> RunStore::all_runs() const {
  std::lock_guard lock(mu_);
  Stmt s(*db_, std::string(kRunColumns) + "ORDER BY r.id");
  std::vector<RunRecord> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

RunRecord RunStore::run(int64_t id) const {
  std::lock_guard lock(mu_);
  Stmt s(*db_, std::string(kRunColumns) + "WHERE r.id = ?1");
  s.bind_int(1, id);
  if (!s.step()) throw InternalError(fmt::format("run store {}: no run with id {}", location(), id));
  return read_run(s);
}

RunRecord RunStore::find_run(const std::string& ref) const {
  const std::string p = location();
  SL_REQUIRE(!ref.empty(), "run '': expected EXPERIMENT/NAME, NAME or an id");
  std::lock_guard lock(mu_);
  const size_t slash = ref.find('/');
  if (slash != std::string::npos) {
    Stmt s(*db_, std::string(kRunColumns) + "WHERE e.name = ?1 AND r.name = ?2");
    s.bind_text(1, ref.substr(0, slash)).bind_text(2, ref.substr(slash + 1));
    SL_REQUIRE(s.step(), "run '{}' is not in {}", ref, p);
    return read_run(s);
  }
  Stmt s(*db_, std::string(kRunColumns) + "WHERE r.name = ?1 ORDER BY r.id");
  s.bind_text(1, ref);
  std::vector<RunRecord> found;
  while (s.step()) found.push_back(read_run(s));
  if (found.size() == 1) return std::move(found.front());
  if (found.size() > 1) {
    std::string exps;
    for (const RunRecord& r : found) {
      if (!exps.empty()) exps += ", ";
      exps += r.experiment;
    }
    throw InputError(fmt::format("run '{}' is ambiguous in {}: experiments {} have one; write EXPERIMENT/{}", ref,
                                 p, exps, ref));
  }
  if (all_digits(ref) && ref.size() < 19) {
    Stmt byid(*db_, std::string(kRunColumns) + "WHERE r.id = ?1");
    byid.bind_int(1, std::stoll(ref));
    if (byid.step()) return read_run(byid);
  }
  throw InputError(fmt::format("run '{}' is not in {}", ref, p));
}

std::string RunStore::this_owner() {
  const long pid = static_cast<long>(::getpid());
  const std::string token = process_start_token(pid);
  return token.empty() ? fmt::format("{}:{}", this_host(), pid) : fmt::format("{}:{}:{}", this_host(), pid, token);
}

bool RunStore::try_claim(int64_t id, const std::string& owner, const std::string& git_commit) {
  SL_ASSERT(!owner.empty());
  std::lock_guard lock(mu_);
  WriteTxn t(*db_);
  Stmt s(*db_, fmt::format("SELECT status, owner, heartbeat FROM runs WHERE id = ?1{}", db_->claim_lock()));
  s.bind_int(1, id);
  if (!s.step()) {  // no such run, or (PostgreSQL) another process is claiming it right now
    Stmt exists(*db_, "SELECT 1 FROM runs WHERE id = ?1");
    if (exists.bind_int(1, id).step()) return false;
    throw InternalError(fmt::format("run store {}: no run with id {} to claim", location(), id));
  }
  const RunStatus status = run_status_from_string(s.text(0));
  const double now = unix_now();
  const bool free = status == RunStatus::planned ||
                    (status == RunStatus::running && !owner_alive(s.text(1), s.f64(2), now));
  if (!free) return false;
  Stmt up(*db_,
          "UPDATE runs SET status = 'running', owner = ?2, attempts = attempts + 1, heartbeat = ?3, "
          "started_at = coalesce(started_at, ?4), ended_at = NULL, error = NULL, git_commit = ?5, host = ?6 "
          "WHERE id = ?1");
  up.bind_int(1, id).bind_text(2, owner).bind_real(3, now).bind_text(4, iso_now());
  up.bind_opt_text(5, git_commit).bind_text(6, parse_owner(owner).host).run();
  t.commit();
  return true;
}

// A claim taken over meanwhile (this owner looked dead to another host) is left alone.
void RunStore::heartbeat(int64_t id, const std::string& owner) {
  std::lock_guard lock(mu_);
  WriteTxn t(*db_);
  Stmt up(*db_, "UPDATE runs SET heartbeat = ?3 WHERE id = ?1 AND owner = ?2 AND status = 'running'");
  up.bind_int(1, id).bind_text(2, owner).bind_real(3, unix_now()).run();
  t.commit();
}

// The ending calls change a run only while `owner` holds it: a claim taken over meanwhile
// (this owner looked dead, e.g. a partitioned host) belongs to its new owner.
bool RunStore::owns(int64_t id, const std::string& owner) const {
  Stmt s(*db_, fmt::format("SELECT status, owner FROM runs WHERE id = ?1{}", db_->owner_lock()));
  s.bind_int(1, id);
  if (!s.step()) throw InternalError(fmt::format("run store {}: no run with id {}", location(), id));
  return run_status_from_string(s.text(0)) == RunStatus::running && !owner.empty() && s.text(1) == owner;
}

bool RunStore::release(int64_t id, const std::string& owner) {
  std::lock_guard lock(mu_);
  WriteTxn t(*db_);
  if (!owns(id, owner)) return false;
  Stmt up(*db_, "UPDATE runs SET status = 'planned', owner = NULL WHERE id = ?1");
  up.bind_int(1, id).run();
  t.commit();
  return true;
}

bool RunStore::finish_run(int64_t id, const std::string& owner, const Json& result,
                          const std::vector<CurvePoint>& curve) {
  std::lock_guard lock(mu_);
  WriteTxn t(*db_);
  if (!owns(id, owner)) return false;
  Stmt up(*db_,
          "UPDATE runs SET status = 'done', result = ?2, ended_at = ?3, heartbeat = ?4, owner = NULL, "
          "error = NULL WHERE id = ?1");
  up.bind_int(1, id).bind_json(2, result).bind_text(3, iso_now()).bind_real(4, unix_now()).run();
  Stmt del(*db_, "DELETE FROM curves WHERE run_id = ?1");
  del.bind_int(1, id).run();
  Stmt ins(*db_, "INSERT INTO curves (run_id, step, tokens, loss, val_loss, lr) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  for (const CurvePoint& c : curve) {
    ins.bind_int(1, id).bind_int(2, c.step).bind_int(3, c.tokens);
    ins.bind_real(4, c.loss).bind_real(5, c.val_loss).bind_real(6, c.lr).run();
    ins.reset();
  }
  t.commit();
  return true;
}

bool RunStore::fail_run(int64_t id, const std::string& owner, const std::string& error) {
  std::lock_guard lock(mu_);
  WriteTxn t(*db_);
  if (!owns(id, owner)) return false;
  Stmt up(*db_, "UPDATE runs SET status = 'failed', error = ?2, ended_at = ?3, owner = NULL WHERE id = ?1");
  up.bind_int(1, id).bind_text(2, error.empty() ? "failed (no reason given)" : error).bind_text(3, iso_now()).run();
  t.commit();
  return true;
}

int RunStore::reset_failed(int64_t experiment_id) {
  std::lock_guard lock(mu_);
  WriteTxn t(*db_);
  Stmt up(*db_,
          "UPDATE runs SET status = 'planned', error = NULL, ended_at = NULL, owner = NULL "
          "WHERE experiment_id = ?1 AND status = 'failed'");
  const int n = static_cast<int>(up.bind_int(1, experiment_id).run());
  t.commit();
  return n;
}

void RunStore::set_forecast(int64_t id, const Json& forecast) {
  std::lock_guard lock(mu_);
  WriteTxn t(*db_);
  Stmt up(*db_, "UPDATE runs SET forecast = ?2 WHERE id = ?1");
  if (up.bind_int(1, id).bind_json(2, forecast).run() != 1)
    throw InternalError(fmt::format("run store {}: no run with id {} for a forecast", location(), id));
  t.commit();
}

std::vector<CurvePoint> RunStore::curve(int64_t id) const {
  std::lock_guard lock(mu_);
  Stmt s(*db_, "SELECT step, tokens, loss, val_loss, lr FROM curves WHERE run_id = ?1 ORDER BY step");
  s.bind_int(1, id);
  std::vector<CurvePoint> out;
  while (s.step()) out.push_back({s.i64(0), s.i64(1), s.f64(2), s.f64(3), s.f64(4)});
  return out;
}

// ---- fits ------------------------------------------------------------------------------

void RunStore::save_fit(int64_t experiment_id, const std::string& kind, const Json& fit) {
  SL_ASSERT(!kind.empty());
  std::lock_guard lock(mu_);
  WriteTxn t(*db_);
  Stmt up(*db_,
          "INSERT INTO fits (experiment_id, kind, json, created_at) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT (experiment_id, kind) DO UPDATE SET json = excluded.json, created_at = excluded.created_at");
  up.bind_int(1, experiment_id).bind_text(2, kind).bind_text(3, fit.dump()).bind_text(4, iso_now()).run();
  t.commit();
}

std::optional<Json> RunStore::fit(int64_t experiment_id, const std::string& kind) const {
  std::lock_guard lock(mu_);
  Stmt s(*db_, "SELECT json FROM fits WHERE experiment_id = ?1 AND kind = ?2");
  s.bind_int(1, experiment_id).bind_text(2, kind);
  if (!s.step()) return std::nullopt;
  return s.json(0, fmt::format("fit '{}' of experiment {}", kind, experiment_id));
}

std::vector<std::string> RunStore::fit_kinds(int64_t experiment_id) const {
  std::lock_guard lock(mu_);
  Stmt s(*db_, "SELECT kind FROM fits WHERE experiment_id = ?1 ORDER BY kind");
  s.bind_int(1, experiment_id);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

// ---- probe results ---------------------------------------------------------------------

void RunStore::save_probe(int64_t experiment_id, const std::string& probe, const Json& result) {
  SL_REQUIRE(!probe.empty(), "{}: a probe result needs a probe name", location());
  std::lock_guard lock(mu_);
  WriteTxn t(*db_);
  Stmt up(*db_,
          "INSERT INTO probe_results (experiment_id, probe, result, saved_at) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT (experiment_id, probe) DO UPDATE SET result = excluded.result, saved_at = excluded.saved_at");
  up.bind_int(1, experiment_id).bind_text(2, probe).bind_text(3, result.dump()).bind_text(4, iso_now()).run();
  t.commit();
}

std::optional<Json> RunStore::probe_result(int64_t experiment_id, const std::string& probe) const {
  std::lock_guard lock(mu_);
  Stmt s(*db_, "SELECT result FROM probe_results WHERE experiment_id = ?1 AND probe = ?2");
  s.bind_int(1, experiment_id).bind_text(2, probe);
  if (!s.step()) return std::nullopt;
  return s.json(0, fmt::format("probe result '{}' of experiment {}", probe, experiment_id));
}

std::vector<ProbeRecord> RunStore::probe_results() const {
  std::lock_guard lock(mu_);
  Stmt s(*db_,
         "SELECT e.name, p.probe, p.saved_at, p.result FROM probe_results p "
         "JOIN experiments e ON e.id = p.experiment_id ORDER BY e.id, p.probe");
  std::vector<ProbeRecord> out;
  while (s.step()) {
    ProbeRecord r;
    r.experiment = s.text(0);
    r.probe = s.text(1);
    r.saved_at = s.text(2);
    r.result = s.json(3, fmt::format("probe result '{}' of experiment '{}'", r.probe, r.experiment));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace scalelab::sweep
