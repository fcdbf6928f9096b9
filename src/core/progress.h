// defines: scalelab::Progress
//
// Progress of a long loop on stderr. On a terminal: one line redrawn in place with a
// bar, rate and ETA. Otherwise (CI, pipes, log files): nothing here; callers print their
// own one-greppable-line-per-event log, which stays the record.
//
//   Progress p("train", total_steps);
//   for (...) { ...; p.update(step + 1, fmt::format("loss {:.3f}", loss)); }
//   p.finish();
#pragma once

#include <cstdint>
#include <string>

#include "core/timer.h"

namespace scalelab {

class Progress {
 public:
  Progress(std::string label, int64_t total, int64_t start = 0);
  ~Progress();
  void update(int64_t done, const std::string& note = "");
  void finish();
  bool interactive() const { return interactive_; }
  // Seconds left at the rate seen so far; negative when unknown.
  double eta_seconds() const;

 private:
  std::string label_;
  int64_t total_, start_, done_;
  bool interactive_, finished_ = false;
  Timer timer_;
  double last_draw_ = -1.0;
};

// "1h02m", "3m05s", "12.3s"
std::string format_duration(double seconds);

}  // namespace scalelab
