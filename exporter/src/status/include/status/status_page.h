#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/family.h"
#include "model/model.h"
#include "model/snapshot.h"

// The cluster port's `/`: one HTML page a person reads, rendered once per cycle from the
// snapshot and the families the model built from it, so it never disagrees with /metrics.
namespace kse::status {

using FamilySets = std::vector<const std::vector<metrics::Family>*>;

struct PageContext {
  std::optional<int> cluster_port;
  std::map<int32_t, int> broker_ports;  // broker id -> the exporter's port for its series
  // The host part of links to the other ports (the HTTP server puts the request's host there).
  std::string link_host = "localhost";
  int refresh_seconds = 15;
  bool probe_enabled = false;
};

// What the page shows for a value that could not be read: never 0.
inline constexpr std::string_view kUnknown = "\u2014";

std::string html_escape(std::string_view text);

// `cluster`: the cycle's families (model::build_cluster_families, after limits);
// `probe`: the probe's families as of now (empty when it is off).
std::string render_status_page(const model::ClusterSnapshot& snapshot, const FamilySets& cluster,
                               const FamilySets& probe, const model::ExporterStats& stats,
                               const PageContext& context);

}  // namespace kse::status
