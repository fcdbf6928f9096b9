// defines: scalelab::report::render_report_html, scalelab::report::write_report_html
//
// The experiment report as one self-contained HTML page: embedded CSS, inline SVG plots
// (svg_plot.h), no script and no external resource, so it opens offline and can be mailed.
//
//   ReportData data = ...;                       // report_builder.h fills it from a store
//   std::string html = render_report_html(data);
//   write_report_html(data, "report.html");      // atomic: a failed write leaves nothing
//
// Order: header (title, experiment, description), the `story` sentences as the summary,
// then training curves, loss against compute, IsoFLOP profiles (only when the design has
// IsoFLOP budgets), fitted parameters with CIs, forecast against actual, residuals,
// tokens per parameter, the allocation table, failed runs (only when some failed), the
// "Scaling hypothesis" section (only when the store holds probe results: one block per
// probe with its figures, each with the sentence saying what it shows, and its tables;
// report/probe_section.h), provenance, and the spec in a collapsed <details>. A section whose data is missing or
// not finite shows one "not available: why" line instead of a plot or table.
#pragma once

#include <filesystem>
#include <string>

#include "report/report_data.h"

namespace scalelab::report {

std::string render_report_html(const ReportData& data);

// render_report_html written with write_file_atomic (core/atomic_file.h).
void write_report_html(const ReportData& data, const std::filesystem::path& path);

}  // namespace scalelab::report
