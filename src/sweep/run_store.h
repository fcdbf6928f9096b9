// defines: scalelab::sweep::RunStatus, RunRow, RunRecord, CurvePoint, ExperimentRecord,
//          ProbeRecord, StoreMode, RunStore
//
// The run store: experiments, their runs (config, status, owner, provenance, final
// metrics, forecast), per-step curves, stored fits and the results of the scaling-
// hypothesis probes, in a SQLite file (a path: the laptop's default) or a PostgreSQL
// database (a URL postgresql://[user@]host[:port]/db: a cluster's shared store); see
// store_database.h. Several processes, on any hosts that reach the store, may share it: a
// run is trained only by the process that claimed it (try_claim: the run's row read under
// a lock and updated in one transaction), and a claim whose owner died (same host: the pid
// is gone or reused by another process; other hosts: no heartbeat for kStaleSeconds) may
// be taken over. Only the owner can end its claim (finish, fail, release).
//
//   RunStore store("demo/store.sqlite");                  // creates or migrates
//   RunStore shared("postgresql://lab@db.cluster/ladders");
//   int64_t exp = store.upsert_experiment("demo", spec_text, spec_hash);
//   store.add_runs(exp, rows);                            // new names inserted, others kept
//   const std::string me = RunStore::this_owner();
//   if (store.try_claim(run_id, me)) {
//     ... train ...
//     store.finish_run(run_id, me, summary_json, curve);  // done, curve stored (false: taken over)
//   }
//   store.save_probe(exp, "icl", icl_json);               // replaces an earlier "icl"
//   store.integrity_check();                              // "ok"
//
// Schema versions are numbered; migrations run in order inside one transaction when an
// older store is opened. A store written by a newer scalelab (a higher version) is refused
// with an InputError naming the file or URL (never its password), never modified. A store
// path in a directory that cannot be written, or a server that cannot be reached or
// refuses the login, is an InputError too.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace scalelab::sweep {

class StoreDatabase;

enum class RunStatus { planned, running, done, failed };
const char* to_string(RunStatus s);
RunStatus run_status_from_string(const std::string& s);  // InputError on unknown text

// What the planner hands the store for one run.
struct RunRow {
  std::string name;          // unique within the experiment, e.g. "n25k-d1.0M"
  Json config;               // resolved run config (model, data, train sections)
  std::string config_hash;   // hash of config (changing the spec changes it)
  Json plan;                 // planner facts: params, tokens, flops, heldout, fork parent, ...
};

struct RunRecord {
  int64_t id = 0;
  int64_t experiment_id = 0;
  std::string experiment;    // experiment name
  std::string name;
  RunStatus status = RunStatus::planned;
  Json config;
  std::string config_hash;
  Json plan;
  Json result;               // the trainer's summary.json when done; null otherwise
  Json forecast;             // forecast saved before a held-out run started; null otherwise
  std::string error;         // why it failed (status failed)
  std::string owner;         // "host:pid:token" of the process training it (status running)
  int attempts = 0;          // times claimed
  // Provenance.
  std::string git_commit, host;
  std::string started_at, ended_at;  // ISO 8601 UTC; empty when not yet
  double heartbeat = 0;              // unix seconds of the owner's last sign of life
};

// One point of a run's curve; NaN (SQL NULL) where the record has no such value.
struct CurvePoint {
  int64_t step = 0;
  int64_t tokens = 0;
  double loss = 0;       // training loss, nats/token
  double val_loss = 0;   // validation loss, nats/token
  double lr = 0;
};

struct ExperimentRecord {
  int64_t id = 0;
  std::string name;
  std::string spec;        // the spec's TOML text
  std::string spec_hash;
  std::string created_at;
  int runs = 0, done = 0, failed = 0;
};

// One stored probe result (schema version 2), e.g. probe "emergence" of experiment
// "emergence-demo"; `result` is the probe runner's JSON (report/probe_section.h reads it).
struct ProbeRecord {
  std::string experiment;  // experiment name
  std::string probe;
  std::string saved_at;    // ISO 8601 UTC
  Json result;
};

enum class StoreMode { read_write, read_only };

class RunStore {
 public:
  static constexpr int kSchemaVersion = 2;  // 2: probe_results
  static constexpr double kStaleSeconds = 600;  // other hosts' claims expire after this

  // `location`: a file path or a postgresql:// URL. read_write creates the store (a file
  // and its directory, or the tables in an empty database) when missing and migrates an
  // older schema; read_only requires an existing store. InputError naming the location
  // when it is not a scalelab store, is from a newer schema, or cannot be created,
  // written or reached. (read_only in a directory this user cannot write reads an
  // immutable snapshot of a SQLite file.)
  explicit RunStore(const std::string& location, StoreMode mode = StoreMode::read_write);
  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  // The path, or the URL without its password: for messages, reports and provenance.
  const std::string& location() const;
  int schema_version() const;

