#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics/family.h"

// Every family the client statistics produce, in output order: the one list
// the parser, the prometheus-cpp adapter and docs/client-metrics.md agree on.
namespace kse::client_stats {

struct StatsFamilySpec {
  std::string_view name;
  metrics::MetricType type;
  std::vector<std::string_view> labels;  // after client_id and client_type
  std::string_view help;
  std::string_view owner;  // which port serves the series, for the docs
};

const std::vector<StatsFamilySpec>& catalogue();

// The help text as served: summaries say which window they describe.
std::string full_help(const StatsFamilySpec& spec);

// The family table of docs/client-metrics.md.
std::string catalogue_markdown();

}  // namespace kse::client_stats
