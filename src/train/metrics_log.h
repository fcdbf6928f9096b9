// defines: scalelab::StepRecord, scalelab::EvalRecord, scalelab::MetricsLog,
//          format_step_line, format_eval_line
//
// The run's record: DIR/metrics.jsonl holds one JSON object per logged step
//   {"step": 12, "loss": 2.3456, "lr": 0.0003, "grad_norm": 1.23,
//    "tokens_per_second": 45678.9, "tokens": 24576}
// and one per validation
//   {"step": 100, "val_loss": 1.71, "val_bpb": 2.47, "val_tokens": 65536}
// ("step" counts optimizer steps done, 1-based; "tokens" the targets trained on so far).
// Losses are nats per token; bpb is bits per byte (data/corpus.h).
//
// The file is rewritten whole and atomically (core/atomic_file.h) at every flush, never
// appended, so a reader or a crash never sees half a line. The text is kept in memory and
// goes into each checkpoint, which lets a resumed run continue the same file exactly.
//
//   MetricsLog log(dir / "metrics.jsonl");
//   log.add(step_record_json(r));
//   log.flush_if_due();        // at most every few seconds
//   log.flush();               // at checkpoints and at the end
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/json.h"
#include "core/timer.h"

namespace scalelab {

struct StepRecord {
  int64_t step = 0;          // optimizer steps done (1-based)
  int64_t total_steps = 0;
  double loss = 0;           // mean training loss of this step's micro-batches, nats/token
  double lr = 0;
  double grad_norm = 0;      // global L2 norm before clipping
  double tokens_per_second = 0;
  int64_t tokens = 0;        // target tokens trained so far
};

struct EvalRecord {
  int64_t step = 0;
  double val_loss = 0;       // nats/token
  double val_bpb = 0;        // bits/byte; NaN (JSON null) when bytes per token is unknown
  int64_t val_tokens = 0;    // target tokens evaluated
};

// Keys in the order shown above (nlohmann::ordered_json), so lines read well.
nlohmann::ordered_json to_json(const StepRecord& r);
nlohmann::ordered_json to_json(const EvalRecord& r);
// One greppable line each, e.g.
//   step 12/200 loss 2.3456 lr 3.00e-04 norm 1.23 tok/s 45679
//   eval 100/200 val_loss 1.7100 val_bpb 2.4670 tokens 65536
std::string format_step_line(const StepRecord& r);
std::string format_eval_line(const EvalRecord& r, int64_t total_steps);

class MetricsLog {
 public:
  explicit MetricsLog(std::filesystem::path path, double flush_interval_seconds = 5.0);
  // Continue from the text a checkpoint carried.
  void restore(std::string text) { text_ = std::move(text); }
  void add(const nlohmann::ordered_json& record);
  const std::string& text() const { return text_; }
  void flush();
  void flush_if_due();

 private:
  std::filesystem::path path_;
  double interval_;
  std::string text_;
  Timer since_flush_;
};

}  // namespace scalelab
