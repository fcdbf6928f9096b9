#include "train/metrics_log.h"

#include <fmt/format.h>

#include <cmath>

#include "core/atomic_file.h"

namespace scalelab {

namespace {

// JSON has no NaN; write null so every line stays valid JSON.
using OJson = nlohmann::ordered_json;

OJson number_or_null(double v) { return std::isfinite(v) ? OJson(v) : OJson(nullptr); }

}  // namespace

nlohmann::ordered_json to_json(const StepRecord& r) {
  OJson j;
  j["step"] = r.step;
  j["loss"] = number_or_null(r.loss);
  j["lr"] = r.lr;
  j["grad_norm"] = number_or_null(r.grad_norm);
  j["tokens_per_second"] = number_or_null(r.tokens_per_second);
  j["tokens"] = r.tokens;
  return j;
}

nlohmann::ordered_json to_json(const EvalRecord& r) {
  OJson j;
  j["step"] = r.step;
  j["val_loss"] = number_or_null(r.val_loss);
  j["val_bpb"] = number_or_null(r.val_bpb);
  j["val_tokens"] = r.val_tokens;
  return j;
}

std::string format_step_line(const StepRecord& r) {
  return fmt::format("step {}/{} loss {:.4f} lr {:.2e} norm {:.3f} tok/s {:.0f}", r.step, r.total_steps, r.loss,
                     r.lr, r.grad_norm, r.tokens_per_second);
}

std::string format_eval_line(const EvalRecord& r, int64_t total_steps) {
  return fmt::format("eval {}/{} val_loss {:.4f} val_bpb {:.4f} tokens {}", r.step, total_steps, r.val_loss,
                     r.val_bpb, r.val_tokens);
}

MetricsLog::MetricsLog(std::filesystem::path path, double flush_interval_seconds)
    : path_(std::move(path)), interval_(flush_interval_seconds) {}

void MetricsLog::add(const nlohmann::ordered_json& record) {
  text_ += record.dump();
  text_ += '\n';
}

void MetricsLog::flush() {
  write_file_atomic(path_, text_);
  since_flush_.reset();
}

void MetricsLog::flush_if_due() {
  if (since_flush_.seconds() >= interval_) flush();
}

}  // namespace scalelab
