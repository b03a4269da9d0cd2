#pragma once

#include <string_view>
#include <vector>

#include "metrics/family.h"

// Every family the exporter can serve, with its help text and owner: the single
// source for the builders and for docs/metrics.md (a test keeps both equal).
namespace kse::model {

struct FamilySpec {
  std::string_view name;
  metrics::MetricType type;
  std::vector<std::string_view> labels;
  std::string_view help;
  std::string_view owner;  // which port serves it
  std::string_view source;  // module that produces it
};

const std::vector<FamilySpec>& catalogue();

// The spec for `name`; aborts on a name missing from the catalogue (a programming error).
const FamilySpec& spec(std::string_view name);

// A family with the spec's name, help, type and labels, and no samples yet.
metrics::Family make_family(std::string_view name);

// The catalogue as the Markdown table published in docs/metrics.md.
std::string catalogue_markdown();

}  // namespace kse::model
