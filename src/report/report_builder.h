// defines: scalelab::report::build_report_data, scalelab::report::experiment_summary
//
// From the run store to what the report draws (report_data.h) and to the demo's
// summary.json: curves and final points of the runs, the stored fits with their CIs, the
// fitted law along each size and its compute-optimal frontier, IsoFLOP profiles, the
// held-out forecasts against what the runs reached, an allocation table, provenance, the
// results of every probe saved in the store (all experiments', report/probe_section.h),
// and a few sentences that tell what was found.
//
//   RunStore store("demo/store.sqlite", StoreMode::read_only);
//   ReportData d = build_report_data(store, "demo");
//   write_report_html(d, "demo/report.html");                     // html_report.h
//   write_json_atomic("demo/summary.json", experiment_summary(store, "demo", d, wall));
#pragma once

#include <string>

#include "core/json.h"
#include "report/report_data.h"
#include "sweep/run_store.h"

namespace scalelab::report {

// InputError naming the experiment when it is not in the store.
ReportData build_report_data(const sweep::RunStore& store, const std::string& experiment);

// {"experiment", "runs": {"done", "failed", "pending"}, "fit": {approach-3 law, params, ci,
// derived}, "exponents": {"alpha", "beta", "a", "b"}, "forecast": {"run", "predicted",
// "lo", "hi", "actual", "rel_error"} (null without a held-out run), "tokens_per_param":
// {"value", "lo", "hi", "at_flops"}, "allocation": [...], "wall_seconds", "story": [...]}.
Json experiment_summary(const sweep::RunStore& store, const std::string& experiment, const ReportData& data,
                        double wall_seconds);

}  // namespace scalelab::report
