#include "core/count_format.h"

#include <cmath>

#include <fmt/format.h>

namespace scalelab {

std::string short_count(double x) {
  const char* suffix[] = {"", "k", "M", "G", "T", "P"};
  int i = 0;
  while (std::abs(x) >= 1000.0 && i < 5) {
    x /= 1000.0;
    ++i;
  }
  std::string s = fmt::format("{:.3g}", x);
  if (s.find('e') != std::string::npos) s = fmt::format("{:.0f}", x);
  return s + suffix[i];
}

}  // namespace scalelab
