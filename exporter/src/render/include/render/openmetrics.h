#pragma once

#include <set>
#include <string>
#include <string_view>

// What a /metrics request may ask beyond the 0.0.4 page: the OpenMetrics 1.0 text
// and a subset of families (name[]=...). Both work on a rendered 0.0.4 text, so the
// page a cycle renders once serves every variant.
namespace kse::render {

inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

// The 0.0.4 text as OpenMetrics 1.0: a counter's family is named without `_total` and its
// samples with it, untyped becomes unknown, HELP escapes double quotes, `# EOF` ends it.
std::string openmetrics_from_text(std::string_view text);

// The families of a 0.0.4 text (as render_slots writes it, each block opened by its
// HELP line) whose names are in `names`.
std::string filter_families(std::string_view text, const std::set<std::string, std::less<>>& names);

}  // namespace kse::render
