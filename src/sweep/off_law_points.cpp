// Points off the law (off_law_points.h).
#include "sweep/off_law_points.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/count_format.h"

namespace scalelab::sweep {
namespace {

// Groups of point indices sharing a value (relative 1e-9), each sorted by `order`.
template <class Key, class Order>
std::vector<std::vector<size_t>> groups(const fit::Observations& pts, Key key, Order order) {
  std::map<long long, std::vector<size_t>> by;
  for (size_t i = 0; i < pts.size(); ++i) by[std::llround(std::log(key(pts[i])) * 1e9)].push_back(i);
  std::vector<std::vector<size_t>> out;
  for (auto& [k, idx] : by) {
    std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return order(pts[a]) < order(pts[b]); });
    out.push_back(std::move(idx));
  }
  return out;
}

// Within each group, ordered so that the law says the loss falls, a point above the lowest
// loss before it by more than the tolerance; `why` says so given the point and that one.
template <class Why>
void rises(const fit::Observations& pts, const std::vector<std::vector<size_t>>& gs, double tolerance, Why why,
           std::vector<OffLawPoint>& out, std::vector<bool>& flagged) {
  for (const std::vector<size_t>& g : gs) {
    size_t best = g.front();
    for (size_t k = 1; k < g.size(); ++k) {
      const fit::Observation& o = pts[g[k]];
      const fit::Observation& b = pts[best];
      if (o.loss > b.loss * (1 + tolerance) && !flagged[g[k]]) {
        flagged[g[k]] = true;
        out.push_back({o.run, why(o, b)});
      }
      if (o.loss < b.loss) best = g[k];
    }
  }
}

}  // namespace

std::vector<OffLawPoint> find_off_law_points(const fit::Observations& points, double tolerance) {
  std::vector<OffLawPoint> out;
  std::vector<bool> flagged(points.size(), false);
  auto above = [](const fit::Observation& o, const fit::Observation& b) {
    return fmt::format("its loss {:.4g} is {:.1f}% above {}'s {:.4g}", o.loss, 100 * (o.loss / b.loss - 1), b.run,
                       b.loss);
  };
  auto D_of = [](const fit::Observation& o) { return o.D; };
  auto N_of = [](const fit::Observation& o) { return o.N; };
  // Same tokens, growing N: the loss must fall.
  rises(points, groups(points, D_of, N_of), tolerance,
        [&](const fit::Observation& o, const fit::Observation& b) {
          return fmt::format("{}, a smaller model on the same {} tokens (a pre-law plateau: not yet on the law)",
                             above(o, b), short_count(o.D));
        },
        out, flagged);
  // Same size, growing D: the loss must fall.
  rises(points, groups(points, N_of, D_of), tolerance,
        [&](const fit::Observation& o, const fit::Observation& b) {
          return fmt::format("{}, the same size on fewer tokens (repeated data or an unstable run)", above(o, b));
        },
        out, flagged);
  return out;
}

}  // namespace scalelab::sweep
