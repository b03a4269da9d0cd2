#pragma once

#include <string>

#include "metrics/catalogue.h"

// Every family the client statistics produce, in output order: the one list
// the parser, the prometheus-cpp adapter and docs/client-metrics.md agree on.
namespace kse::client_stats {

// Every family's labels start with client_id and client_type.
const metrics::Catalogue& catalogue();

// The family table of docs/client-metrics.md.
std::string catalogue_markdown();

}  // namespace kse::client_stats
