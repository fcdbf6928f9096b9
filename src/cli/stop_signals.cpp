// Stop signals (stop_signals.h): one process-wide flag, set from the handler.
#include "cli/stop_signals.h"

namespace scalelab::cli {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

extern "C" void on_stop_signal(int sig) {
  int none = 0;
  g_signal.compare_exchange_strong(none, sig);
  g_stop.store(true);
  std::signal(sig, SIG_DFL);  // the same signal again ends the process at once
}

}  // namespace

StopSignals::StopSignals(std::initializer_list<int> signals) {
  for (int sig : signals) previous_.emplace_back(sig, std::signal(sig, on_stop_signal));
}

StopSignals::~StopSignals() {
  for (const auto& [sig, handler] : previous_) std::signal(sig, handler);
}

const std::atomic<bool>& StopSignals::flag() const { return g_stop; }

int StopSignals::received() const { return g_signal.load(); }

}  // namespace scalelab::cli
