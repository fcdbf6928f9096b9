// defines: scalelab::fit::RowFilter
//
// Selecting rows of a data file by the text of a column: `--where role=fit_loss,fit_error`
// keeps the rows whose "role" cell is one of the listed values; several filters are AND-ed;
// a negated filter keeps the rest (the fit rows are those not matched by `--heldout`).
// Cells and values compare as exact strings (after the CSV reader's trimming).
//
//   RowFilter f = RowFilter::parse("dataset=rpj", "--where");
//   f.matches("rpj");                  // true
//   f.describe();                      // "--where dataset=rpj"
//   f.negated().describe();            // "not --where dataset=rpj"
#pragma once

#include <string>
#include <vector>

namespace scalelab::fit {

struct RowFilter {
  std::string option;               // the option it came from, for messages ("--where")
  std::string column;
  std::vector<std::string> values;  // the cell must equal one of these
  bool negate = false;              // keep the rows that do NOT match

  // "COL=V1,V2,..."; InputError naming `option` when there is no '=', no column or no value.
  static RowFilter parse(const std::string& spec, const std::string& option);
  bool matches(const std::string& cell) const;  // the filter's verdict, negation included
  RowFilter negated() const;
  std::string describe() const;     // "--where role=fit_loss,fit_error", "not --heldout role=target"
};

using RowFilters = std::vector<RowFilter>;  // AND-ed

}  // namespace scalelab::fit