  // ---- experiments -----------------------------------------------------------------
  // Returns the id of the experiment called `name`, creating it. An existing experiment
  // keeps its id; its spec text and hash are updated.
  int64_t upsert_experiment(const std::string& name, const std::string& spec, const std::string& spec_hash);
  std::vector<ExperimentRecord> experiments() const;
  // InputError "experiment 'x' is not in STORE (it has: a, b)" when absent.
  ExperimentRecord experiment(const std::string& name) const;

  // ---- runs ------------------------------------------------------------------------
  // Inserts rows whose name is new to the experiment (status planned). A row whose name
  // exists with the same config_hash is left as it is (its status and results kept); with
  // a different config_hash its results no longer describe the spec: it is reset to
  // planned with the new config (its old curve deleted). Returns the ids in row order.
  // (A kept row's plan is refreshed: estimates and the held-out flag follow the spec.)
  std::vector<int64_t> add_runs(int64_t experiment_id, const std::vector<RunRow>& rows);
  std::vector<RunRecord> runs(int64_t experiment_id) const;          // in id order
  std::vector<RunRecord> all_runs() const;                           // every experiment
  RunRecord run(int64_t id) const;                                   // InternalError if absent
  // By "experiment/name", by bare name (must be unique across experiments) or by id.
  // InputError naming `ref` when absent or ambiguous.
  RunRecord find_run(const std::string& ref) const;

  // "host:pid:token" of this process; the token (boot and start time of the process)
  // tells a live owner from another process that reused its pid.
  static std::string this_owner();
  // Atomically: if the run is planned, or running under an owner that is dead (this host and
  // no such pid, or the pid now belongs to a process that started at another time; another
  // host and heartbeat older than kStaleSeconds), set it
  // running under `owner`, attempts += 1, heartbeat = now, started_at (first claim),
  // git_commit and host; true. Otherwise (done, failed, or alive elsewhere) false.
  bool try_claim(int64_t id, const std::string& owner, const std::string& git_commit = "");
  void heartbeat(int64_t id, const std::string& owner);
  // The three calls that end a claim act only while `owner` holds the run (status running
  // under that owner) and return whether they did; a claim another worker took over (this
  // owner looked dead to it) is left to its new owner. InternalError for an unknown id.
  // Back to planned (interrupted; its checkpoint lets the next claim resume), owner cleared.
  [[nodiscard]] bool release(int64_t id, const std::string& owner);
  // done: result stored, curve replaced by `curve`, ended_at set, owner cleared; one transaction.
  [[nodiscard]] bool finish_run(int64_t id, const std::string& owner, const Json& result,
                                const std::vector<CurvePoint>& curve);
  // failed: error stored, ended_at set, owner cleared.
  [[nodiscard]] bool fail_run(int64_t id, const std::string& owner, const std::string& error);
  // Failed runs back to planned (sweep --retry-failed).
  int reset_failed(int64_t experiment_id);
  void set_forecast(int64_t id, const Json& forecast);
  std::vector<CurvePoint> curve(int64_t id) const;  // in step order

  // ---- fits ------------------------------------------------------------------------
  // One fit per (experiment, kind), e.g. kind "approach3", "approach1", "approach2";
  // replaced when saved again.
  void save_fit(int64_t experiment_id, const std::string& kind, const Json& fit);
  std::optional<Json> fit(int64_t experiment_id, const std::string& kind) const;
  std::vector<std::string> fit_kinds(int64_t experiment_id) const;

  // ---- probe results ---------------------------------------------------------------
  // One result per (experiment, probe), e.g. probe "emergence", "icl", "ngram",
  // "ensemble"; replaced (with a new saved_at) when saved again. InputError for an empty
  // probe name.
  void save_probe(int64_t experiment_id, const std::string& probe, const Json& result);
  std::optional<Json> probe_result(int64_t experiment_id, const std::string& probe) const;
  // Every stored probe result of every experiment, by experiment id, then probe name.
  std::vector<ProbeRecord> probe_results() const;

  // "ok" for a sound database (SQLite: PRAGMA integrity_check's answer).
  std::string integrity_check() const;

 private:
  bool owns(int64_t id, const std::string& owner) const;  // inside a transaction, with mu_ held
  std::unique_ptr<StoreDatabase> db_;
  // One connection may be shared by a process's worker threads: calls are serialised
  // (transactions are per connection, so two threads must not interleave them).
  mutable std::mutex mu_;
};

}  // namespace scalelab::sweep
