#pragma once

#include <string>
#include <string_view>

#include "metrics/catalogue.h"

// Every family the exporter can serve, with its help text and owner: the single
// source for the builders and for docs/metrics.md (a test keeps both equal).
namespace kse::model {

using metrics::FamilySpec;

const metrics::Catalogue& catalogue();

// The spec for `name`; aborts on a name missing from the catalogue (a programming error).
const FamilySpec& spec(std::string_view name);

// A family with the spec's name, help, type and labels, and no samples yet.
metrics::Family make_family(std::string_view name);

// The catalogue as the Markdown table published in docs/metrics.md.
std::string catalogue_markdown();

}  // namespace kse::model
