// defines: scalelab::report::probe_section_from_json, scalelab::report::probe_sections,
//          scalelab::report::probe_rank
//
// From the JSON a probe of the scaling hypothesis stores (RunStore::save_probe) to what
// the report's "Scaling hypothesis" section draws (ProbeSection, report_data.h). The JSON
// is generic: figures of series and reference lines, tables of text, so the report draws
// any probe without knowing what it measured.
//
//   {"probe": "icl", "title": "In-context learning", "experiment": "icl-demo",
//    "figures": [{"id": "icl-score", "title": "...",
//                 "x": {"label": "N (params)", "log": true, "counts": true},
//                 "y": {"label": "ICL score (nats)", "log": false, "min": -1, "max": 0},
//                 "series": [{"label": "runs", "x": [1e4, 1e5], "y": [-0.1, -0.3],
//                             "color": "#1f77b4", "color_value": 1e4, "line": true,
//                             "marker": "circle", "dash": "solid"}],
//                 "hlines": [{"y": -0.2, "label": "5-gram", "dash": "dotted"}],
//                 "colorbar": "N (params)",
//                 "sentence": "The score falls from -0.1 to -0.3 nats over one decade of N."}],
//    "tables": [{"title": "...", "columns": ["run", "N"], "rows": [["a", "1.2e5"]]}],
//    "summary": {...}}                                  // not drawn
//
//   ProbeSection s = probe_section_from_json(json);    // InputError naming the bad field
//   std::vector<ProbeSection> all = probe_sections(store);
//
// Only "probe" is required at the top level, and "x", "y" in a series, "columns", "rows"
// in a table; everything else has a default (series: line, circle markers, solid; hlines:
// dotted). A JSON null where a number is expected reads as NaN (nlohmann::json writes NaN
// as null), and such points are dropped when drawn.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "report/report_data.h"
#include "sweep/run_store.h"

namespace scalelab::report {

// InputError "probe result 'icl': figures[0].series[1].x and .y differ in length" (the
// probe's name, the path of the bad field, what was expected) when the JSON is malformed.
ProbeSection probe_section_from_json(const Json& result);

// Where a probe goes in the section: emergence 0, icl 1, ngram 2, ensemble 3, others 4.
int probe_rank(const std::string& probe);

// Every probe result of every experiment in the store, ordered by probe_rank, then as
// stored (experiment id, probe name). `experiment` is the store's experiment the result
// was saved under. A stored result that cannot be read becomes a section whose
// `unavailable` says why (one bad record must not hide the rest of the report).
std::vector<ProbeSection> probe_sections(const sweep::RunStore& store);

}  // namespace scalelab::report
