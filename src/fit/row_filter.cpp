// RowFilter: COL=V1,V2 parsing and matching (see row_filter.h).
#include "fit/row_filter.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"

namespace scalelab::fit {

RowFilter RowFilter::parse(const std::string& spec, const std::string& option) {
  size_t eq = spec.find('=');
  SL_REQUIRE(eq != std::string::npos && eq > 0,
             "{} '{}': expected COLUMN=VALUE[,VALUE...] (e.g. role=fit_loss,fit_error)", option, spec);
  RowFilter f;
  f.option = option;
  f.column = spec.substr(0, eq);
  std::string rest = spec.substr(eq + 1);
  size_t pos = 0;
  for (;;) {
    size_t comma = rest.find(',', pos);
    std::string v = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    SL_REQUIRE(!v.empty(), "{} '{}': empty value; expected COLUMN=VALUE[,VALUE...]", option, spec);
    f.values.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return f;
}

bool RowFilter::matches(const std::string& cell) const {
  bool in = std::find(values.begin(), values.end(), cell) != values.end();
  return in != negate;
}

RowFilter RowFilter::negated() const {
  RowFilter f = *this;
  f.negate = !negate;
  return f;
}

std::string RowFilter::describe() const {
  return fmt::format("{}{} {}={}", negate ? "not " : "", option, column, fmt::join(values, ","));
}

}  // namespace scalelab::fit
